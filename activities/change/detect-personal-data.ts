import type { Finding } from '../../model/change';
import { where, type ChangedLine, type FileContext } from './file-context';
import type { HostUse } from './detect-network';
import { wordsOf } from './vocabulary';

/**
 * Personal data sent to an outside system: an added outbound call (fetch, axios, http.request, sendBeacon,
 * XMLHttpRequest, requests/httpx, Go's http.Post, a form or pixel in markup) whose nearby added lines carry
 * personal fields (e-mail, names, postal address, phone, birth date, national ids, payment card and bank
 * fields), to an outside host named in those lines or, failing that, added elsewhere in the file. Known
 * host or new, that is a new external system integration. A destination the analyzer cannot read (a
 * variable, a relative path) raises nothing here; the call itself is a network finding when it is new.
 */
const OUTBOUND =
  /\bfetch\s*\(|\baxios(?:\.(?:post|put|patch|request))?\s*\(|\bhttps?\.request\s*\(|\b(?:got|ky|superagent|needle|request)\.(?:post|put|patch)\s*\(|\bnavigator\.sendBeacon\s*\(|\bXMLHttpRequest\b|\$\.(?:ajax|post)\s*\(|\brequests\.(?:post|put|patch|request)\s*\(|\bhttpx\.(?:post|put|patch|request)\s*\(|\bhttp\.(?:Post|PostForm|NewRequest\w*)\s*\(|<form\b[^>]*\baction\s*=|<img\b[^>]*\bsrc\s*=/i;

/** Identifier words that name personal data (matched against the lower-cased words of a line, see wordsOf). */
const PERSONAL = new Map<string, string>([
  ...['email', 'emails', 'emailaddress'].map((w) => [w, 'email'] as const),
  ...['firstname', 'lastname', 'fullname', 'surname', 'givenname', 'familyname', 'displayname'].map((w) => [w, 'name'] as const),
  ...['address', 'addresses', 'street', 'streetaddress', 'zip', 'zipcode', 'postcode', 'postalcode'].map((w) => [w, 'address'] as const),
  ...['phone', 'phonenumber', 'mobile', 'msisdn'].map((w) => [w, 'phone'] as const),
  ...['birthdate', 'birthday', 'dob', 'dateofbirth'].map((w) => [w, 'birth date'] as const),
  ...['ssn', 'passport', 'nationalid', 'taxid'].map((w) => [w, 'national id'] as const),
  ...['cardnumber', 'creditcard', 'ccnumber', 'cvv', 'cvc', 'iban'].map((w) => [w, 'payment card or bank account'] as const),
]);
/** `name` alone is everywhere in code; next to another personal field it is a person's name. */
const NAME = 'name';

const BEFORE = 5;
const AFTER = 12;

export function personalDataFindings(ctx: FileContext, hosts: HostUse[]): Finding[] {
  const added = ctx.lines.filter((l) => l.side === 'added' && !l.comment);
  const findings: Finding[] = [];
  for (const call of added) {
    if (call.moved || !OUTBOUND.test(call.text)) continue;
    const window = added.filter((l) => l.line >= call.line - BEFORE && l.line <= call.line + AFTER);
    const fields = personalFields(window);
    if (fields.length === 0) continue;
    const near = hosts.filter((h) => window.includes(h.line));
    const host = (near[0] ?? hosts[0])?.host;
    if (!host) continue;
    findings.push({ kind: 'external-integration', detail: `personal data (${fields.join(', ')}) sent to outside host ${host}: ${where(call)}`, line: call.line, symbol: call.symbol });
  }
  return findings;
}

/** Kinds of personal data named in the lines, in order of appearance (a bare `name` only next to another one). */
export function personalFields(lines: ChangedLine[]): string[] {
  const found: { kind: string; strong: boolean }[] = [];
  for (const l of lines) {
    for (const word of wordsOf(l.text)) {
      const kind = PERSONAL.get(word) ?? (word === NAME ? 'name' : undefined);
      if (!kind) continue;
      const prior = found.find((f) => f.kind === kind);
      if (prior) prior.strong ||= word !== NAME;
      else found.push({ kind, strong: word !== NAME });
    }
  }
  return found.some((f) => f.strong) ? found.map((f) => f.kind) : [];
}

// The one redaction function (style.md "Trust"): every exit of airlock (activity results and failures that go
// into the workflow history, the worker's logs, CLI output, evidence store writes) passes text through it.
// Pure and sandbox-safe (no node imports): workflow, activity, worker and CLI code can all use it.

/** What a masked value is replaced with. */
export const REDACTED = '<redacted>';

/** Token shapes with a fixed prefix: the prefix stays (it says what kind of secret it was), the rest goes. */
const TOKEN_SHAPES: RegExp[] = [
  /\b((?:sk|rk|pk)_(?:live|test)_)[A-Za-z0-9]{8,}/g, // Stripe
  /\b(gh[pousr]_)[A-Za-z0-9]{20,}/g, // GitHub classic tokens
  /\b(github_pat_)[A-Za-z0-9_]{20,}/g, // GitHub fine-grained tokens
  /\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA))[0-9A-Z]{16}\b/g, // AWS access key ids
  /\b(xox[abposr]-)[A-Za-z0-9-]{10,}/g, // Slack
  /\b(glpat-)[A-Za-z0-9_-]{20,}/g, // GitLab
  /\b(AIza)[0-9A-Za-z_-]{35}/g, // Google API keys
  /\b(npm_)[A-Za-z0-9]{36}/g, // npm
];

/** A JWT: three base64url parts, the first two JSON objects (`eyJ`). */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;

/** A PEM private key block; a header without its end (a truncated quote) masks to the end of the text. */
const PEM_PRIVATE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|[\s\S]*$)/g;

/** `scheme://user:password@host`: the userinfo goes, the rest of the URL stays. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'`<>]+@/gi;

/** Names that say their value is a secret. */
const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key|session[_-]?key|signing[_-]?key)[A-Za-z0-9_.-]*`;
/** Any name (for the entropy rule). */
const ANY_NAME = String.raw`[A-Za-z_][A-Za-z0-9_.-]*`;
/** `name = value`, `name: value`, `name => value`, `--name value` is not covered; quotes may be JSON-escaped (`\"`). */
const assignment = (name: string) =>
  new RegExp(String.raw`(["']?\b${name}\b["']?\s*(?::=|=>|[:=])\s*)(?:(\\?["'\x60])((?:(?!\2).)*?)\2|((?![=:])[^\s,;'"\x60\\)}\]\[{(<>]+)(?![^\s,;'"\x60\\)}\]\[{<>]))`, 'gi');
const SECRET_ASSIGNMENT = assignment(SECRET_NAME);
/**
 * Code-style assignments only (`NAME = "..."`, `x := ...`, `k => ...`), for the entropy rule: data written as
 * JSON or YAML (`"publicKey": "..."`, `sig: ...`) keeps its public keys, signatures and digests.
 */
const ANY_ASSIGNMENT = new RegExp(String.raw`((?<!["'\w.-])${ANY_NAME}\s*(?::=|=>|=)\s*)(?:(\\?["'\x60])((?:(?!\2).)*?)\2|([^\s,;'"\x60\\)}\]]+))`, 'g');

/** Values that are references to a secret, not the secret: left alone. */
const REFERENCE = /^(?:$|\d+(?:\.\d+)?$|<redacted>|\$|%|process\.env|os\.environ|env\.|\{\{|secrets\.|vault:|[A-Za-z_.]+\(|null$|undefined$|true$|false$|None$|""$)/;

/** Shannon entropy of a string, bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/** A value that looks generated (a key, a token) rather than written: long, mixed, high entropy. */
export function looksGenerated(v: string): boolean {
  if (v.length < 20 || !/^[A-Za-z0-9+/_=.-]+$/.test(v)) return false;
  if (/^[0-9a-f]+$/i.test(v) && (v.length === 40 || v.length === 64)) return false; // commit ids, sha256 digests
  if ((v.match(/[/.]/g) ?? []).length >= 2) return false; // paths, hosts, versions
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(v)).length;
  return classes >= 2 && entropy(v) >= 3.5;
}

/**
 * `text` with secret-looking values masked: known token shapes (Stripe, GitHub, AWS, Slack, GitLab, Google,
 * npm), JWTs, PEM private keys, the values of assignments to secret-named keys (`api_key = "..."`,
 * `password: ...`) and long high-entropy values of any assignment; URL userinfo (`user:token@`) stripped.
 * Idempotent: redacting twice is redacting once.
 */
export function redactText(text: string): string {
  let out = text.replace(PEM_PRIVATE, `-----BEGIN PRIVATE KEY----- ${REDACTED}`);
  out = out.replace(URL_USERINFO, '$1');
  for (const re of TOKEN_SHAPES) out = out.replace(re, `$1${REDACTED}`);
  out = out.replace(JWT, REDACTED);
  const mask =
    (when: (v: string) => boolean) =>
    (whole: string, lead: string, quote: string | undefined, quoted: string | undefined, bare: string | undefined): string => {
      const value = quoted ?? bare ?? '';
      if (!when(value)) return whole;
      return quote !== undefined ? `${lead}${quote}${REDACTED}${quote}` : `${lead}${REDACTED}`;
    };
  // A bare short lowercase word after a secret name is prose (`secrets: added line 3`), not a secret.
  out = out.replace(SECRET_ASSIGNMENT, (whole, lead: string, quote: string | undefined, quoted: string | undefined, bare: string | undefined) =>
    quote === undefined && /^[a-z]{1,12}$/.test(bare ?? '') ? whole : mask((v) => !REFERENCE.test(v.trim()))(whole, lead, quote, quoted, bare),
  );
  out = out.replace(ANY_ASSIGNMENT, mask((v) => looksGenerated(v)));
  return out;
}

/**
 * `value` with every string in it (object keys excepted) passed through redactText; other values and the
 * shape unchanged. Objects are copied only where something changed.
 */
export function redactDeep<T>(value: T): T {
  return walk(value, 0) as T;
}

function walk(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const r = walk(v, depth + 1);
      if (r !== v) changed = true;
      return r;
    });
    return changed ? out : value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value; // Buffers, Dates, class instances: as they are
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = walk(v, depth + 1);
    if (r !== v) changed = true;
    out[k] = r;
  }
  return changed ? out : value;
}

import type { Finding } from '../../model/change';
import { where, type FileContext } from './file-context';
import { isConfigLanguage } from './language';
import { topicsIn } from './vocabulary';

/**
 * Security-sensitive code and settings: authentication, sessions and tokens, payments, cryptography,
 * security controls (CSRF, CORS, TLS verification, rate limits) and secrets handling. See vocabulary.ts for
 * when a word counts. Comment-only and moved lines are skipped.
 */
export function sensitiveFindings(ctx: FileContext): Finding[] {
  const findings: Finding[] = [];
  const config = isConfigLanguage(ctx.language);
  for (const l of ctx.lines) {
    if (l.comment || l.moved) continue;
    // In config files the keys above a changed value say what it controls (`csrf.enabled: false`,
    // `session.ttl: 8h`): weak words count there; in the value itself only strong ones (or a removal).
    const keyHits = config && l.keys?.length ? topicsIn(l.keys.join(' '), true) : [];
    const lineHits = topicsIn(l.text, l.side === 'removed');
    const topics = new Set<string>();
    for (const hit of [...keyHits, ...lineHits]) {
      if (topics.has(hit.topic)) continue;
      topics.add(hit.topic);
      findings.push({ kind: hit.topic, detail: `${where(l)} ("${hit.word}")`, line: l.line, symbol: l.symbol });
    }
  }
  for (const s of ctx.symbols) {
    const name = s.kind === 'route' ? s.name.replace(/^\S+\s+/, '') : s.name;
    for (const hit of topicsIn(name, true)) {
      findings.push({ kind: hit.topic, detail: `${s.kind} ${s.name} ${s.change} ("${hit.word}")`, symbol: s.name });
    }
  }
  return findings;
}

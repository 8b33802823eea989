import type { SignalKind } from '../../model/change';

/** What each signal kind means, in the words the reason starts with. */
export const SIGNAL_LABELS: Record<SignalKind, string> = {
  'airlock-config': "airlock's own gates changed (airlock.yaml, the policy file or CI definitions); always high: a change must not weaken the gates that judge it",
  auth: 'authentication, sessions or authorization',
  payments: 'payment processing',
  crypto: 'cryptography (ciphers, keys, hashing, TLS)',
  'security-control': 'security controls (CSRF, CORS, TLS verification, rate limits, sanitizing)',
  secrets: 'secrets handling',
  permissions: 'permissions (container user, capabilities, privileged mode, RBAC/IAM, sudo)',
  'external-integration': 'new external system integration (a new outside host, or personal data sent to an outside host)',
  'command-execution': 'runs OS commands or evaluates code (child_process, eval, subprocess, os/exec): a command-injection surface',
  'data-destructive': 'destructive data change',
  data: 'data touched (migrations, schema, models, queries)',
  network: 'network access (ports, listeners, HTTP clients)',
  infra: 'infrastructure and runtime definitions',
  integration: 'third-party integration code',
  api: 'API surface (routes, endpoints, contracts)',
  dependencies: 'dependencies changed',
  code: 'application code',
  unknown: 'files no rule classifies (unknown is not low: at least medium)',
  config: 'configuration',
  tooling: 'internal tooling',
  tests: 'tests',
  docs: 'documentation',
  styles: 'styles',
  content: 'content and assets',
  rename: 'renamed without content changes',
  size: 'size',
  spread: 'spread',
};

const MAX_FILES = 5;
const MAX_DETAILS = 3;

/** `label: a.ts (detail; detail), b.ts, and 3 more files`. */
export function reasonText(kind: SignalKind, perFile: Map<string, string[]>): string {
  const files = [...perFile.keys()];
  const parts = files.slice(0, MAX_FILES).map((file) => {
    const details = [...new Set(perFile.get(file) ?? [])];
    if (details.length === 0) return file;
    const shown = details.slice(0, MAX_DETAILS).join('; ');
    const more = details.length > MAX_DETAILS ? `; +${details.length - MAX_DETAILS} more` : '';
    return `${file} (${shown}${more})`;
  });
  const rest = files.length > MAX_FILES ? `, and ${files.length - MAX_FILES} more files` : '';
  return `${SIGNAL_LABELS[kind]}: ${parts.join(', ')}${rest}`;
}

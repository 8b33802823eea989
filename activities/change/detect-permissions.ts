import type { Finding } from '../../model/change';
import { where, type FileContext } from './file-context';

/**
 * Permissions a change grants or drops: the container user, Linux capabilities, privileged mode, host
 * namespaces and the Docker socket, sudo and world-writable modes, Kubernetes RBAC and IAM statements.
 * Added and removed lines both count (dropping `USER app` is as telling as adding `USER root`).
 */
const PATTERNS: { re: RegExp; what: string; only?: string }[] = [
  { re: /^\s*USER\s+\S+/i, what: 'container user', only: 'dockerfile' },
  { re: /--privileged\b|\bprivileged\s*[:=]\s*true\b/i, what: 'privileged mode' },
  { re: /\bcap_add\b|--cap-add\b|\bCAP_[A-Z_]+\b|\bsetcap\b|\bcapabilities\s*:/i, what: 'Linux capabilities' },
  { re: /\bsudo\b|\bsudoers\b|\bNOPASSWD\b/, what: 'sudo' },
  { re: /\bchmod\s+(?:-R\s+)?(?:0?777|0?666|[ugoa]*\+[rwx]*s|a\+w|o\+w)\b/, what: 'permissive file mode' },
  { re: /\brunAsUser\s*:\s*0\b|\brunAsNonRoot\s*:\s*false\b|\ballowPrivilegeEscalation\s*:\s*true\b|\bsecurityContext\s*:/, what: 'pod security context' },
  { re: /\bhost(?:PID|IPC|Network)\s*:\s*true\b|--(?:pid|ipc|network)[= ]host\b|\bnetwork_mode\s*:\s*["']?host/i, what: 'host namespaces' },
  { re: /\/var\/run\/docker\.sock|\bhostPath\s*:/, what: 'host filesystem or Docker socket' },
  { re: /\bkind\s*:\s*(?:Cluster)?Role(?:Binding)?\b|\bserviceAccount(?:Name)?\s*:/, what: 'Kubernetes RBAC' },
  { re: /"Effect"\s*:\s*"Allow"|"Action"\s*:|\biam:[A-Za-z*]|\bAssumeRole\w*\b|arn:aws:iam::|\broles\/[\w.]+\b.*\bmembers?\b/, what: 'IAM statement' },
  { re: /\bseccomp\b.*\bunconfined\b|\bapparmor\b.*\bunconfined\b/i, what: 'unconfined seccomp/AppArmor' },
];

export function permissionFindings(ctx: FileContext): Finding[] {
  const findings: Finding[] = [];
  for (const l of ctx.lines) {
    if (l.comment || l.moved) continue;
    for (const p of PATTERNS) {
      if (p.only && p.only !== ctx.language) continue;
      if (!p.re.test(l.text)) continue;
      const root = p.what === 'container user' && /^\s*USER\s+(?:root|0)(?::|\s|$)/i.test(l.text) && l.side === 'added' ? ' (runs as root)' : '';
      findings.push({ kind: 'permissions', detail: `${p.what}${root}: ${where(l)}`, line: l.line, symbol: l.symbol });
    }
  }
  return findings;
}

import { rootReason } from '../../model/image-user';
import { matchesGlob, policyDurationMs, type Gates, type PolicySeverity } from '../../model/policy';
import type { PolicyViolation, ViolationSeverity } from '../../model/policy-verdict';
import { severityRank, type ScanSummary, type Severity } from '../../model/scan';
import { normalizeId, type Subject } from './exceptions';
import type { RequirementChecks } from './security-requirements';

/** A violation before exceptions are applied; `subject` is what an exception may match. */
export interface Candidate {
  violation: PolicyViolation;
  subject?: Subject;
}

const toViolationSeverity = (s: Severity): ViolationSeverity => (s === 'UNKNOWN' ? 'info' : (s.toLowerCase() as ViolationSeverity));
const rankOfPolicy = (s: PolicySeverity | 'none'): number => (s === 'none' ? -1 : severityRank(s.toUpperCase() as Severity));

/** Trivy's Dockerfile checks behind the named gates. */
export const NON_ROOT_CHECK = 'DS002';
export const HEALTHCHECK_CHECK = 'DS026';

export function vulnerabilityRules(gates: Gates, scan: ScanSummary): Candidate[] {
  const g = gates.vulnerabilities;
  const max = rankOfPolicy(g.maxSeverity);
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const f of scan.vulnerabilities.findings) {
    const key = `${f.id} ${f.pkg}@${f.installed}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const fixable = f.fixed !== undefined && f.fixed !== '';
    const aboveMax = severityRank(f.severity) > max && !(g.ignoreUnfixed && !fixable);
    const fixableBlocked = fixable && g.failOnFixable.includes(f.severity.toLowerCase() as PolicySeverity);
    if (!aboveMax && !fixableBlocked) continue;
    const label = `${f.id}${f.aliases?.length ? ` (${f.aliases.join(', ')})` : ''} in ${f.pkg}@${f.installed}`;
    const why = aboveMax
      ? `${f.severity} is above the allowed ${g.maxSeverity}`
      : `${f.severity} with a fix available (${f.fixed}) must be fixed`;
    out.push({
      violation: {
        rule: aboveMax ? 'vulnerabilities.max-severity' : 'vulnerabilities.fixable',
        severity: toViolationSeverity(f.severity),
        blocking: true,
        subject: f.id,
        detail: `${label} (${f.target})${fixable ? `, fixed in ${f.fixed}` : ', no fix yet'}: ${why}`,
      },
      subject: { id: f.id, ...(f.aliases ? { aliases: f.aliases } : {}), pkg: f.pkg, label },
    });
  }
  // Findings left out of the summary cannot be excepted one by one: count them against the gate.
  if ((scan.vulnerabilities.omitted ?? 0) > 0) {
    for (const sev of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const) {
      const listed = scan.vulnerabilities.findings.filter((f) => f.severity === sev).length;
      const missing = scan.vulnerabilities.counts[sev] - listed;
      if (missing > 0 && severityRank(sev) > max)
        out.push({
          violation: {
            rule: 'vulnerabilities.max-severity',
            severity: toViolationSeverity(sev),
            blocking: true,
            detail: `${missing} more ${sev} findings are not listed in the summary (see the full report): above the allowed ${g.maxSeverity}`,
          },
        });
    }
  }
  return out;
}

/**
 * `vulnerabilities.maxDbAge`: a scan made with a vulnerability DB built longer ago than the policy allows
 * (at the gate's `now`) blocks, and so does one whose DB build time is unknown. Not excepted by exceptions.
 */
export function dbAgeRules(gates: Gates, scan: ScanSummary, now: Date): Candidate[] {
  const max = gates.vulnerabilities.maxDbAge;
  if (!max) return [];
  const built = scan.dbUpdatedAt ? Date.parse(scan.dbUpdatedAt) : NaN;
  const block = (detail: string): Candidate[] => [{ violation: { rule: 'vulnerabilities.db-age', severity: 'high', blocking: true, subject: scan.dbMode, detail } }];
  if (Number.isNaN(built)) return block(`the scan does not record when its vulnerability DB (${scan.dbMode}) was built: maxDbAge ${max} cannot be checked; rescan with a current DB`);
  const ageMs = now.getTime() - built;
  if (ageMs <= policyDurationMs(max)) return [];
  const hours = (ageMs / 3_600_000).toFixed(1);
  return block(
    `the vulnerability DB (${scan.dbMode}) was built ${scan.dbUpdatedAt}, ${hours}h before this gate: older than maxDbAge ${max}; update the DB (or its mirror) and rescan`,
  );
}

/**
 * Findings the summary left out to stay small (model/scan.ts `omitted`) cannot be judged one by one: where
 * an unlisted one could block, they block together, pointing at the full report.
 */
function unlisted(count: number | undefined, rule: string, what: string): Candidate[] {
  if (!count) return [];
  return [{ violation: { rule, severity: 'high', blocking: true, detail: `${count} more ${what} are not listed in the summary (see the full report): they cannot be checked one by one` } }];
}

export function secretRules(gates: Gates, req: RequirementChecks, scan: ScanSummary): Candidate[] {
  const mayBlock = !gates.secrets.allowed || req.privateKeysBlock || req.credentialsBlock;
  return [...(mayBlock ? unlisted(scan.omitted?.secrets, 'secrets', 'secrets') : []), ...listedSecretRules(gates, req, scan)];
}

function listedSecretRules(gates: Gates, req: RequirementChecks, scan: ScanSummary): Candidate[] {
  return scan.secrets.flatMap((s): Candidate[] => {
    const privateKey = s.ruleId === 'private-key' || s.category === 'AsymmetricPrivateKey';
    const rule = !gates.secrets.allowed
      ? 'secrets'
      : privateKey && req.privateKeysBlock
        ? 'security.encryption_in_transit'
        : !privateKey && req.credentialsBlock
          ? 'security.authentication'
          : undefined;
    const where = `${s.target}:${s.line}`;
    return [
      {
        violation: {
          rule: rule ?? 'secrets',
          severity: toViolationSeverity(s.severity),
          blocking: rule !== undefined,
          subject: s.ruleId,
          detail: `secret found by rule ${s.ruleId}${s.title ? ` (${s.title})` : ''} in ${where}`,
        },
        subject: { id: s.ruleId, label: `${s.ruleId} in ${where}` },
      },
    ];
  });
}

export function dockerfileRules(gates: Gates, scan: ScanSummary): Candidate[] {
  const g = gates.dockerfile;
  const deny = new Set(g.deny.map(normalizeId));
  return [...unlisted(scan.omitted?.misconfigurations, 'dockerfile.max-severity', 'Dockerfile misconfigurations'), ...scan.misconfigurations.map((m): Candidate => {
    const id = normalizeId(m.id);
    const rule =
      id === normalizeId(NON_ROOT_CHECK) && g.requireNonRoot
        ? 'dockerfile.non-root'
        : id === normalizeId(HEALTHCHECK_CHECK) && g.requireHealthcheck
          ? 'dockerfile.healthcheck'
          : deny.has(id)
            ? 'dockerfile.deny'
            : severityRank(m.severity) > rankOfPolicy(g.maxSeverity)
              ? 'dockerfile.max-severity'
              : undefined;
    return {
      violation: {
        rule: rule ?? 'dockerfile.advisory',
        severity: toViolationSeverity(m.severity),
        blocking: rule !== undefined,
        subject: m.id,
        detail: `${m.id} ${m.title} (${m.target})`,
      },
      subject: { id: m.id, label: `${m.id} in ${m.target}` },
    };
  })];
}

/**
 * `requireNonRoot` from the user the scan read in the image config itself, besides Trivy's DS002 (which can
 * miss `USER root`). A summary that does not record the user blocks: the gate passes only an image it
 * can show does not run as root. A DS002 exception covers this violation too.
 */
export function imageUserRules(gates: Gates, scan: ScanSummary): Candidate[] {
  if (!gates.dockerfile.requireNonRoot) return [];
  const u = scan.imageUser;
  const why = u ? rootReason(u) : 'the scan summary does not record the user the image runs as (made before airlock read it): scan the image again';
  if (!why) return [];
  return [
    {
      violation: { rule: 'dockerfile.non-root', severity: 'high', blocking: true, subject: NON_ROOT_CHECK, detail: why },
      subject: { id: NON_ROOT_CHECK, label: `image user ${u ? JSON.stringify(u.user) : '(not recorded)'}` },
    },
  ];
}

export function licenseRules(gates: Gates, scan: ScanSummary): Candidate[] {
  const deny = new Set(gates.licenses.deny.map((l) => l.toLowerCase()));
  const omitted = deny.size > 0 ? unlisted(scan.omitted?.licenses, 'licenses.deny', 'license findings') : [];
  return [...omitted, ...scan.licenses
    .filter((l) => deny.has(l.name.toLowerCase()))
    .map((l) => ({
      violation: {
        rule: 'licenses.deny',
        severity: 'high' as const,
        blocking: true,
        subject: l.name,
        detail: `${l.pkg} is licensed ${l.name}, which the policy denies`,
      },
      subject: { id: l.name, pkg: l.pkg, label: `${l.name} in ${l.pkg}` },
    }))];
}

export function baseImageRules(gates: Gates, scan: ScanSummary): Candidate[] {
  const allow = gates.baseImages.allow;
  if (allow.length === 0) return [];
  if (scan.baseImage === undefined)
    return [
      {
        violation: {
          rule: 'base-image.allow',
          severity: 'high',
          blocking: true,
          detail: `the image does not record its base image (built outside airlock?); allowed: ${allow.join(', ')}`,
        },
      },
    ];
  if (allow.some((p) => matchesGlob(p, scan.baseImage!))) return [];
  return [
    {
      violation: {
        rule: 'base-image.allow',
        severity: 'high',
        blocking: true,
        subject: scan.baseImage,
        detail: `base image ${scan.baseImage} is not in the allowlist (${allow.join(', ')})`,
      },
    },
  ];
}

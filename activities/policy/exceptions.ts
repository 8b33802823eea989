import type { AppliedException, PolicyViolation } from '../../model/policy-verdict';
import { exceptionExpiresAt, type Policy, type PolicyException } from '../../model/policy';

/** What a finding is, for exception matching: its id (CVE, check, secret rule, license) and package. */
export interface Subject {
  id: string;
  /** Other ids of the same finding (a CVE's GHSA id): an exception may name any of them. */
  aliases?: string[];
  pkg?: string;
  /** Human form for the verdict, e.g. `GHSA-xxxx in lodash@4.17.20`. */
  label: string;
}

/** Check ids compare without punctuation, prefix or leading zeros: DS002 = DS-0002 = AVD-DS-0002. */
export function normalizeId(id: string): string {
  const check = /^(?:AVD-)?([A-Z]+)-?0*(\d+)$/i.exec(id);
  return check ? `${check[1]!.toUpperCase()}${check[2]}` : id.toLowerCase();
}

const covers = (e: PolicyException, s: Subject): boolean =>
  [s.id, ...(s.aliases ?? [])].some((id) => normalizeId(id) === normalizeId(e.id)) &&
  (!e.packages || (s.pkg !== undefined && e.packages.includes(s.pkg)));

/**
 * Applies the policy's exceptions at `now`: a matching, unexpired exception removes a blocking violation
 * (recorded in `applied`); a matching expired one leaves it blocking and adds a notice.
 */
export function applyExceptions(
  policy: Pick<Policy, 'exceptions'>,
  now: Date,
  candidates: { violation: PolicyViolation; subject?: Subject }[],
): { violations: PolicyViolation[]; applied: AppliedException[] } {
  const violations: PolicyViolation[] = [];
  const applied = new Map<PolicyException, AppliedException>();
  const expiredNoticed = new Set<PolicyException>();
  for (const { violation, subject } of candidates) {
    const matching = subject && violation.blocking ? policy.exceptions.filter((e) => covers(e, subject)) : [];
    const active = matching.find((e) => now.getTime() < exceptionExpiresAt(e));
    if (active && subject) {
      const entry = applied.get(active) ?? { id: active.id, owner: active.owner, reason: active.reason, expires: active.expires, covered: [] };
      entry.covered.push(subject.label);
      applied.set(active, entry);
      continue;
    }
    violations.push(violation);
    for (const e of matching.filter((x) => !expiredNoticed.has(x))) {
      expiredNoticed.add(e);
      violations.push({
        rule: 'exception.expired',
        severity: 'info',
        blocking: false,
        subject: e.id,
        detail: `exception for ${e.id} (owner ${e.owner}) expired ${e.expires}: it no longer applies`,
      });
    }
  }
  return { violations, applied: [...applied.values()] };
}

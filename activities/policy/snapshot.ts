import { approvalRule, normalizedKey, policyDurationMs } from '../../model/policy';
import { parseWith } from '../../model/parse';
import { policySnapshotSchema, type PolicySnapshot } from '../../model/policy-snapshot';
import type { LoadedPolicy } from './evaluate';

/**
 * The approval part of a policy as the pipeline carries it (model/pipeline.ts PolicySnapshot): groups
 * with keys as lowercase hex, per-level rules, the timeout in milliseconds, the file's digest.
 */
export function policySnapshot(loaded: LoadedPolicy, source: string): PolicySnapshot {
  const p = loaded.policy;
  const level = (l: 'low' | 'medium' | 'high') => {
    const rule = approvalRule(p, l);
    return { approvals: rule.required, groups: p.approvals[l].from ?? [], require: rule.require };
  };
  return parseWith(
    policySnapshotSchema,
    {
      source,
      policyDigest: loaded.digest,
      groups: Object.fromEntries(
        Object.entries(p.approverGroups).map(([name, g]) => [name, g.members.map((m) => ({ id: m.id, publicKey: normalizedKey(m.publicKey), aliases: m.aliases }))]),
      ),
      levels: { low: level('low'), medium: level('medium'), high: level('high') },
      approvalTimeoutMs: policyDurationMs(p.approvals.timeout),
      ...(p.evidence.trustedKeys.length ? { trustedKeys: p.evidence.trustedKeys } : {}),
    },
    `approval snapshot of ${source}`,
  );
}

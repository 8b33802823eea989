import { approvalMessageText, reviewApproval, tally, type ApprovalRecord, type ApprovalSubject } from '../approval';
import type { PolicySnapshot } from '../policy-snapshot';
import type { ApprovalsPredicate } from './predicates';

// Re-checks a recorded approvals link offline, with the same rules the pipeline's update validator applied
// (reviewApproval, tally): every signature against the key the policy lists for that approver, over the
// message rebuilt from the link's fields and the image digest being verified, then the level's rule.

/** Why the approvals do not stand, or undefined when they do. */
export function approvalsProblem(p: ApprovalsPredicate, imageDigest: string, policy: PolicySnapshot | undefined): string | undefined {
  if (!policy) return 'no approver keys given: the approvals cannot be re-verified (pass the policy snapshot of the judging policy)';
  if (policy.policyDigest !== p.judged.policyDigest) return `the approvals were judged under policy ${p.judged.policyDigest}, the keys given are of policy ${policy.policyDigest}`;
  const rule = (policy.levels as Record<string, PolicySnapshot['levels']['low'] | undefined>)[p.riskLevel];
  if (!rule) return `risk level "${p.riskLevel}" has no rule in the policy`;
  if (rule.approvals !== p.rule.approvals || rule.require.join() !== p.rule.require.join() || rule.groups.join() !== p.rule.groups.join())
    return `the recorded rule (${p.rule.approvals} approvals, require ${p.rule.require.join(', ') || 'none'}) is not the policy's rule for ${p.riskLevel} risk (${rule.approvals}, require ${rule.require.join(', ') || 'none'})`;
  const accepted: ApprovalRecord[] = [];
  for (const d of p.decisions) {
    if (d.automatic) {
      if (rule.approvals > 0) return `an automatic approval stands in for ${rule.approvals} signed approvals at ${p.riskLevel} risk`;
      continue;
    }
    if (d.decision !== 'approve') return `${d.approver} decided ${d.decision}`;
    const subject: ApprovalSubject = {
      pipelineId: p.pipelineId,
      runId: p.runId,
      environment: p.environment,
      imageDigest,
      baseCommit: p.judged.base,
      headCommit: p.judged.head,
      riskLevel: p.riskLevel,
      policyDigest: p.judged.policyDigest,
      decision: d.decision,
    };
    if (d.message !== approvalMessageText(subject)) return `the message recorded for ${d.approver} is not the one bound to this run and image`;
    const review = reviewApproval({ snapshot: policy, rule, level: p.riskLevel, authors: p.authors, decisions: accepted, subject }, { approver: d.approver, signature: d.signature });
    if (!review.ok) return review.reason;
    accepted.push({ approver: d.approver, decision: d.decision, groups: review.approver.groups, at: d.at });
  }
  const t = tally(rule, accepted);
  if (!t.satisfied)
    return `the rule for ${p.riskLevel} risk is not met: ${t.approvals} of ${t.needed} approvals${t.missingGroups.length ? `, missing group ${t.missingGroups.join(', ')}` : ''}`;
  return undefined;
}

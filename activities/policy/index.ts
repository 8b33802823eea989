import { posix } from 'node:path';
import type { BasePolicy } from '../../model/activities';
import { POLICY_FILE } from '../../model/policy';
import type { PolicyVerdict } from '../../model/policy-verdict';
import { InvalidInputError } from '../../model/parse';
import type { RiskAssessment } from '../../model/risk';
import type { ScanSummary } from '../../model/scan';
import { readAtCommit, stageActivity, type StageLogger } from '../shared';
import { policyVerdict, type EvaluationContext, type LoadedPolicy } from './evaluate';
import { loadPolicy, parsePolicy } from './load-policy';
import { policySnapshot } from './snapshot';
import { recheckWindows } from './recheck';

export { policyVerdict, type LoadedPolicy } from './evaluate';
export { loadPolicy, parsePolicy } from './load-policy';
export { policySnapshot } from './snapshot';

/** Where the policy comes from: a file on the worker, or the file in the service repo at the commit. */
export type PolicySource = { file: string } | { repo: string; commit: string; path?: string };

export interface EvaluatePolicyInput extends EvaluationContext {
  /** Where to read the policy, or the policy already read (the pipeline reads it once: readBasePolicy). */
  policy: PolicySource | LoadedPolicy;
  scan: ScanSummary;
  risk?: RiskAssessment;
  /** ISO time to evaluate at (the workflow's clock); default: now. */
  now?: string;
}

export async function readPolicy(source: PolicySource): Promise<LoadedPolicy> {
  if ('file' in source) return loadPolicy(source.file);
  const path = source.path ?? POLICY_FILE;
  const bytes = await readAtCommit(source.repo, source.commit, posix.normalize(path));
  const where = `${path} at ${source.commit.slice(0, 12)}`;
  if (!bytes) throw new InvalidInputError(where, ['(file): not in the commit (the pipeline needs the service repo to carry its policy)']);
  return parsePolicy(bytes, where);
}

export interface PolicyActivityDeps {
  log?: StageLogger;
}

const describeSource = (s: PolicySource): string => ('file' in s ? s.file : `git:${s.repo}@${s.commit}:${s.path ?? POLICY_FILE}`);

/**
 * The policy stage as activities: `readBasePolicy` reads the policy file once (the pipeline reads it at the
 * BASE commit) and returns it with the approval rules the pipeline waits on; `evaluatePolicy` evaluates a
 * policy (pure; read first when given where it is) and returns the verdict.
 */
export function createPolicyActivities(deps: PolicyActivityDeps = {}) {
  return {
    readBasePolicy: stageActivity(deps.log, async (input: { repo: string; commit: string; path: string }): Promise<BasePolicy> => {
      const source: PolicySource = { repo: input.repo, commit: input.commit, path: input.path };
      const policy = await readPolicy(source);
      return { snapshot: policySnapshot(policy, describeSource(source)), policy };
    }),
    evaluatePolicy: stageActivity(deps.log, async (input: EvaluatePolicyInput, _hooks, log): Promise<PolicyVerdict> => {
      const loaded = 'digest' in input.policy ? input.policy : await readPolicy(input.policy);
      const verdict = policyVerdict(loaded, input.scan, input.risk, input.now ? new Date(input.now) : new Date(), {
        ...(input.environment !== undefined ? { environment: input.environment } : {}),
        ...(input.action ? { action: input.action } : {}),
      });
      log.info('policy evaluated', { allowed: verdict.allowed, violations: verdict.violations.length, policyDigest: verdict.policyDigest });
      return verdict;
    }),
    recheckWindows: stageActivity(deps.log, async (input: { environment: string; policy: LoadedPolicy; scan: ScanSummary; risk?: RiskAssessment }, _hooks, log) => {
      const result = recheckWindows(input.policy, input.scan, input.risk, new Date(), input.environment);
      log.info('freeze windows and exceptions re-checked', { allowed: result.allowed, freeze: result.freeze?.name, violations: result.violations.length });
      return result;
    }),
  };
}

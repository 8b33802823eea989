import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { AirlockConfig } from '../../infra/config';
import type { AnalyzeFlagInput, FlagActivities, FlagAnchor, FlagRef, KillFlagInput, SetFlagShareInput } from '../../model/flag-activities';
import type { BasePolicy } from '../../model/activities';
import type { PolicySnapshot } from '../../model/policy-snapshot';
import { FLAG_KEY } from '../../model/flag-rules';
import { isSlug } from '../../model/names';
import { parseWith } from '../../model/parse';
import { withFailures } from '../errors';
import { createPrometheusClient, type PrometheusClient } from '../monitor/prometheus';
import { createPolicyActivities } from '../policy';
import { workerRepo } from '../shared';
import { analyzeFlag } from './analyze';
import { currentTaskQueue, findFlagAnchor, readFlagSource } from './source';
import { flagsDirOf, kill, setShare } from './store';

export { flagsDirOf, ensureServed, readServed, FLAGS_SERVED } from './store';

// The flag workflows' activities (issue 18). Inputs are parsed here too: anyone who reaches Temporal can
// schedule them through a workflow of their own making only on their own worker, but a flag workflow's
// input is a caller's, so its identifiers are checked before they become paths and PromQL.

const slug = z.string().refine(isSlug, 'must be a lowercase slug');
const refShape = { service: slug, environment: slug, flag: z.string().regex(FLAG_KEY, 'must be a flag key (lowercase letters, digits, dashes)') };
const refSchema = z.object(refShape).strict();
/** When the rollout began (the workflow's start time), ISO 8601; absent in calls from older runs. */
const startedAtSchema = z.string().datetime({ offset: true }).optional();

export interface FlagActivityDeps {
  config: Pick<AirlockConfig, 'home' | 'prometheusUrl' | 'dirs'> & Parameters<typeof workerRepo>[0];
  prometheus?: PrometheusClient;
}

export function createFlagActivities(deps: FlagActivityDeps): FlagActivities {
  const { config } = deps;
  const prom = deps.prometheus ?? createPrometheusClient(config.prometheusUrl);
  const dirOf = (r: FlagRef) => flagsDirOf(config.home, r.service, r.environment);
  const fetched = (url: string, commit: string) => workerRepo(config, url, [commit], { heartbeat: (d) => Context.current().heartbeat(d) });
  const policy = createPolicyActivities();
  const workflowId = () => Context.current().info.workflowExecution?.workflowId ?? 'unknown';
  // keyed by immutable identifiers only (a pipeline run, a commit): a new promotion or policy is a new key
  const anchors = new Map<string, FlagAnchor>();
  const policies = new Map<string, BasePolicy>();
  const anchorOf = (ref: FlagRef) => findFlagAnchor(Context.current().client, currentTaskQueue(), ref.service, ref.environment, anchors);
  /** The environment's protected policy: the one at the anchor (the commit the environment runs). */
  const basePolicyAt = async (anchor: FlagAnchor): Promise<BasePolicy> => {
    const key = JSON.stringify([anchor.repo, anchor.commit, anchor.policyPath]);
    const known = policies.get(key);
    if (known) return known;
    const base = await policy.readBasePolicy({ repo: await fetched(anchor.repo, anchor.commit), commit: anchor.commit, path: anchor.policyPath });
    if (policies.size > 100) policies.clear();
    policies.set(key, base);
    return base;
  };
  const policyAt = async (anchor: FlagAnchor): Promise<PolicySnapshot> => (await basePolicyAt(anchor)).snapshot;
  const approversOf = (snapshot: PolicySnapshot) =>
    Object.fromEntries(Object.entries(snapshot.groups).map(([g, members]) => [g, members.map((m) => ({ id: m.id, publicKey: m.publicKey }))]));
  return {
    loadFlagSource: withFailures(async (raw: FlagRef) => {
      const ref = parseWith(refSchema, raw, 'loadFlagSource input');
      const anchor = await anchorOf(ref);
      const repo = await fetched(anchor.repo, anchor.commit);
      // path rules and thresholds from the environment's protected policy, never from the caller
      const protectedPolicy = (await basePolicyAt(anchor)).policy.policy;
      return readFlagSource(repo, anchor, ref.service, ref.environment, ref.flag, protectedPolicy);
    }),
    setFlagShare: withFailures(async (input: SetFlagShareInput) => {
      const ref = parseWith(refSchema, { service: input.service, environment: input.environment, flag: input.flag }, 'setFlagShare input');
      const startedAt = parseWith(startedAtSchema, input.startedAt, 'setFlagShare input startedAt');
      const record = await setShare({ dir: dirOf(ref), flag: ref.flag, definition: input.definition, share: input.share, workflowId: workflowId(), fresh: input.fresh, ...(startedAt ? { startedAt } : {}) });
      Context.current().log.info('flag share set', { ...ref, share: input.share });
      return record;
    }),
    killFlag: withFailures(async (input: KillFlagInput) => {
      const ref = parseWith(refSchema, { service: input.service, environment: input.environment, flag: input.flag }, 'killFlag input');
      const record = await kill({ dir: dirOf(ref), flag: ref.flag, by: input.by, reason: input.reason, workflowId: workflowId() });
      Context.current().log.warn('flag killed', { ...ref, by: input.by, reason: input.reason });
      return record;
    }),
    analyzeFlag: withFailures(async (input: AnalyzeFlagInput) => {
      parseWith(refSchema, { service: input.service, environment: input.environment, flag: input.flag }, 'analyzeFlag input');
      return analyzeFlag(input, prom, (d) => Context.current().heartbeat(d));
    }),
    readFlagPolicy: withFailures(policyAt),
    flagAnchor: withFailures(async (raw: FlagRef) => anchorOf(parseWith(refSchema, raw, 'flagAnchor input'))),
    killApprovers: withFailures(async (raw: FlagRef) => {
      const ref = parseWith(refSchema, raw, 'killApprovers input');
      return approversOf(await policyAt(await anchorOf(ref)));
    }),
  };
}

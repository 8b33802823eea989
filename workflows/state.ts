import { log, patched, setHandler, upsertSearchAttributes, workflowInfo, type CancellationScope } from '@temporalio/workflow';
import type { TargetRef } from '../model/activities';
import type { LeaseToken } from '../model/deploy';
import type { ApprovalRecord } from '../model/approval-rules';
import { releaseId } from '../model/names';
import type { Outcome, PipelineInput, PipelineState, Stage } from '../model/pipeline';
import type { Webhook } from '../model/notifications';
import type { LevelRule, PolicySnapshot } from '../model/policy-snapshot';
import type { RiskLevel } from '../model/risk';
import { DEFAULT_ROLLOUT_SETTINGS, type RolloutAndAnalysis } from './decisions';
import { abortedFailure } from './failures';
import { registerLockHandlers, type LockHold } from './lock-holder';
import { abortSignal, MAX_TRIGGER_ANSWERS, stateQuery, triggerUpdate, type AbortRequest } from './messages';
import { initialSearchAttributes, upsertOutcome, upsertStage } from './search-attributes';

/** What the approval validators need once the gate has opened (kept afterwards for `promote`). */
export interface GateInfo {
  snapshot: PolicySnapshot;
  level: RiskLevel;
  rule: LevelRule;
  imageDigest: string;
  open: boolean;
  decisions: ApprovalRecord[];
}

/** Everything one pipeline run knows; handlers write to it, the stages read it. */
export interface PipelineContext {
  input: PipelineInput;
  pipelineId: string;
  target: TargetRef;
  state: PipelineState;
  /** input author (as claimed) + every commit author in base..head: none of them may approve */
  authors: string[];
  /** The rollout's settings: airlock.yaml's at head once the change analysis has read it (rolloutSettingsFor). */
  settings: RolloutAndAnalysis;
  lock: LockHold;
  /** The lock holder the rollout's activities act for, once granted (patch `lock-lease`; rollout.ts). */
  lease?: LeaseToken;
  abort?: AbortRequest;
  /** the protected policy, once the change analysis read it (who may abort before the gate opens) */
  snapshot?: PolicySnapshot;
  /** the protected policy's webhooks (its `notifications:`), once the change analysis read it */
  webhooks?: Webhook[];
  gate?: GateInfo;
  promoteBy?: ApprovalRecord;
  /** a candidate exists: failures from here on roll back */
  deployed: boolean;
  /** a promotion's environment before the last: its `promoted` is not the pipeline's outcome (promotion.ts) */
  moreEnvironments?: boolean;
  /** why compensations run (the rollback activity records it) */
  rollbackReason?: string;
  /** the running analysis, cancelled by abort and promote */
  canaryScope?: CancellationScope;
  /**
   * The stack update after a promotion, running beside what follows it (patch `settle-beside-records`):
   * awaited before the environment's lock is released (lock-client.ts releaseLock, promotion.ts).
   */
  settling?: () => Promise<void>;
}

export function createContext(input: PipelineInput): PipelineContext {
  const { workflowId: pipelineId, runId } = workflowInfo();
  const target = { releaseId: releaseId(input.service, input.environment, input.headCommit), service: input.service, environment: input.environment };
  const state: PipelineState = {
    pipelineId,
    runId,
    releaseId: target.releaseId,
    service: input.service,
    environment: input.environment,
    headCommit: input.headCommit,
    author: input.author,
    stage: 'change-analysis',
    traffic: 0,
    analysis: [],
    compensations: [],
  };
  const ctx: PipelineContext = { input, pipelineId, target, state, authors: [input.author], settings: DEFAULT_ROLLOUT_SETTINGS, lock: { requested: false, granted: false }, deployed: false };
  setHandler(stateQuery, () => state);
  let answered = 0;
  setHandler(
    triggerUpdate,
    () => {
      answered += 1;
      return state;
    },
    {
      validator: () => {
        if (answered >= MAX_TRIGGER_ANSWERS) throw new Error(`this run answered ${MAX_TRIGGER_ANSWERS} triggers already: use the state query`);
      },
    },
  );
  registerLockHandlers(ctx.lock);
  // Pipelines started from this patch on stop only for a signed abort (update abortSigned, approval-gate.ts).
  const signedAbort = patched('signed-abort');
  setHandler(abortSignal, (req) => {
    if (signedAbort) {
      const ignored = (state.ignoredAborts ??= []);
      const entry = { by: String(req?.by).slice(0, 100), reason: String(req?.reason).slice(0, 200), at: new Date().toISOString() };
      if (ignored.length < 20) ignored.push(entry);
      return log.warn('unsigned abort signal ignored: use `airlock abort` (signed)', entry);
    }
    if (ctx.abort || state.stage === 'promote' || state.stage === 'done') return log.info('abort ignored', { stage: state.stage, ...req });
    ctx.abort = req;
    ctx.canaryScope?.cancel();
  });
  upsertSearchAttributes(initialSearchAttributes(input));
  upsertStage(state.stage);
  return ctx;
}

export function enterStage(ctx: PipelineContext, stage: Stage): void {
  if (ctx.state.stage === stage) return;
  ctx.state.stage = stage;
  upsertStage(stage);
  log.info('stage', { stage });
}

/** Runs one stage's work unless an abort came in first. */
export async function stage<T>(ctx: PipelineContext, name: Stage, work: () => Promise<T>): Promise<T> {
  if (ctx.abort) throw abortedFailure(ctx.abort);
  enterStage(ctx, name);
  return work();
}

export function finish(ctx: PipelineContext, outcome: Outcome): void {
  ctx.state.outcome = outcome;
  ctx.state.stage = 'done';
  upsertOutcome(outcome.kind);
  log.info('pipeline finished', { outcome });
}

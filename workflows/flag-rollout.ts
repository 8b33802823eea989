import { ActivityFailure, ApplicationFailure, condition, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { flagTally, reviewFlagApproval, type FlagApprovalContext } from '../model/flag-approval';
import type { FlagRolloutInput, FlagRolloutOutcome, FlagRolloutState } from '../model/flag-activities';
import { DEFAULT_FLAG_THRESHOLDS, flagStepProblems, type FlagThresholds, type VariantVerdict } from '../model/flag-rules';
import { routeByRole } from './activity-options';
import { flagActivities, flagAnalysis } from './flag-activities';
import { FLAG_EVIDENCE_PATCH, recordFlagChange } from './flag-evidence';
import { flagApproveUpdate, flagRolloutStateQuery } from './flag-messages';
import { releaseLockOf, waitForLock, type LockOwner } from './lock-client';
import { registerLockHandlers, type LockHold } from './lock-holder';

// `airlock flag rollout`: raises a flag's `fractional` share step by step under the environment lock, and
// at each step judges the `on` variant against thresholds and the `off` variant over the same window. A
// failed check is the kill switch: off for everyone, the reason recorded. A kill from outside (flagKill)
// is seen at the next write: the store refuses to raise a killed flag (FlagKilledError).

/** From this patch on the steps are judged by the thresholds of the environment's protected policy (`flags.thresholds`). */
export const FLAG_POLICY_THRESHOLDS_PATCH = 'flag-policy-thresholds';

/** Windows judged per step before a step without enough `on` requests counts as failed. */
const MAX_WINDOWS = 3;
const bounded = (v: number | undefined, min: number, max: number, fallback: number) => (v === undefined || !Number.isFinite(v) ? fallback : Math.min(Math.max(v, min), max));

export async function flagRollout(input: FlagRolloutInput): Promise<FlagRolloutOutcome> {
  const { service, environment, flag } = input;
  const state: FlagRolloutState = { service, environment, flag, stage: 'lock', share: 0, steps: input.steps, analysis: [] };
  setHandler(flagRolloutStateQuery, () => state);
  const lock: LockHold = { requested: false, granted: false };
  registerLockHandlers(lock);
  let approval: FlagApprovalContext | undefined;
  setHandler(
    flagApproveUpdate,
    (payload) => {
      const review = reviewFlagApproval(approval!, payload);
      if (!review.ok) throw ApplicationFailure.create({ type: 'FlagApprovalRefused', message: review.reason, nonRetryable: true });
      const record = { ...review.record, at: new Date().toISOString() };
      state.approvals = [...(state.approvals ?? []), record];
      approval = { ...approval!, decisions: state.approvals };
      const t = flagTally(approval.rule, state.approvals);
      return { approvals: t.approvals, needed: t.needed, missingGroups: t.missingGroups };
    },
    {
      validator: (payload) => {
        if (state.stage !== 'approval' || !approval) throw new Error(`flag rollout ${workflowInfo().workflowId} is not waiting for approval (stage ${state.stage})`);
        const review = reviewFlagApproval(approval, payload);
        if (!review.ok) throw new Error(review.reason);
      },
    },
  );
  const done = (outcome: FlagRolloutOutcome): FlagRolloutOutcome => {
    state.stage = 'done';
    state.outcome = outcome;
    return outcome;
  };

  // The steps are the caller's: re-checked here (a forged start cannot jump to 100).
  const problems = flagStepProblems(input.steps);
  if (problems.length) return done({ kind: 'refused', reason: problems.join('; ') });
  const windowMs = bounded(input.windowMs, 3000, 10 * 60_000, 10_000);
  const loadRps = bounded(input.loadRps, 0, 200, 20);
  await routeByRole(); // patch `queues-by-role`: the flag's share and analysis on the environment's target

  // The definition, from the code the environment runs (the worker reads it): refused before anything changes.
  let source;
  try {
    source = await flagActivities.loadFlagSource({ service, environment, flag });
  } catch (err) {
    return done({ kind: 'refused', reason: causeOf(err).message });
  }

  // a flag is as risky as the code it guards: medium and high wait for signed approvals (the policy's level rules)
  state.risk = source.risk ?? { level: 'low', reasons: [] };
  state.commit = source.anchor.commit;
  state.runId = workflowInfo().runId;
  if (state.risk.level !== 'low') {
    const snapshot = await flagActivities.readFlagPolicy(source.anchor);
    const rule = snapshot.levels[state.risk.level];
    const owner = source.definition.metadata?.owner;
    const authors = [input.requestedBy, typeof owner === 'string' ? owner : undefined].filter((a): a is string => !!a);
    const subject = { workflowId: workflowInfo().workflowId, runId: state.runId, service, environment, flag, level: state.risk.level, commit: state.commit, steps: input.steps };
    state.approvals = [];
    state.approvalsNeeded = rule.approvals;
    approval = { snapshot, rule, authors, decisions: [], subject };
    if (!flagTally(rule, []).satisfied) {
      state.stage = 'approval';
      const approved = await condition(() => flagTally(rule, state.approvals ?? []).satisfied, snapshot.approvalTimeoutMs);
      if (!approved) return done({ kind: 'refused', reason: `${state.risk.level}-risk flag change: not approved within ${Math.round(snapshot.approvalTimeoutMs / 60_000)} min (${state.risk.reasons.join('; ')})` });
    }
    state.stage = 'lock';
  }

  const owner: LockOwner = { service, environment, headCommit: `flag:${flag}`, lock };
  const leaseMs = input.steps.length * (windowMs * MAX_WINDOWS + 60_000) + 10 * 60_000;
  let outcome: FlagRolloutOutcome;
  try {
    await waitForLock(owner, leaseMs, () => false);
    if (lock.supersededBy) return done({ kind: 'refused', reason: `superseded by ${lock.supersededBy} while waiting for the environment lock` });
    state.stage = 'rollout';
    const thresholds = patched(FLAG_POLICY_THRESHOLDS_PATCH) && source.thresholds ? source.thresholds : DEFAULT_FLAG_THRESHOLDS;
    state.thresholds = thresholds;
    outcome = await raise(input, state, source.definition, source.routerPort, windowMs, loadRps, thresholds);
  } catch (err) {
    outcome = { kind: 'failed', cause: causeOf(err) };
  } finally {
    await releaseLockOf(owner);
  }
  // the flag changed (a share was written, or a write was tried): its steps and outcome go into the chain
  if (patched(FLAG_EVIDENCE_PATCH)) {
    state.evidence = await recordFlagChange(source.anchor, {
      service,
      environment,
      flag,
      change: 'rollout',
      ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
      ...(state.risk ? { risk: state.risk } : {}),
      ...(state.approvals ? { approvals: state.approvals } : {}),
      steps: input.steps,
      ...(state.thresholds ? { thresholds: state.thresholds } : {}),
      analysis: state.analysis,
      outcome,
    });
  }
  return done(outcome);
}

async function raise(
  input: FlagRolloutInput,
  state: FlagRolloutState,
  definition: Parameters<typeof flagActivities.setFlagShare>[0]['definition'],
  routerPort: number,
  windowMs: number,
  loadRps: number,
  thresholds: FlagThresholds,
): Promise<FlagRolloutOutcome> {
  const { service, environment, flag } = input;
  const ref = { service, environment, flag };
  const set = async (share: number, fresh: boolean): Promise<FlagRolloutOutcome | undefined> => {
    try {
      // startedAt: a kill made while this rollout was starting stops its first write too
      await flagActivities.setFlagShare({ ...ref, definition, share, fresh, startedAt: workflowInfo().startTime.toISOString() });
      state.share = share;
      return undefined;
    } catch (err) {
      const cause = causeOf(err);
      if (cause.type !== 'FlagKilledError') throw err;
      const details = (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.details?.[0] : undefined) as { by?: string; reason?: string } | undefined;
      state.share = 0;
      return { kind: 'killed', step: state.analysis.length ? state.analysis[state.analysis.length - 1]!.step : 0, share: 0, reason: details?.reason ?? cause.message, by: details?.by ?? 'unknown' };
    }
  };
  for (const [i, share] of input.steps.entries()) {
    const stopped = await set(share, i === 0);
    if (stopped) return stopped;
    let verdict: VariantVerdict | undefined;
    for (let w = 0; w < MAX_WINDOWS && verdict?.verdict !== 'pass' && verdict?.verdict !== 'fail'; w++) {
      verdict = await flagAnalysis.analyzeFlag({ ...ref, routerPort, windowMs, loadRps, loadPath: loadPathOf(definition), share, thresholds });
      state.analysis.push({ ...verdict, step: i + 1, share });
    }
    // too few `on` users at a small share to judge: the next, larger step judges; the last step must pass
    const last = i === input.steps.length - 1;
    if (verdict!.verdict === 'fail' || (last && verdict!.verdict !== 'pass')) {
      const reason = `step ${i + 1} (${share}%): ${verdict!.reasons.join('; ')}`;
      log.warn('flag check failed: kill switch', { ...ref, reason });
      await flagActivities.killFlag({ ...ref, by: 'airlock', reason });
      state.share = 0;
      return { kind: 'killed', step: i + 1, share, reason, by: 'airlock' };
    }
  }
  // confirmation: a kill during the last window leaves it off, and this says so
  const stopped = await set(100, false);
  return stopped ?? { kind: 'completed', share: 100 };
}

/** Where the flag is evaluated: its definition's metadata `path` (an absolute path), else `/`. */
function loadPathOf(definition: { metadata?: Record<string, string | number | boolean> }): string {
  const path = definition.metadata?.path;
  return typeof path === 'string' && /^\/[A-Za-z0-9._~\/-]{0,200}$/.test(path) ? path : '/';
}

function causeOf(err: unknown): { type: string; message: string } {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return { type: err.cause.type ?? 'ApplicationFailure', message: err.cause.message };
  if (err instanceof ApplicationFailure) return { type: err.type ?? 'ApplicationFailure', message: err.message };
  return { type: 'Error', message: err instanceof Error ? err.message : String(err) };
}

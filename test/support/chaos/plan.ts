// The chaos run's decisions, pure (test/unit/chaos-plan.test.ts): which faults to inject where, what
// outcome each run must end with, and the table of figures. The effects live in driver.ts and faults.ts.
import { STAGES, type OutcomeKind, type Stage } from '../../../model/pipeline';

/**
 * The chaos environments' p95 latency limit: generous, because the faults are what is measured, and a
 * good release on a loaded 2-core machine shared with other runs can exceed the usual 500 ms.
 */
export const CHAOS_LATENCY_MS = 3000;

/** Fault kinds, in the order of issue 19. */
export const FAULT_KINDS = ['kill-9', 'temporal-restart', 'dockerd-restart', 'prometheus-down', 'registry-down', 'disk-full'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The change a run deploys: a docs change (promoted on its own), a new endpoint (one approver), a bad release (rolled back). */
export type ChangeKind = 'docs' | 'endpoint' | 'bad';

/** Stages a worker can be killed in; `approval` is a wait for a person, `rollback` needs the bad release. */
export type KillStage = Exclude<Stage, 'done'>;
export const KILL_STAGES: readonly KillStage[] = STAGES.filter((s): s is KillStage => s !== 'done');

export interface FaultPlan {
  kind: FaultKind;
  /** The stage the fault waits for (it fires there, or at the first stage after it if that one was too short to see). */
  stage: Stage;
  change: ChangeKind;
  /** Random delay after the stage is seen, before the fault (ms). */
  delayMs: number;
  /** A run after the fault was removed (the disk has space again): it must end as if nothing happened. */
  recovery?: boolean;
}

/** A random source in [0, 1), injectable so that plans are reproducible (`--seed`). */
export type Random = () => number;

/** mulberry32: a small seeded generator, enough to spread delays (not for anything secret). */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Whether a pipeline in `stage` has reached `target` (or passed it: a stage too short for the poll to see). */
export function reached(stage: Stage, target: Stage): boolean {
  if (stage === 'done') return false;
  if (target === 'rollback') return stage === 'rollback';
  if (stage === 'rollback') return false;
  return STAGES.indexOf(stage) >= STAGES.indexOf(target);
}

/** The change that reaches a stage: the rollback only happens to a bad release, the approval wait only to a medium-risk one. */
export function changeFor(stage: Stage): ChangeKind {
  if (stage === 'rollback') return 'bad';
  if (stage === 'approval') return 'endpoint';
  return 'docs';
}

/**
 * `count` kill -9 runs that cover every stage of KILL_STAGES (in order, then round again) when count allows,
 * each with a random 0..2 s delay after the stage is seen.
 */
export function killPlans(count: number, random: Random, stages: readonly Stage[] = KILL_STAGES): FaultPlan[] {
  return Array.from({ length: count }, (_, i) => {
    const stage = stages[i % stages.length]!;
    return { kind: 'kill-9', stage, change: changeFor(stage), delayMs: Math.floor(random() * 2001) };
  });
}

/** The other faults of the long run: each on the stage issue 19 names for it. */
export function stackFaultPlans(random: Random): FaultPlan[] {
  const delay = () => Math.floor(random() * 2001);
  return [
    { kind: 'temporal-restart', stage: 'deploy', change: 'docs', delayMs: delay() },
    { kind: 'temporal-restart', stage: 'analysis', change: 'docs', delayMs: delay() },
    { kind: 'dockerd-restart', stage: 'analysis', change: 'docs', delayMs: delay() },
    { kind: 'prometheus-down', stage: 'analysis', change: 'docs', delayMs: 0 },
    { kind: 'registry-down', stage: 'build', change: 'docs', delayMs: 0 },
  ];
}

/**
 * The outcomes a run may end with and still be right. A kill or a Temporal restart must not change the
 * outcome at all. Missing data (Prometheus down, containers stopped by a dockerd restart) must never
 * promote: the rollout is rolled back, or fails with its compensations done. A registry that comes back
 * in time may still let the build succeed; otherwise the pipeline fails with the cause named.
 */
export function rightOutcomes(plan: Pick<FaultPlan, 'kind' | 'change' | 'recovery'>): OutcomeKind[] {
  const natural: OutcomeKind = plan.change === 'bad' ? 'rolled_back' : 'promoted';
  switch (plan.kind) {
    case 'kill-9':
    case 'temporal-restart':
      return [natural];
    case 'prometheus-down':
    case 'dockerd-restart':
      return ['rolled_back', 'failed'];
    case 'registry-down':
      return [natural, 'failed'];
    case 'disk-full':
      return plan.recovery ? [natural] : ['failed'];
  }
}

/** What the checks found after one run (invariants.ts). */
export interface RunResult {
  plan: FaultPlan;
  pipelineId: string;
  /** The stage the pipeline was in when the fault fired (undefined: it never fired, e.g. the pipeline ended first). */
  firedAt?: Stage;
  outcome?: OutcomeKind;
  /** Outcome detail for the report (failure cause, rollback reason). */
  detail?: string;
  /** No result within the time bound (the pipeline is still running or the history has no result). */
  lost: boolean;
  /** What shows a duplicate: more than one build, image or candidate set (empty when none). */
  duplicates: string[];
  /** Containers, networks, router servers or Pulumi locks not matching Pulumi's state (empty when none). */
  orphans: string[];
  /** Containers in Pulumi's state that are not running: wrong, except after a dockerd restart (no restart policy: reported). */
  stopped: string[];
  lockReleased: boolean;
  historyComplete: boolean;
  durationMs: number;
  /** An error of the driver itself (the run could not be judged). */
  error?: string;
}

export const isRight = (r: RunResult): boolean =>
  !r.error && !r.lost && r.outcome !== undefined && rightOutcomes(r.plan).includes(r.outcome) && r.duplicates.length === 0 && r.orphans.length === 0 && (r.stopped.length === 0 || r.plan.kind === 'dockerd-restart') && r.lockReleased && r.historyComplete;

export interface ChaosSummary {
  runs: number;
  faults: Record<string, number>;
  stages: Record<string, number>;
  right: number;
  wrong: number;
  lost: number;
  duplicated: number;
  orphans: number;
  lockHeld: number;
  historyIncomplete: number;
  notFired: number;
}

export function summarize(results: RunResult[]): ChaosSummary {
  const count = <K extends string>(keys: K[]) => keys.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});
  const fired = results.filter((r) => r.firedAt);
  return {
    runs: results.length,
    faults: count(fired.map((r) => r.plan.kind)),
    stages: count(fired.filter((r) => r.plan.kind === 'kill-9').map((r) => r.firedAt!)),
    right: results.filter(isRight).length,
    wrong: results.filter((r) => !isRight(r)).length,
    lost: results.filter((r) => r.lost).length,
    duplicated: results.filter((r) => r.duplicates.length > 0).length,
    orphans: results.filter((r) => r.orphans.length > 0).length,
    lockHeld: results.filter((r) => !r.lockReleased).length,
    historyIncomplete: results.filter((r) => !r.historyComplete).length,
    notFired: results.length - fired.length,
  };
}

/** Targets of issue 19: nothing lost, duplicated or orphaned, every run right, every fault fired. */
export const targetsMet = (s: ChaosSummary): boolean => s.runs > 0 && s.wrong === 0 && s.lost === 0 && s.duplicated === 0 && s.orphans === 0 && s.notFired === 0;

const pad = (s: string, n: number) => s.padEnd(n);

/** The table the bench prints: totals, then one line per run. */
export function formatTable(results: RunResult[]): string[] {
  const s = summarize(results);
  const kv = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
  const lines = [
    `runs                 ${s.runs}`,
    `faults by kind       ${kv(s.faults)}`,
    `kill -9 by stage     ${kv(s.stages)}`,
    `outcome right/wrong  ${s.right}/${s.wrong}`,
    `lost                 ${s.lost}`,
    `duplicated           ${s.duplicated}`,
    `orphans              ${s.orphans}`,
    `lock not released    ${s.lockHeld}`,
    `history incomplete   ${s.historyIncomplete}`,
    `fault did not fire   ${s.notFired}`,
    '',
    `${pad('#', 3)} ${pad('fault', 17)} ${pad('stage', 17)} ${pad('fired at', 17)} ${pad('outcome', 12)} ${pad('ok', 3)} ${pad('s', 5)} notes`,
  ];
  results.forEach((r, i) => {
    const notes = [r.plan.recovery && 'after the fault', r.error, r.lost && 'LOST', ...r.duplicates.map((d) => `dup: ${d}`), ...r.orphans.map((o) => `orphan: ${o}`), ...r.stopped.map((o) => `stopped: ${o}`), !r.lockReleased && 'lock held', !r.historyComplete && 'history incomplete', r.detail]
      .filter(Boolean)
      .join('; ');
    lines.push(
      `${pad(String(i + 1), 3)} ${pad(r.plan.kind, 17)} ${pad(r.plan.stage, 17)} ${pad(r.firedAt ?? '-', 17)} ${pad(r.outcome ?? '-', 12)} ${pad(isRight(r) ? 'yes' : 'NO', 3)} ${pad(String(Math.round(r.durationMs / 1000)), 5)} ${notes.slice(0, 160)}`,
    );
  });
  return lines;
}

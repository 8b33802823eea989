// The chaos run's pure decisions: which stages the kill -9 runs cover, what outcome counts as right
// for each fault, when a run is right, and the figures of the table.
import { formatTable, isRight, killPlans, KILL_STAGES, reached, rightOutcomes, seeded, stackFaultPlans, summarize, targetsMet, type RunResult } from '../support/chaos/plan';

const ok = (over: Partial<RunResult> = {}): RunResult => ({
  plan: { kind: 'kill-9', stage: 'build', change: 'docs', delayMs: 0 },
  pipelineId: 'airlock/demo/e2e/abc',
  firedAt: 'build',
  outcome: 'promoted',
  lost: false,
  duplicates: [],
  orphans: [],
  stopped: [],
  lockReleased: true,
  historyComplete: true,
  durationMs: 1000,
  ...over,
});

describe('killPlans', () => {
  it('covers every stage, with the change that reaches it, once 12 runs are asked for', () => {
    const plans = killPlans(20, seeded(1));
    expect(new Set(plans.map((p) => p.stage))).toEqual(new Set(KILL_STAGES));
    expect(plans.find((p) => p.stage === 'rollback')!.change).toBe('bad');
    expect(plans.find((p) => p.stage === 'approval')!.change).toBe('endpoint');
    expect(plans.every((p) => p.delayMs >= 0 && p.delayMs <= 2000 && Number.isInteger(p.delayMs))).toBe(true);
  });

  it('is reproducible from its seed', () => {
    expect(killPlans(5, seeded(7))).toEqual(killPlans(5, seeded(7)));
    expect(stackFaultPlans(seeded(7)).map((p) => p.kind)).toEqual(['temporal-restart', 'temporal-restart', 'dockerd-restart', 'prometheus-down', 'registry-down']);
  });
});

describe('reached', () => {
  it('fires at the stage or a later one the poll saw first, never at done, rollback only in rollback', () => {
    expect(reached('build', 'build')).toBe(true);
    expect(reached('scan', 'risk')).toBe(true);
    expect(reached('change-analysis', 'build')).toBe(false);
    expect(reached('done', 'promote')).toBe(false);
    expect(reached('promote', 'rollback')).toBe(false);
    expect(reached('rollback', 'rollback')).toBe(true);
    expect(reached('rollback', 'promote')).toBe(false);
  });
});

describe('rightOutcomes and isRight', () => {
  it('a kill or a Temporal restart must not change the outcome; missing metrics never promote', () => {
    expect(rightOutcomes({ kind: 'kill-9', change: 'bad' })).toEqual(['rolled_back']);
    expect(rightOutcomes({ kind: 'temporal-restart', change: 'docs' })).toEqual(['promoted']);
    expect(rightOutcomes({ kind: 'prometheus-down', change: 'docs' })).not.toContain('promoted');
    expect(rightOutcomes({ kind: 'dockerd-restart', change: 'docs' })).not.toContain('promoted');
    expect(rightOutcomes({ kind: 'disk-full', change: 'docs' })).toEqual(['failed']);
    expect(rightOutcomes({ kind: 'disk-full', change: 'docs', recovery: true })).toEqual(['promoted']);
  });

  it('any lost, duplicated, orphaned, locked or incomplete run is wrong', () => {
    expect(isRight(ok())).toBe(true);
    for (const bad of [{ lost: true }, { duplicates: ['2 builds'] }, { orphans: ['container x'] }, { stopped: ['c'] }, { lockReleased: false }, { historyComplete: false }, { outcome: 'rolled_back' as const }, { error: 'x' }])
      expect(isRight(ok(bad))).toBe(false);
    expect(isRight(ok({ plan: { kind: 'dockerd-restart', stage: 'analysis', change: 'docs', delayMs: 0 }, outcome: 'rolled_back', stopped: ['stable stopped'] }))).toBe(true);
  });
});

describe('summarize and formatTable', () => {
  it('counts faults by kind, kills by stage, and the targets', () => {
    const results = [ok(), ok({ firedAt: 'scan', duplicates: ['x'] }), ok({ plan: { kind: 'prometheus-down', stage: 'analysis', change: 'docs', delayMs: 0 }, firedAt: 'analysis', outcome: 'rolled_back' }), ok({ firedAt: undefined })];
    const s = summarize(results);
    expect(s).toMatchObject({ runs: 4, faults: { 'kill-9': 2, 'prometheus-down': 1 }, stages: { build: 1, scan: 1 }, right: 3, wrong: 1, duplicated: 1, notFired: 1 });
    expect(targetsMet(s)).toBe(false);
    expect(targetsMet(summarize([ok()]))).toBe(true);
    const table = formatTable(results).join('\n');
    expect(table).toMatch(/outcome right\/wrong\s+3\/1/);
    expect(table).toMatch(/dup: x/);
  });
});

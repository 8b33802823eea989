import { shiftThenAnalyze } from '../../activities/deploy/shift-traffic';
import { analyzeCanary } from '../../activities/monitor/canary-analysis';
import type { ResolvedDeps } from '../../activities/deploy/deps';
import { InvalidInputError } from '../../model/parse';
import { canaryAnalysisSchema } from '../../model/manifest';
import type { AnalyzeStep, CanaryVerdict, ShiftInput, ShiftResult } from '../../model/deploy';

// The `analyze` activity of patch `shift-in-analysis`: with `shift: true` it first moves the candidate to the
// step's weight exactly as shiftTraffic does (same input, same lease), then analyzes. The move must come first
// (an analysis at the old weight would judge the wrong split), a failed move must stop it before any analysis,
// and without `shift` nothing moves and the analysis never sees a lease.

const settings = canaryAnalysisSchema.parse({ interval: '2s', checks: 3 });
const LEASE = { pipelineId: 'airlock/shop/prod/abc', runId: 'run-1' };
const input = (extra: Record<string, unknown> = {}) => ({ releaseId: 'shop-prod-bbbbbbbbbbbb', service: 'shop', environment: 'prod', step: 10, settings, ...extra });

function parts(opts: { moveFails?: Error } = {}) {
  const order: string[] = [];
  const moves: ShiftInput[] = [];
  const analyses: AnalyzeStep[] = [];
  const shift = async (i: ShiftInput): Promise<ShiftResult> => {
    order.push(`shift(${i.weight})`);
    moves.push(i);
    if (opts.moveFails) throw opts.moveFails;
    return { releaseId: i.releaseId, weight: i.weight, servers: { [`${i.releaseId}-1`]: i.weight, 'stable-1': 100 - i.weight } };
  };
  const analyze = async (i: AnalyzeStep): Promise<CanaryVerdict> => {
    order.push(`analyze(${i.step})`);
    analyses.push(i);
    return { step: i.step, verdict: 'pass', measurements: [] };
  };
  return { run: shiftThenAnalyze(shift, analyze), order, moves, analyses };
}

test('shift: true moves to the step\'s weight with the lease, then analyzes without them; the verdict records the move', async () => {
  const p = parts();
  const before = Date.now();
  const verdict = await p.run(input({ shift: true, lease: LEASE }));
  expect(p.order).toEqual(['shift(10)', 'analyze(10)']);
  // what shiftTraffic was asked before the patch, for the same step
  expect(p.moves).toEqual([{ releaseId: 'shop-prod-bbbbbbbbbbbb', service: 'shop', environment: 'prod', weight: 10, lease: LEASE }]);
  expect(p.analyses).toEqual([{ releaseId: 'shop-prod-bbbbbbbbbbbb', service: 'shop', environment: 'prod', step: 10, settings }]);
  expect(verdict).toMatchObject({ step: 10, verdict: 'pass', traffic: { releaseId: 'shop-prod-bbbbbbbbbbbb', weight: 10, servers: { 'shop-prod-bbbbbbbbbbbb-1': 10, 'stable-1': 90 } } });
  expect(Date.parse(verdict.traffic!.at)).toBeGreaterThanOrEqual(before);
  expect(verdict.traffic!.ms).toBeGreaterThanOrEqual(0);
});

test('without shift nothing moves: the analysis alone, no traffic in the verdict', async () => {
  const p = parts();
  const verdict = await p.run(input({ step: 100 }));
  expect(p.order).toEqual(['analyze(100)']);
  expect(verdict.traffic).toBeUndefined();
});

test('a move that fails (a lost lease) fails the activity before anything is analyzed', async () => {
  const p = parts({ moveFails: new Error('the environment lock no longer names this run') });
  await expect(p.run(input({ shift: true, lease: LEASE }))).rejects.toThrow('no longer names this run');
  expect(p.order).toEqual(['shift(10)']);
});

test.each([
  ['a lease without shift', { lease: LEASE }, 'lease'],
  ['shift: false', { shift: false }, 'shift'],
  ['a weight above 100', { shift: true, step: 101 }, 'step'],
  ['an unknown field', { shift: true, weight: 50 }, 'weight'],
])('bad input (%s) is refused naming the field, and nothing moves', async (_name, extra, field) => {
  const p = parts();
  const err = await p.run(input(extra)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidInputError);
  expect((err as Error).message).toContain(field);
  expect(p.order).toEqual([]);
});

test('the analysis alone refuses shift: true instead of skipping the move', async () => {
  const analyze = analyzeCanary({} as ResolvedDeps);
  const err = await analyze(input({ shift: true })).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidInputError);
  expect((err as Error).message).toMatch(/shift: the traffic move is made by shiftThenAnalyze/);
});

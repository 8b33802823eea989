import { MAIN_PORT_MAX_FACTOR, mainPortRps, pathPicker } from '../../activities/monitor/load';
import type { LoadPath } from '../../model/manifest';
import { seeded } from '../support/chaos/plan';

// The synthetic load's path order: exact shares per cycle, and no correlation with the router's own
// round-robin (a fixed order in step with two alternating servers compares the releases on different mixes).

const DEMO: LoadPath[] = [
  { path: '/', method: 'GET', weight: 3 },
  { path: '/api/ping', method: 'GET', weight: 1 },
  { path: '/healthz', method: 'GET', weight: 1 },
  { path: '/api/entries', method: 'GET', weight: 1 }, // 401 without a token
];

test('every cycle of sum(weights) requests holds each path exactly its weight', () => {
  const next = pathPicker(DEMO, seeded(7));
  for (let c = 0; c < 50; c++) {
    const cycle = Array.from({ length: 6 }, () => next().path);
    expect(cycle.filter((p) => p === '/')).toHaveLength(3);
    for (const p of ['/api/ping', '/healthz', '/api/entries']) expect(cycle.filter((x) => x === p)).toHaveLength(1);
  }
});

test('two servers taking turns (the router at 50%) each get the 401 path at its share, not all or nothing', () => {
  const next = pathPicker(DEMO, seeded(42));
  const entries = [0, 0];
  const n = 6000;
  for (let i = 0; i < n; i++) if (next().path === '/api/entries') entries[i % 2]! += 1;
  // each server gets half of the requests; 1/6 of each half should be /api/entries (a fixed order gave 0 and 1/3)
  for (const e of entries) expect(e / (n / 2)).toBeCloseTo(1 / 6, 1);
});

test("the main port's rate gives stable loadRps at every canary weight, raised at most MAIN_PORT_MAX_FACTOR times", () => {
  const stableShare = (step: number) => (mainPortRps(20, step) * (100 - step)) / 100;
  for (const step of [10, 25, 50, 75]) expect(stableShare(step)).toBeCloseTo(20, 6);
  expect(mainPortRps(20, 50)).toBe(40);
  expect(mainPortRps(20, 90)).toBe(20 * MAIN_PORT_MAX_FACTOR);
  // no split: blue-green before the switch (all to stable) and 100% (stable gets nothing anyway)
  expect(mainPortRps(20, 0)).toBe(20);
  expect(mainPortRps(20, 100)).toBe(20);
  expect(mainPortRps(900, 50)).toBe(1000);
});

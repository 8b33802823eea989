import { pathPicker } from '../../activities/monitor/load';
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

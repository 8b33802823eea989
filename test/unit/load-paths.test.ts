import { pathPicker } from '../../activities/monitor/load';
import type { LoadPath } from '../../model/manifest';

// The synthetic load's path order: exact shares per cycle, and no correlation with the router's own
// round-robin (a fixed order in step with two alternating servers compares the releases on different mixes).

const DEMO: LoadPath[] = [
  { path: '/', method: 'GET', weight: 3 },
  { path: '/api/ping', method: 'GET', weight: 1 },
  { path: '/healthz', method: 'GET', weight: 1 },
  { path: '/api/entries', method: 'GET', weight: 1 }, // 401 without a token
];

/** A small seeded PRNG (mulberry32): the test is the same every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

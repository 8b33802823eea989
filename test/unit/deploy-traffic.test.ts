import { effectivePercent, MAX_SERVER_WEIGHT, serverWeights } from '../../infra/deploy/traffic';

describe('serverWeights', () => {
  it('splits 10% to one candidate server against two stable ones', () => {
    const w = serverWeights({ stable: ['s1', 's2'], candidate: ['c1'], candidatePercent: 10 });
    expect(w.s1).toBe(w.s2);
    expect(effectivePercent(w, ['c1'])).toBeCloseTo(10, 1);
  });

  const mix = (rs: number, rc: number) => ({
    stable: Array.from({ length: rs }, (_, i) => `s${i}`),
    candidate: Array.from({ length: rc }, (_, i) => `c${i}`),
  });

  it.each([1, 5, 10, 25, 50, 75, 90, 99])('stays within a quarter point of %i%% for one to three replicas a side', (p) => {
    for (const rs of [1, 2, 3]) {
      for (const rc of [1, 2, 3]) {
        const { stable, candidate } = mix(rs, rc);
        const share = effectivePercent(serverWeights({ stable, candidate, candidatePercent: p }), candidate);
        expect(Math.abs(share - p)).toBeLessThan(0.25);
      }
    }
  });

  it('stays within half a point for lopsided mixes where weights 1..256 can express the split', () => {
    for (const p of [10, 50, 90]) {
      for (const [rs, rc] of [[10, 1], [1, 10], [7, 3]] as const) {
        const { stable, candidate } = mix(rs, rc);
        const w = serverWeights({ stable, candidate, candidatePercent: p });
        expect(Math.abs(effectivePercent(w, candidate) - p)).toBeLessThan(0.5);
        for (const v of Object.values(w)) expect(v).toBeGreaterThanOrEqual(1);
        for (const v of Object.values(w)) expect(v).toBeLessThanOrEqual(MAX_SERVER_WEIGHT);
      }
    }
  });

  it('is limited by the weight floor of 1: 99% to one server against ten gets 256 vs 10 x 1', () => {
    const { stable, candidate } = mix(10, 1);
    const w = serverWeights({ stable, candidate, candidatePercent: 99 });
    expect(w).toMatchObject({ c0: 256, s0: 1 });
    expect(effectivePercent(w, candidate)).toBeCloseTo(96.24, 1);
  });

  it('gives a side with no share weight 0 (no new requests) and the other side full weight', () => {
    expect(serverWeights({ stable: ['s1'], candidate: ['c1', 'c2'], candidatePercent: 0 })).toEqual({ s1: 256, c1: 0, c2: 0 });
    expect(serverWeights({ stable: ['s1'], candidate: ['c1', 'c2'], candidatePercent: 100 })).toEqual({ s1: 0, c1: 256, c2: 256 });
  });

  it('without a stable release the candidate takes all or nothing', () => {
    expect(serverWeights({ stable: [], candidate: ['c1'], candidatePercent: 0 })).toEqual({ c1: 0 });
    expect(serverWeights({ stable: [], candidate: ['c1'], candidatePercent: 10 })).toEqual({ c1: 256 });
  });

  it('without a candidate the stable release takes everything', () => {
    expect(serverWeights({ stable: ['s1', 's2'], candidate: [], candidatePercent: 50 })).toEqual({ s1: 256, s2: 256 });
  });

  it('refuses shares outside 0..100', () => {
    expect(() => serverWeights({ stable: ['s'], candidate: ['c'], candidatePercent: 101 })).toThrow(/0..100/);
    expect(() => serverWeights({ stable: ['s'], candidate: ['c'], candidatePercent: Number.NaN })).toThrow(/0..100/);
  });
});

describe('effectivePercent', () => {
  it('is 0 when every weight is 0', () => {
    expect(effectivePercent({ a: 0, b: 0 }, ['a'])).toBe(0);
  });
});

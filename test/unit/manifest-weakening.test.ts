import { manifestSchema, type Manifest } from '../../model/manifest';
import { manifestWeakenings, weakeningText } from '../../model/manifest-weakening';

const manifest = (environments: Record<string, unknown>): Manifest =>
  manifestSchema.parse({ service: 'shop', build: {}, run: { port: 8080, health: '/health' }, environments });

const prod = {
  routerPort: 18080,
  rollout: { strategy: 'canary', steps: [10, 50, 100] },
  analysis: { interval: '5s', checks: 3, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 20 },
};
const base = manifest({ prod });
const texts = (head: Manifest, from = base) => manifestWeakenings(from, head).map(weakeningText);
const withProd = (change: { rollout?: unknown; analysis?: Partial<typeof prod.analysis> }) =>
  manifest({ prod: { ...prod, ...(change.rollout ? { rollout: change.rollout } : {}), analysis: { ...prod.analysis, ...change.analysis } } });

test('the attack: one step of 100 and no success-rate floor, each field named with both values', () => {
  expect(texts(withProd({ rollout: { strategy: 'canary', steps: [100] }, analysis: { minSuccessRate: 0 } }))).toEqual([
    'environments.prod.rollout.steps: [10, 50, 100] -> [100]',
    'environments.prod.analysis.minSuccessRate: 0.99 -> 0',
  ]);
});

test.each([
  ['a bigger first step', { rollout: { strategy: 'canary', steps: [25, 50, 100] } }, 'environments.prod.rollout.steps: [10, 50, 100] -> [25, 50, 100]'],
  ['fewer steps', { rollout: { strategy: 'canary', steps: [10, 100] } }, 'environments.prod.rollout.steps: [10, 50, 100] -> [10, 100]'],
  ['canary -> blue-green', { rollout: { strategy: 'blue-green' } }, 'environments.prod.rollout.strategy: canary -> blue-green'],
  ['a shorter interval', { analysis: { interval: '500ms' } }, 'environments.prod.analysis.interval: 5s -> 500ms'],
  ['fewer checks', { analysis: { checks: 1 } }, 'environments.prod.analysis.checks: 3 -> 1'],
  ['a higher failure limit', { analysis: { failureLimit: 3 } }, 'environments.prod.analysis.failureLimit: 1 -> 3'],
  ['a lower success rate', { analysis: { minSuccessRate: 0.9 } }, 'environments.prod.analysis.minSuccessRate: 0.99 -> 0.9'],
  ['a higher latency threshold', { analysis: { maxLatencyP95Ms: 5000 } }, 'environments.prod.analysis.maxLatencyP95Ms: 500 -> 5000'],
  ['a bigger allowed drop', { analysis: { maxSuccessRateDrop: 0.5 } }, 'environments.prod.analysis.maxSuccessRateDrop: 0.02 -> 0.5'],
  ['no synthetic load', { analysis: { loadRps: 0 } }, 'environments.prod.analysis.loadRps: 20 -> 0'],
])('weaker: %s', (_what, change, text) => {
  expect(texts(withProd(change as Parameters<typeof withProd>[0]))).toEqual([text]);
});

test('removing the analysis block falls back to the defaults: weaker only where they are laxer', () => {
  const strict = manifest({ prod: { ...prod, analysis: { ...prod.analysis, minSuccessRate: 0.999, maxLatencyP95Ms: 200 } } });
  const bare = manifest({ prod: { routerPort: 18080 } });
  expect(texts(bare, strict)).toEqual(['environments.prod.analysis.minSuccessRate: 0.999 -> 0.99', 'environments.prod.analysis.maxLatencyP95Ms: 200 -> 500']);
});

test.each([
  ['unchanged', {}],
  ['more steps', { rollout: { strategy: 'canary', steps: [5, 10, 50, 100] } }],
  ['a smaller first step, same count', { rollout: { strategy: 'canary', steps: [5, 50, 100] } }],
  ['stricter thresholds, longer analysis', { analysis: { interval: '10s', checks: 5, minSuccessRate: 0.999, maxLatencyP95Ms: 300, maxSuccessRateDrop: 0.01, loadRps: 50 } }],
])('not weaker: %s', (_what, change) => {
  expect(texts(withProd(change as Parameters<typeof withProd>[0]))).toEqual([]);
});

test('blue-green -> canary is not weaker; a new environment has nothing to compare; every shared environment is compared', () => {
  const blueGreen = manifest({ prod: { ...prod, rollout: { strategy: 'blue-green' } } });
  expect(texts(base, blueGreen)).toEqual([]);
  expect(texts(manifest({ prod, canary: { routerPort: 18081, rollout: { strategy: 'canary', steps: [100] } } }))).toEqual([]);
  const two = manifest({ prod, staging: { ...prod, routerPort: 18081 } });
  const laxer = manifest({ prod: { ...prod, analysis: { ...prod.analysis, checks: 1 } }, staging: { ...prod, routerPort: 18081, rollout: { strategy: 'blue-green' } } });
  expect(texts(laxer, two)).toEqual(['environments.prod.analysis.checks: 3 -> 1', 'environments.staging.rollout.strategy: canary -> blue-green']);
});

// Properties over random settings (a seeded generator: the same cases every run).
describe('properties', () => {
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const randomEnv = () => {
    const canary = rand() < 0.8;
    const steps = [...new Set([pick([1, 5, 10, 20]), pick([30, 50]), pick([60, 80]), 100])].filter(() => rand() < 0.7).concat(100);
    return {
      routerPort: 18080,
      rollout: canary ? { strategy: 'canary', steps: [...new Set(steps)].sort((a, b) => a - b) } : { strategy: 'blue-green' },
      analysis: {
        interval: pick(['500ms', '1s', '5s', '1m']),
        checks: pick([1, 2, 3, 10]),
        failureLimit: pick([1, 2, 5]),
        minSuccessRate: pick([0, 0.9, 0.99, 0.999]),
        maxLatencyP95Ms: pick([100, 500, 5000]),
        maxSuccessRateDrop: pick([0, 0.02, 0.5]),
        loadRps: pick([0, 5, 20]),
      },
    };
  };
  const cases = Array.from({ length: 300 }, () => [manifest({ prod: randomEnv() }), manifest({ prod: randomEnv() })] as const);

  test('a manifest never weakens itself', () => {
    for (const [m] of cases) expect(manifestWeakenings(m, m)).toEqual([]);
  });

  test('each reported field differs, and names the base value first', () => {
    for (const [a, b] of cases) {
      for (const w of manifestWeakenings(a, b)) {
        expect(w.from).not.toBe(w.to);
        expect(w.field).toMatch(/^environments\.prod\.(rollout\.(steps|strategy)|analysis\.\w+)$/);
      }
    }
  });

  test('weaker one way means not weaker the other way for the same analysis field', () => {
    for (const [a, b] of cases) {
      const there = new Set(manifestWeakenings(a, b).map((w) => w.field).filter((f) => f.includes('.analysis.')));
      const back = manifestWeakenings(b, a).map((w) => w.field);
      for (const f of back) expect(there.has(f)).toBe(false);
    }
  });
});

describe('the statistical analysis settings (issue 14)', () => {
  const check = { name: 'queue', query: 'max(q{r="{{release}}"})', max: 10 };
  const strict = manifest({ prod: { ...prod, analysis: { ...prod.analysis, load: [{ path: '/api/entries' }, { path: '/' }], metrics: [check] } } });
  const edit = (analysis: object) => manifest({ prod: { ...prod, analysis: { ...prod.analysis, load: [{ path: '/api/entries' }, { path: '/' }], metrics: [check], ...analysis } } });

  test.each([
    ['fewer requests needed', { minRequests: 5 }, 'environments.prod.analysis.minRequests: 50 -> 5'],
    ['a lower confidence', { confidence: 0.6 }, 'environments.prod.analysis.confidence: 0.95 -> 0.6'],
    ['a laxer auth comparison', { maxAuthRefusalChange: 0.5 }, 'environments.prod.analysis.maxAuthRefusalChange: 0.05 -> 0.5'],
    ['a laxer 4xx comparison', { maxClientErrorChange: 0.9 }, 'environments.prod.analysis.maxClientErrorChange: 0.1 -> 0.9'],
    ['a load path dropped', { load: [{ path: '/' }] }, 'environments.prod.analysis.load: [GET /api/entries, GET /] -> [GET /]'],
    ['a custom check removed', { metrics: [] }, 'environments.prod.analysis.metrics: [queue] -> []'],
    ['a custom bound loosened', { metrics: [{ ...check, max: 1000 }] }, 'environments.prod.analysis.metrics: [queue] -> [queue]'],
    ['a custom query changed', { metrics: [{ ...check, query: 'vector(0)' }] }, 'environments.prod.analysis.metrics: [queue] -> [queue]'],
    ['no data no longer counting', { metrics: [{ ...check, failOnNoData: false }] }, 'environments.prod.analysis.metrics: [queue] -> [queue]'],
  ])('weaker: %s', (_what, change, text) => {
    expect(texts(edit(change), strict)).toEqual([text]);
  });

  test('the default load replaced by one that no longer asks / is weaker (the author picks what gets exercised)', () => {
    const plain = manifest({ prod });
    const healthOnly = manifest({ prod: { ...prod, analysis: { ...prod.analysis, load: [{ path: '/health' }] } } });
    expect(texts(healthOnly, plain)).toEqual(['environments.prod.analysis.load: default -> [GET /health]']);
    expect(texts(manifest({ prod: { ...prod, analysis: { ...prod.analysis, load: [{ path: '/' }, { path: '/api' }] } } }), plain)).toEqual([]);
  });

  test('stricter or added: not weaker', () => {
    expect(texts(edit({ minRequests: 100, confidence: 0.99, evidenceWait: '5s', load: [{ path: '/api/entries' }, { path: '/' }, { path: '/x' }], metrics: [{ ...check, max: 5 }, { name: 'more', query: 'vector(1)', min: 1 }] }), strict)).toEqual([]);
  });
});

test('security.endpoints: an endpoint dropped, or auth required -> public, is a weakening; adding or tightening is not', () => {
  const withSecurity = (endpoints: unknown[]) =>
    manifestSchema.parse({ service: 'shop', build: {}, run: { port: 8080, health: '/health' }, environments: { prod }, security: { endpoints } });
  const before = withSecurity([{ path: '/api/orders', auth: 'required' }, { path: '/api/orders', method: 'POST', auth: 'required' }, { path: '/', auth: 'public' }]);
  expect(texts(withSecurity([{ path: '/api/orders', auth: 'public' }, { path: '/', auth: 'public' }]), before)).toEqual([
    'security.endpoints[GET /api/orders].auth: required -> public',
    'security.endpoints[POST /api/orders]: auth: required -> not declared',
  ]);
  expect(texts(base, before)).toHaveLength(3); // the whole block removed: nothing is probed any more
  expect(texts(before, base)).toEqual([]);
  expect(texts(withSecurity([{ path: '/api/orders', auth: 'required' }, { path: '/api/orders', method: 'POST', auth: 'required' }, { path: '/', auth: 'required' }]), before)).toEqual([]);
});

describe('promotion gates (issue 15)', () => {
  const promo = (promotion: string[] | undefined, staging: Record<string, unknown>) =>
    manifestSchema.parse({ service: 'shop', build: {}, run: { port: 8080, health: '/health' }, environments: { staging: { routerPort: 18081, ...staging }, prod }, ...(promotion ? { promotion } : {}) });
  const from = promo(['staging', 'prod'], { soak: '10m', approvals: 'medium' });

  test('dropping an environment from the promotion, a shorter soak, a lower or inherited approval rule are weaker', () => {
    expect(texts(promo(['prod'], { soak: '1m', approvals: 'low' }), from)).toEqual([
      'environments.staging.soak: 10m -> 1m',
      'environments.staging.approvals: medium -> low',
      'promotion: [staging, prod] -> [prod]',
    ]);
    expect(texts(promo(undefined, { soak: '10m', approvals: 'inherit' }), from)).toEqual(['environments.staging.approvals: medium -> inherit', 'promotion: [staging, prod] -> default']);
  });

  test('a longer soak, a higher fixed approval level, an added environment are not', () => {
    expect(texts(promo(['staging', 'prod'], { soak: '1h', approvals: 'high' }), from)).toEqual([]);
  });
});

import { manifestSchema } from '../../model/manifest';
import { parseWith } from '../../model/parse';
import { approvalLevelIn, commitReleaseId, promotionPlan, soakCheckEveryMs } from '../../model/promotion';
import { durationMs } from '../../model/duration';

// airlock.yaml's `promotion:` and per-environment `soak`/`approvals`, and the plan a pipeline follows.

const env = (port: number, extra: Record<string, unknown> = {}) => ({ routerPort: port, ...extra });
const raw = (environments: Record<string, unknown>, promotion?: unknown) => ({
  service: 'shop',
  build: {},
  run: { port: 8080, health: '/healthz' },
  environments,
  ...(promotion !== undefined ? { promotion } : {}),
});
const parse = (m: unknown) => parseWith(manifestSchema, m, 'airlock.yaml');
const problems = (m: unknown): string[] => {
  try {
    parse(m);
    return [];
  } catch (err) {
    return (err as { problems?: string[]; message: string }).problems ?? [(err as Error).message];
  }
};

describe('schema', () => {
  test('a promotion over known environments with soaks and approval rules parses', () => {
    const m = parse(raw({ staging: env(18081, { soak: '10m', approvals: 'low' }), production: env(18082, { soak: '1h', approvals: 'inherit' }) }, ['staging', 'production']));
    expect(m.promotion).toEqual(['staging', 'production']);
    expect(m.environments.staging!.soak).toBe('10m');
    expect(durationMs('1h')).toBe(3_600_000);
  });

  test('unknown environment, a repeat (cycle), a soak out of range or malformed, an unknown approval rule: path: message', () => {
    const text = (m: unknown) => problems(m).join('\n');
    expect(text(raw({ staging: env(18081) }, ['staging', 'prod']))).toMatch(/promotion\.1: unknown environment prod \(environments: staging\)/);
    expect(text(raw({ staging: env(18081), production: env(18082) }, ['staging', 'production', 'staging']))).toMatch(/promotion\.2: staging is already at position 0: a promotion is an order without repeats \(no cycles\)/);
    expect(text(raw({ staging: env(18081, { soak: '25h' }) }))).toMatch(/environments\.staging\.soak: must be at most 24h/);
    expect(text(raw({ staging: env(18081, { soak: '10 minutes' }) }))).toMatch(/environments\.staging\.soak: must be a duration like 30s, 10m or 2h/);
    expect(text(raw({ staging: env(18081, { approvals: 'none' }) }))).toMatch(/environments\.staging\.approvals: /);
    expect(text(raw({ staging: env(18081) }, []))).toMatch(/promotion: /);
  });
});

describe('promotionPlan', () => {
  const protectedManifest = parse(raw({ staging: env(18081, { soak: '10m', approvals: 'low' }), production: env(18082, { soak: '5m' }) }, ['staging', 'production']));
  const plan = (head: unknown, to = 'production', anchor: unknown = protectedManifest) =>
    promotionPlan({ head: parse(head), headSource: 'airlock.yaml at head', ...(anchor ? { anchor: parse(anchor), anchorSource: 'airlock.yaml at anchor' } : {}), to });

  test('the order up to the target, with soaks and approval rules', () => {
    const { plan: p } = plan(protectedManifest);
    expect(p!.environments.map((s) => [s.environment, s.soak, s.approvals])).toEqual([
      ['staging', '10m', { override: 'low', floor: 'low' }],
      ['production', '5m', {}],
    ]);
    expect(p!.from).toBe('airlock.yaml at anchor');
    expect(p!.ignored).toEqual([]);
    expect(plan(protectedManifest, 'staging').plan!.environments.map((s) => s.environment)).toEqual(['staging']);
    expect(plan(protectedManifest, 'dev').plan).toBeUndefined(); // not in the promotion: a single-environment pipeline
  });

  test('attack: the change drops staging, shortens soaks and lowers approvals: the anchor stands, each refusal named', () => {
    const head = raw({ staging: env(18081, { soak: '0s', approvals: 'low' }), production: env(18082, { soak: '1s', approvals: 'low' }) }, ['production']);
    const { plan: p } = plan(head);
    expect(p!.environments.map((s) => [s.environment, s.soak])).toEqual([
      ['staging', '10m'],
      ['production', '5m'],
    ]);
    expect(approvalLevelIn(p!.environments[1]!, 'medium', false)).toBe('medium');
    expect(p!.ignored).toEqual([
      'promotion: the change sets [production]; [staging, production] of airlock.yaml at anchor applies until the change is deployed',
      'environments.staging.soak: the change sets 0s; 10m of airlock.yaml at anchor applies',
      'environments.production.soak: the change sets 1s; 5m of airlock.yaml at anchor applies',
      "environments.production.approvals: the change sets low; inherit of airlock.yaml at anchor applies (the change's level only ever raises it)",
    ]);
    // deleting the environment does not drop it either
    expect(plan(raw({ production: env(18082) }, ['production'])).problem).toMatch(/environments: has no staging, which the promotion \[staging, production\] of airlock.yaml at anchor goes through/);
  });

  test('the change may make it stricter: a longer soak and a higher approval level apply at once', () => {
    const head = raw({ staging: env(18081, { soak: '20m', approvals: 'high' }), production: env(18082, { soak: '5m' }) }, ['staging', 'production']);
    const { plan: p } = plan(head);
    expect(p!.environments[0]!.soak).toBe('20m');
    expect(approvalLevelIn(p!.environments[0]!, 'low', false)).toBe('high');
    expect(p!.ignored).toEqual([]);
  });

  test("without an anchor (or an anchor without promotion) the change's promotion applies, its approval levels only as floors", () => {
    const head = raw({ staging: env(18081, { approvals: 'low' }), production: env(18082) }, ['staging', 'production']);
    const { plan: p } = plan(head, 'production', null);
    expect(p!.from).toBe('airlock.yaml at head');
    expect(approvalLevelIn(p!.environments[0]!, 'high', false)).toBe('high');
    expect(approvalLevelIn(p!.environments[0]!, 'low', true)).toBe('high'); // a first release is always high
    expect(plan(raw({ production: env(18082) }), 'production', null).plan).toBeUndefined();
  });

  test('names and cadence', () => {
    expect(commitReleaseId('shop', 'abcdef0123456789abcdef0123456789abcdef01')).toBe('shop-abcdef012345');
    expect(soakCheckEveryMs(6_000)).toBe(5_000);
    expect(soakCheckEveryMs(10 * 60_000)).toBe(150_000);
    expect(soakCheckEveryMs(24 * 3_600_000)).toBe(300_000);
  });
});

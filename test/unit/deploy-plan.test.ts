import { PlanError, planDeploy, planPromote, planRestore, planRollback, planShift, specForTarget } from '../../infra/deploy/plan';
import { routerHealthPath, type StackSpec } from '../../infra/deploy/spec';
import type { DeployTarget } from '../../model/deploy';
import { DEFAULT_RESOURCES, environmentSchema } from '../../model/manifest';

const target = (over: Partial<DeployTarget['settings']> = {}): DeployTarget => ({
  service: 'demo',
  environment: 'prod',
  run: { port: 8080, health: '/healthz', replicas: 2, metrics: '/metrics' },
  settings: { ...environmentSchema.parse({ routerPort: 18080 }), ...over },
});
const env = { routerImage: 'airlock/router:bookworm-1', targetsFile: '/tmp/t/demo-prod.json', routerAdminDir: '/tmp/t/run/routers/demo-prod' };
const img = (c: string) => `127.0.0.1:5000/demo@sha256:${c.repeat(64)}`;
const v1 = { releaseId: 'demo-prod-aaaa', image: img('a') };
const v2 = { releaseId: 'demo-prod-bbbb', image: img('b') };
const NOW = '2026-01-01T00:00:00.000Z';

function stableV1(): StackSpec {
  const s0 = specForTarget(target(), null, env);
  const deployed = planDeploy(s0, v1, target()).spec;
  return planPromote(deployed, v1.releaseId, NOW).spec;
}

describe('specForTarget', () => {
  it('takes router and health settings from the target and releases from the previous spec', () => {
    const prev = stableV1();
    const s = specForTarget(target({ routerPort: 19000 }), prev, env);
    expect(s).toMatchObject({ stack: 'demo-prod', routerPort: 19000, stable: prev.stable, history: prev.history, routerAdminDir: '/tmp/t/run/routers/demo-prod' });
  });
});

describe('routerHealthPath', () => {
  it("is the stable release's, else the candidate's", () => {
    const stable = stableV1();
    const mid = planDeploy(stable, v2, { ...target(), run: { ...target().run, health: '/ready' } }).spec;
    expect(routerHealthPath(mid)).toBe('/healthz');
    expect(routerHealthPath({ stable: null, candidate: mid.candidate })).toBe('/ready');
  });
});

describe('planDeploy', () => {
  it('adds the candidate with no traffic, fixing its settings from the target', () => {
    const plan = planDeploy(stableV1(), v2, target({ replicas: 3, env: { A: '1' } }));
    expect(plan.reused).toBe(false);
    expect(plan.spec.candidate).toEqual({ ...v2, replicas: 3, port: 8080, healthPath: '/healthz', metricsPath: '/metrics', env: { A: '1' }, resources: DEFAULT_RESOURCES });
    expect(plan.spec.candidateWeight).toBe(0);
    expect(plan.spec.stable?.releaseId).toBe(v1.releaseId);
  });

  it('is idempotent by release id', () => {
    const once = planDeploy(stableV1(), v2, target()).spec;
    expect(planDeploy(once, v2, target())).toEqual({ spec: once, reused: true, removed: [] });
    const stable = stableV1();
    expect(planDeploy(stable, v1, target()).reused).toBe(true);
  });

  it('refuses a release id that already exists with another image (releases are immutable)', () => {
    expect(() => planDeploy(stableV1(), { releaseId: v1.releaseId, image: img('c') }, target())).toThrow(/immutable/);
  });

  it('refuses a second candidate while one is mid-rollout', () => {
    const once = planDeploy(stableV1(), v2, target()).spec;
    expect(() => planDeploy(once, { releaseId: 'demo-prod-cccc', image: img('c') }, target())).toThrow(PlanError);
  });
});

describe('planShift', () => {
  it('sets the candidate weight, once', () => {
    const s = planDeploy(stableV1(), v2, target()).spec;
    const shifted = planShift(s, v2.releaseId, 10);
    expect(shifted.spec.candidateWeight).toBe(10);
    expect(planShift(shifted.spec, v2.releaseId, 10).reused).toBe(true);
  });

  it('refuses another release and bad weights', () => {
    const s = planDeploy(stableV1(), v2, target()).spec;
    expect(() => planShift(s, 'demo-prod-zzzz', 10)).toThrow(/candidate is demo-prod-bbbb/);
    expect(() => planShift(stableV1(), v2.releaseId, 10)).toThrow(/no candidate/);
    expect(() => planShift(s, v2.releaseId, 101)).toThrow(/0..100/);
  });
});

describe('planPromote', () => {
  it('makes the candidate stable, removes the old release and records history newest first', () => {
    const s = planShift(planDeploy(stableV1(), v2, target()).spec, v2.releaseId, 100).spec;
    const plan = planPromote(s, v2.releaseId, NOW);
    expect(plan.spec.stable?.releaseId).toBe(v2.releaseId);
    expect(plan.spec.candidate).toBeNull();
    expect(plan.spec.candidateWeight).toBe(0);
    expect(plan.removed).toEqual([v1.releaseId]);
    expect(plan.spec.history.map((h) => h.releaseId)).toEqual([v2.releaseId, v1.releaseId]);
    expect(planPromote(plan.spec, v2.releaseId, NOW).reused).toBe(true);
  });

  it('keeps at most 20 releases of history', () => {
    let s = stableV1();
    for (let i = 0; i < 25; i++) {
      const r = { releaseId: `demo-prod-${i}`, image: img(String(i % 10)) };
      s = planPromote(planDeploy(s, r, target()).spec, r.releaseId, NOW).spec;
    }
    expect(s.history).toHaveLength(20);
    expect(s.history[0]?.releaseId).toBe('demo-prod-24');
  });
});

describe('planRollback', () => {
  it('removes the candidate and returns all traffic to stable', () => {
    const s = planShift(planDeploy(stableV1(), v2, target()).spec, v2.releaseId, 50).spec;
    const plan = planRollback(s, v2.releaseId);
    expect(plan.spec.candidate).toBeNull();
    expect(plan.spec.candidateWeight).toBe(0);
    expect(plan.spec.stable?.releaseId).toBe(v1.releaseId);
    expect(plan.removed).toEqual([v2.releaseId]);
  });

  it('is a no-op for a release that is not there, and refuses the stable release', () => {
    expect(planRollback(stableV1(), v2.releaseId)).toMatchObject({ reused: true, removed: [] });
    expect(() => planRollback(stableV1(), v1.releaseId)).toThrow(/stable release/);
  });
});

describe('planRestore', () => {
  const twoReleases = () => planPromote(planDeploy(stableV1(), v2, target()).spec, v2.releaseId, NOW).spec;

  it('puts the previous release back with new containers and removes the current one', () => {
    const plan = planRestore(twoReleases(), undefined, '2026-01-02T00:00:00.000Z');
    expect(plan.spec.stable).toMatchObject({ releaseId: v1.releaseId, image: v1.image, replicas: 2, port: 8080 });
    expect(plan.removed).toEqual([v2.releaseId]);
    expect(plan.spec.history[0]).toEqual({ ...v1, promotedAt: '2026-01-02T00:00:00.000Z' });
  });

  it('goes to a named release, and is a no-op when it already serves', () => {
    const back = planRestore(twoReleases(), v1.releaseId, NOW).spec;
    expect(planRestore(back, v1.releaseId, NOW).reused).toBe(true);
  });

  it('says which releases it knows when asked for another', () => {
    expect(() => planRestore(twoReleases(), 'demo-prod-nope', NOW)).toThrow(/known: demo-prod-bbbb, demo-prod-aaaa/);
    expect(() => planRestore(stableV1(), undefined, NOW)).toThrow(/no earlier release/);
  });

  it('removes a candidate mid-rollout too', () => {
    const mid = planDeploy(twoReleases(), { releaseId: 'demo-prod-cccc', image: img('c') }, target()).spec;
    expect(planRestore(mid, v1.releaseId, NOW).removed.sort()).toEqual([v2.releaseId, 'demo-prod-cccc'].sort());
  });
});

import { serviceSettingsAtCommit } from '../../activities/shared/manifest';
import { pipelineInputFor } from '../../cli/pipeline/input';
import { ciContext } from '../../cli/pipeline/ci-context';
import { runPromoteRelease } from '../../cli/commands/promote-release';
import { TempRepo } from '../support/git-repo';

// The promotion plan as the worker reads it from a real repository: airlock.yaml at the anchor (the target
// environment's stable release) against the one at head; and `airlock trigger --to`.

const yaml = (promotion: string, stagingSoak: string) => `service: shop
build: {}
run: { port: 8080, health: /healthz }
${promotion}
environments:
  staging: { routerPort: 18081, soak: ${stagingSoak}, approvals: low, rollout: { strategy: blue-green } }
  production: { routerPort: 18082 }
`;

let repo: TempRepo;
let anchor: string;
let head: string;
beforeAll(() => {
  repo = TempRepo.create('airlock-promotion-');
  anchor = repo.commit('protected: staging before production, 10m soak', { 'airlock.yaml': yaml('promotion: [staging, production]', '10m'), Dockerfile: 'FROM x\n' });
  // the change under review: straight to production, no soak
  head = repo.commit('skip staging', { 'airlock.yaml': yaml('promotion: [production]', '0s') });
});
afterAll(() => repo.remove());

test('attack: a change that drops staging and its soak still goes through staging with the anchor soak', async () => {
  const settings = await serviceSettingsAtCommit(repo.dir, head, '.', 'shop', 'production', { anchor });
  const plan = settings.promotion!;
  expect(plan.environments.map((e) => [e.environment, e.soak])).toEqual([
    ['staging', '10m'],
    ['production', '0s'],
  ]);
  expect(plan.from).toBe(`airlock.yaml at ${anchor.slice(0, 12)}`);
  expect(plan.ignored).toEqual([
    `promotion: the change sets [production]; [staging, production] of airlock.yaml at ${anchor.slice(0, 12)} applies until the change is deployed`,
    `environments.staging.soak: the change sets 0s; 10m of airlock.yaml at ${anchor.slice(0, 12)} applies`,
  ]);
  // the rollout of each environment is the head's, as for a single-environment pipeline
  expect(plan.environments[0]!.target.settings.rollout).toEqual({ strategy: 'blue-green' });
});

test('without the promotion request (histories before the patch) or an anchor, the head decides as before', async () => {
  expect((await serviceSettingsAtCommit(repo.dir, head, '.', 'shop', 'production')).promotion).toBeUndefined();
  const first = await serviceSettingsAtCommit(repo.dir, head, '.', 'shop', 'production', { anchor: null });
  expect(first.promotion!.environments.map((e) => e.environment)).toEqual(['production']);
});

test('trigger --to names the last environment; the default is the promotion\'s last; --env and --to must agree', async () => {
  const ci = ciContext({});
  expect((await pipelineInputFor({ repo: repo.dir, commit: anchor }, ci)).environment).toBe('production');
  expect((await pipelineInputFor({ repo: repo.dir, commit: anchor, to: 'staging' }, ci)).environment).toBe('staging');
  await expect(pipelineInputFor({ repo: repo.dir, commit: anchor, env: 'staging', to: 'production' }, ci)).rejects.toThrow(/--env staging and --to production disagree/);
  await expect(pipelineInputFor({ repo: repo.dir, commit: anchor, to: 'qa' }, ci)).rejects.toThrow(/--to: qa is not an environment of airlock.yaml/);
});

describe('airlock promote-release <service> <release> --to <env>', () => {
  const run = async (argv: string[]) => {
    const started: { args: [{ environment: string; headCommit: string; service: string }]; workflowId: string }[] = [];
    const client = {
      workflow: {
        getHandle: () => ({ describe: () => Promise.reject(new Error('not found')) }),
        start: async (_wf: unknown, opts: (typeof started)[number]) => {
          started.push(opts);
          return { describe: async () => ({ runId: 'run-1' }) };
        },
      },
    };
    const deps = { withClient: <T>(fn: (c: never, config: never) => Promise<T>) => fn(client as never, { temporal: { taskQueue: 'q' } } as never), env: {} };
    await runPromoteRelease(argv, deps);
    return started;
  };

  test("starts the commit's pipeline to --to (identifiers only)", async () => {
    const [start] = await run(['shop', `shop-${anchor.slice(0, 12)}`, '--to', 'production', '--repo', repo.dir, '--json']);
    expect(start!.workflowId).toBe(`airlock/shop/production/${anchor}`);
    expect(start!.args[0]).toMatchObject({ service: 'shop', environment: 'production', headCommit: anchor });
  });

  test('bad input is refused before Temporal is contacted', async () => {
    await expect(run(['shop', 'shop-production-abc', '--to', 'production', '--repo', repo.dir])).rejects.toThrow(/must be a release id <service>-<commit12>/);
    await expect(run(['cart', `shop-${anchor.slice(0, 12)}`, '--to', 'production', '--repo', repo.dir])).rejects.toThrow(/is not a release of cart/);
    await expect(run(['shop', `shop-${anchor.slice(0, 12)}`, '--repo', repo.dir])).rejects.toThrow(/to: is required/);
    await expect(run(['shop', `shop-${'0'.repeat(12)}`, '--to', 'production', '--repo', repo.dir])).rejects.toThrow(/0{12}/);
  });
});

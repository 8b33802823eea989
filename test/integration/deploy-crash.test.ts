import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { releaseIdForImage, type DeployTarget } from '../../model/deploy';
import { buildDemoImage, demoTarget, deployTestKit, destroyEnvironment, dockerContainers, expectStackMatchesDocker, routerServers, sample, uniqueService, type DeployTestKit } from './deploy-helpers';
import { freePort } from '../support/ports';

// A worker killed during deployCandidate (its Pulumi CLI and provider plugin with it), then the activity
// retried by a new worker: exactly one set of candidate containers, and the stack agrees with Docker.
const ENV = 'production';
const service = uniqueService('crash');
let kit: DeployTestKit;
let target: DeployTarget;

beforeAll(async () => {
  kit = await deployTestKit();
  target = demoTarget(service, ENV, await freePort(), { replicas: 2 });
});
afterAll(async () => {
  if (kit) await destroyEnvironment(kit, service, ENV);
});

/** Every process descended from pid (the Pulumi CLI, the provider plugin in its own process group...). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp !== p) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

/** Calls an activity the way Temporal retries it: again after a retryable failure (a locked stack). */
async function withRetries<T>(fn: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || (err as { nonRetryable?: boolean }).nonRetryable !== false) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function startWorker(verb: string, input: unknown): ChildProcess {
  return spawn(process.execPath, [join(__dirname, 'deploy-worker-runner.js'), verb, JSON.stringify(input)], {
    detached: true, // its own process group: killing it takes the Pulumi CLI and plugins down too
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('killing the worker during deployCandidate and retrying ends with one set of candidate containers', async () => {
  const v1 = await buildDemoImage(kit, '1.0.0', 'none');
  const v2 = await buildDemoImage(kit, '2.0.0', 'none');
  const ref = (image: string) => ({ releaseId: releaseIdForImage(service, ENV, image), service, environment: ENV });
  await kit.activities.deployCandidate({ ...ref(v1), image: v1, target });
  await kit.activities.promote(ref(v1));

  const input = { ...ref(v2), image: v2, target };
  const worker = startWorker('deployCandidate', input);
  let stderr = '';
  worker.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => worker.on('exit', (code, signal) => resolve(signal ? null : code)));
  // Kill it once the first candidate container exists: the update is in the middle of creating them.
  await waitFor(
    'the first candidate container',
    async () => ((await dockerContainers(kit.docker, service, ENV)).releases.includes(`${ref(v2).releaseId}-1`) ? true : undefined),
    120_000,
  ).catch((err) => {
    throw new Error(`${(err as Error).message}; worker said: ${stderr}`);
  });
  const family = descendants(worker.pid!);
  process.kill(-worker.pid!, 'SIGKILL');
  for (const pid of family) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  expect(await exited).toBeNull();
  // The killed CLI left its lock behind: the retry must see it is stale (its process is gone) and go on.
  const lockDir = join(fileURLToPath(kit.config.pulumi.backendUrl), '.pulumi', 'locks', 'organization', 'airlock', `${service}-${ENV}`);
  expect(readdirSync(lockDir).filter((f) => f.endsWith('.json'))).toHaveLength(1);

  // A new worker retries the same activity (same release id), as Temporal would after the heartbeat timeout.
  const retried = await withRetries(() => kit.activities.deployCandidate(input));
  expect(retried.releaseId).toBe(ref(v2).releaseId);
  const containers = (await dockerContainers(kit.docker, service, ENV)).releases;
  expect(containers.filter((c) => c.startsWith(ref(v2).releaseId))).toEqual([`${ref(v2).releaseId}-1`, `${ref(v2).releaseId}-2`]);
  const state = await expectStackMatchesDocker(kit, service, ENV);
  expect(state.candidate?.releaseId).toBe(ref(v2).releaseId);
  // The killed update's pending operations were dropped with its stale lock (the containers were adopted).
  expect((await kit.driver.exportState(service, ENV)) as { pending_operations?: unknown[] }).not.toHaveProperty('pending_operations');
  expect(await sample(state.router!.previewUrl, 4)).toEqual({ '2.0.0': 4 });
  expect(await sample(state.router!.url, 4)).toEqual({ '1.0.0': 4 });

  // And once more: idempotent.
  expect(await kit.activities.deployCandidate(input)).toMatchObject({ reused: true });
});

test('a release that never gets healthy fails without retry and leaves no container behind', async () => {
  const state = (await kit.driver.outputs(service, ENV))!.state;
  if (state.candidate) await kit.activities.rollback({ releaseId: state.candidate.releaseId, service, environment: ENV, reason: 'next test' });
  const v4 = await buildDemoImage(kit, '4.0.0', 'none');
  const releaseId = releaseIdForImage(service, ENV, v4);
  const sick: DeployTarget = { ...target, run: { ...target.run, health: '/missing' } }; // the app answers 404 there
  const err = await kit.activities.deployCandidate({ releaseId, service, environment: ENV, image: v4, target: sick }).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'DeployProgramError', nonRetryable: true });
  expect((err as Error).message).toMatch(new RegExp(`container ${releaseId}-\\d is unhealthy`));
  expect((await dockerContainers(kit.docker, service, ENV)).releases.filter((c) => c.startsWith(releaseId))).toEqual([]);
  const after = await expectStackMatchesDocker(kit, service, ENV);
  expect(after.candidate).toBeNull();
  expect(await sample(after.router!.url, 4)).toEqual({ '1.0.0': 4 });
  expect(await kit.activities.rollback({ releaseId, service, environment: ENV, reason: 'compensation' })).toMatchObject({ reused: true, removed: [] });
});

// Issue 13: traffic moves through the runtime API only; the weight is recorded next to the checkpoint and in
// the router's backends.cfg before it goes live, and the promotion is recorded by settleRelease after it.
test('runtime-API shifts survive a router restart and a crash before their record is applied; settleRelease records the promotion', async () => {
  const v5 = await buildDemoImage(kit, '5.0.0', 'none');
  const ref = { releaseId: releaseIdForImage(service, ENV, v5), service, environment: ENV };
  await kit.activities.deployCandidate({ ...ref, image: v5, target });
  const shifted = await kit.activities.shiftTraffic({ ...ref, weight: 50 });
  let state = await expectStackMatchesDocker(kit, service, ENV);
  expect(state.candidate?.weight).toBe(50); // the traffic record, read back with the checkpoint
  const weights = async () => Object.fromEntries((await routerServers(state)).filter((s) => s.startsWith('app/')).map((s) => [s.slice(4).split(' ')[0]!, Number(s.split(' ')[1])]));
  expect(await weights()).toEqual(shifted.servers);

  // A router restarted (HAProxy loads backends.cfg again) comes back with the shifted weights, not the last stack update's.
  await kit.docker.getContainer(state.router!.container).restart({ t: 1 });
  const back = await waitFor('the restarted router', async () => (await routerServers(state).catch(() => [])).length > 0 ? true : undefined, 30_000);
  expect(back).toBe(true);
  expect(await weights()).toEqual(shifted.servers);

  // A shift that crashed after its record, before the live weights: readers see the recorded weight, the retry makes it true.
  await kit.driver.recordTraffic(service, ENV, ref.releaseId, 100);
  expect((await kit.driver.outputs(service, ENV))!.state.candidate?.weight).toBe(100);
  const full = await kit.activities.shiftTraffic({ ...ref, weight: 100 });
  expect(await weights()).toEqual(full.servers);
  expect(await sample(state.router!.url, 6)).toEqual({ '5.0.0': 6 });

  // promote ends with the traffic final and nothing destroyed; settleRelease records the promotion.
  expect(await kit.activities.promote({ ...ref, settle: 'later' })).toMatchObject({ settled: false, removed: [] });
  state = await expectStackMatchesDocker(kit, service, ENV);
  expect(state.candidate?.releaseId).toBe(ref.releaseId);
  const settled = await kit.activities.settleRelease(ref);
  expect(settled).toMatchObject({ settled: true, reused: false });
  expect(settled.removed).toHaveLength(1);
  state = await expectStackMatchesDocker(kit, service, ENV);
  expect({ stable: state.stable?.releaseId, candidate: state.candidate }).toEqual({ stable: ref.releaseId, candidate: null });
  expect((await kit.driver.outputs(service, ENV))!.spec.candidateWeight).toBe(0);
  expect(await kit.activities.settleRelease(ref)).toMatchObject({ reused: true });
  expect(await sample(state.router!.url, 4)).toEqual({ '5.0.0': 4 });
});

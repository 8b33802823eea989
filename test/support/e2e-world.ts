/// <reference types="jest" />
// (useE2eWorld registers jest hooks; bench/ compiles this file, without jest in its types)
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { targetsFile } from '../../activities/deploy/deps';
import { flagsDirOf } from '../../activities/flags/store';
import { endLeftovers } from '../../cli/demo/leftovers';
import { DemoRepo } from '../../cli/demo/repo';
import { LABELS } from '../../infra/deploy/labels';
import { createStackDriver, PULUMI_PROJECT } from '../../infra/deploy/stack';
import { dockerClient } from '../../infra/local/probes';
import { rescanScheduleId } from '../../model/compliance';
import { driftScheduleId } from '../../model/drift';
import { stackName } from '../../model/names';
import type { PipelineState } from '../../model/pipeline';
import type { AirlockConfig } from '../../infra/config';
import { connectClient } from '../../infra/temporal/connection';
import { airlock, airlockAsync, type CliResult } from './cli';
import { WorkerProcess } from './e2e-worker';
import { freePort } from './ports';
import { requireComponents } from './stack';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * How long a test waits for one pipeline. ~1 min on an idle 2-core machine; the generous bound is for a
 * machine shared with other test runs. Test timeouts are a multiple of it.
 */
export const PIPELINE_TIMEOUT_MS = 8 * 60_000;

/** The demo's service name: every end-to-end test deploys examples/demo-service, each to its own environment. */
export const SERVICE = 'demo';

export interface WorldOptions {
  /**
   * Short name of the test file (max 14 characters). The environment is `e2e-<name>-<pid>`: its own per
   * run, so two runs of the same file at once (two people, or `npm test` next to a single file) do not
   * share pipelines, lock or router; the task queue, temp dir and logs are named after it too.
   */
  name: string;
  /** Canary steps of the environment; default [50, 100]. */
  steps?: number[];
  /**
   * The canary's p95 latency limit (ms); default 500. The chaos run raises it: on a loaded shared machine a
   * good release can exceed 500 ms, and a latency rollback would hide what the fault did.
   */
  maxLatencyP95Ms?: number;
  /** Adds the author (dana@example.com) to the `developers` approver group, to show self-approval is refused. */
  authorIsDeveloper?: boolean;
  /**
   * Deploys the repository's first commit before the tests (default true): a first release is a bootstrap,
   * approved by the worker's bootstrap approvers (alice and sam, from the world's bootstrap file), so the
   * tests start from an environment with a stable release whose policy judges their changes.
   */
  bootstrap?: boolean;
  /** Vendor the demo's npm dependencies (OpenFeature) into its repository (cli/demo/repo.ts DemoRepoOptions.vendor). */
  vendor?: boolean | string;
  /**
   * A promotion world: a staging environment (`e2e-<name>stg-<pid>`, blue-green with this soak) before the
   * world's environment (the target, canary), and `promotion: [staging, target]` in airlock.yaml.
   */
  promotion?: { soak: string };
}

/** Environments of runs of this helper: `e2e-<name>-<pid base 36>`. */
const RUN_ENVIRONMENT = /^e2e-[a-z]+-([0-9a-z]+)$/;

/** Whether a process (a test run that named an environment or a namespace) still lives. */
export const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** `airlock` with the test's task queue, run as a user would (the built CLI). */
export type Cli = (args: string[], timeoutMs?: number) => CliResult;

/**
 * One test file's world on the real local stack: its own environment in a git repository made from
 * examples/demo-service (cli/demo/repo.ts), approver keys in $AIRLOCK_HOME/keys, a worker process on a
 * task queue of its own (so no other run takes its tasks), and a clean-up that leaves nothing behind.
 */
export class E2eWorld {
  worker?: WorkerProcess;
  private workers = 0;

  private constructor(
    readonly opts: WorldOptions,
    readonly environment: string,
    readonly config: AirlockConfig,
    readonly dir: string,
    readonly repo: DemoRepo,
    readonly env: Record<string, string>,
    readonly keys: Record<string, string>,
    /** The promotion's first environment (worlds with `promotion`). */
    readonly staging?: string,
  ) {}

  static async create(opts: WorldOptions): Promise<E2eWorld> {
    const config = await requireComponents('docker', 'registry', 'temporal', 'prometheus', 'pulumi', 'trivy', 'base-image', 'router-image');
    await sweepDeadRuns(config);
    const environment = `e2e-${opts.name}-${process.pid.toString(36)}`;
    if (!RUN_ENVIRONMENT.test(environment) || environment.length > 21) throw new Error(`e2e world name ${opts.name}: lowercase letters, at most 14`);
    const staging = opts.promotion ? `e2e-${opts.name}stg-${process.pid.toString(36)}` : undefined;
    if (staging && (!RUN_ENVIRONMENT.test(staging) || staging.length > 21)) throw new Error(`e2e world name ${opts.name}: at most 11 letters for a promotion world`);
    await cleanUpEnvironment(config, environment);
    if (staging) await cleanUpEnvironment(config, staging);
    const routerPort = await freePort();
    const stagingPort = staging ? await freePort() : 0;
    const people = ['alice', 'sam', ...(opts.authorIsDeveloper ? ['dana@example.com'] : [])];
    const keys = Object.fromEntries(people.map((id) => [id, approverKey(id)]));
    const dir = mkdtempSync(join(tmpdir(), `airlock-e2e-${opts.name}-`));
    const bootstrapFile = join(dir, 'bootstrap.policy.yaml');
    writeFileSync(bootstrapFile, bootstrapPolicyYaml(keys.alice!, keys.sam!));
    const env = { TEMPORAL_TASK_QUEUE: `${environment}-${Date.now().toString(36)}`, AIRLOCK_BOOTSTRAP_POLICY: bootstrapFile };
    const repo = DemoRepo.create(join(dir, 'demo-service'), { alice: keys.alice!, sam: keys.sam! }, {
      developers: opts.authorIsDeveloper ? [{ id: 'dana@example.com', publicKey: keys['dana@example.com']! }] : [],
      ...(opts.vendor ? { vendor: opts.vendor } : {}),
      prepare: (r) =>
        r.edit('airlock.yaml', (text) => {
          const target = environmentYaml(environment, routerPort, opts.steps ?? [50, 100], opts.maxLatencyP95Ms ?? 500);
          if (!staging) return `${text.trimEnd()}\n${target}`;
          // the world's own promotion replaces the demo's (staging, production)
          const line = `promotion: [${staging}, ${environment}]`;
          const own = /^promotion: .*$/m.test(text) ? text.replace(/^promotion: .*$/m, line) : text.replace(/^environments:/m, `${line}\nenvironments:`);
          return `${own.trimEnd()}\n${stagingYaml(staging, stagingPort, opts.promotion!.soak)}${target}`;
        }),
    });
    const world = new E2eWorld(opts, environment, config, dir, repo, env, keys, staging);
    await world.startWorker();
    // a failed first release must not leave the worker running: jest would never exit, holding the stack lock
    if (opts.bootstrap !== false)
      await world.firstRelease().catch(async (err: unknown) => {
        await world.tearDown().catch(() => undefined);
        throw err;
      });
    return world;
  }

  /** The environment's first release (the repository's head): a bootstrap, approved by alice and sam, promoted. */
  async firstRelease(): Promise<void> {
    const head = this.repo.head();
    const id = this.pipelineId(head);
    const started = this.cli(this.triggerArgs());
    if (started.code !== 0) throw new Error(`first release: trigger exited ${started.code}: ${started.stderr}`);
    // (a promotion waits for the bootstrap approvers once per environment)
    for (;;) {
      const s = await this.waitForState(id, (x) => x.stage === 'done' || (x.stage === 'approval' && !!x.approval?.deadline && x.approval.decisions.length === 0), 'waiting for the bootstrap approvers');
      if (s.stage === 'done') {
        if (s.outcome?.kind !== 'promoted') throw new Error(`first release: ${JSON.stringify(s.outcome)}`);
        return;
      }
      for (const who of ['sam', 'alice']) {
        const r = this.cli(['approve', id, '--as', who, '--comment', 'e2e: first release']);
        if (r.code !== 0) throw new Error(`first release: approve --as ${who} exited ${r.code}: ${r.stderr}`);
      }
    }
  }

  cli: Cli = (args, timeoutMs) => airlock(args, this.env, timeoutMs);

  /** `airlock` without blocking the test's event loop (for polling while something else runs). */
  cliAsync(args: string[], timeoutMs = PIPELINE_TIMEOUT_MS, onStderr?: (soFar: string) => void): Promise<CliResult> {
    return airlockAsync(args, this.env, timeoutMs, onStderr);
  }

  async startWorker(): Promise<WorkerProcess> {
    this.workers += 1;
    this.worker = await WorkerProcess.start(this.env, join(this.dir, `worker-${this.workers}.log`));
    return this.worker;
  }

  /** The pipeline id of a commit in this world's environment. */
  pipelineId(commit: string): string {
    return `airlock/${SERVICE}/${this.environment}/${commit}`;
  }

  /** `airlock trigger --repo <repo> --env <env> ...`. */
  trigger(...extra: string[]): CliResult {
    return this.cli(this.triggerArgs(...extra), PIPELINE_TIMEOUT_MS);
  }

  triggerArgs(...extra: string[]): string[] {
    return ['trigger', '--repo', this.repo.dir, '--env', this.environment, ...extra];
  }

  /** `airlock status <id> --json`, parsed (undefined while the pipeline cannot be queried). */
  async status(id: string): Promise<(PipelineState & { status: string }) | undefined> {
    const r = await this.cliAsync(['status', id, '--json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as PipelineState & { status: string }) : undefined;
  }

  /** Polls `airlock status --json` until `done(state)`; fails with the last state seen after `timeoutMs`. */
  async waitForState(id: string, done: (s: PipelineState & { status: string }) => boolean, what: string, timeoutMs = PIPELINE_TIMEOUT_MS): Promise<PipelineState & { status: string }> {
    const deadline = Date.now() + timeoutMs;
    let last: (PipelineState & { status: string }) | undefined;
    for (;;) {
      last = (await this.status(id)) ?? last;
      if (last && done(last)) return last;
      if (Date.now() > deadline) throw new Error(`${id}: not ${what} after ${timeoutMs / 1000}s; last state: ${JSON.stringify(last)}`);
      await sleep(300);
    }
  }

  /** Polls the workflow's pending activities (Temporal's describe, every 50 ms) until a worker runs `activity`. */
  async waitForActivityStarted(id: string, activity: string, timeoutMs = PIPELINE_TIMEOUT_MS): Promise<void> {
    const started = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
    await withTemporal(this.config, async (client) => {
      const handle = client.workflow.getHandle(id);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const d = await handle.describe();
        if (d.raw.pendingActivities?.some((a) => a.activityType?.name === activity && a.state === started)) return;
        if (d.status.name !== 'RUNNING') throw new Error(`${id} ended (${d.status.name}) before ${activity} ran`);
        if (Date.now() > deadline) throw new Error(`${id}: ${activity} did not start within ${timeoutMs / 1000}s`);
        await sleep(50);
      }
    });
  }

  /** Stops the worker, terminates what is still running, destroys the environment, removes the repository. */
  async tearDown(): Promise<void> {
    await this.worker?.stop();
    await cleanUpEnvironment(this.config, this.environment);
    if (this.staging) await cleanUpEnvironment(this.config, this.staging);
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(flagsDirOf(this.config.home, SERVICE, this.environment), { recursive: true, force: true });
  }
}

/** The test file's world: created before its tests, torn down after them; `set` receives it. */
export function useE2eWorld(opts: WorldOptions, set: (world: E2eWorld) => void): void {
  let world: E2eWorld | undefined;
  beforeAll(async () => set((world = await E2eWorld.create(opts))), 300_000);
  afterAll(async () => world?.tearDown(), 300_000);
}

/** The worker's bootstrap file of a world: alice (developers) and sam (security), both needed. */
function bootstrapPolicyYaml(alice: string, sam: string): string {
  return `version: 1
approvers:
  - { name: alice, publicKey: ${alice}, groups: [developers] }
  - { name: sam, publicKey: ${sam}, groups: [security] }
rule: { approvals: 2, require: [security] }
timeout: 10m
branches: [main]
`;
}

/** The environment a test adds to the demo's airlock.yaml: one replica, short analysis, its own router port. */
function environmentYaml(environment: string, routerPort: number, steps: number[], maxLatencyP95Ms: number): string {
  return `  ${environment}:
    routerPort: ${routerPort}
    replicas: 1
    rollout:
      strategy: canary
      steps: [${steps.join(', ')}]
    analysis:
      interval: 2s
      checks: 2
      failureLimit: 1
      minSuccessRate: 0.99
      maxLatencyP95Ms: ${maxLatencyP95Ms}
      maxSuccessRateDrop: 0.02
      loadRps: 20
`;
}

/** A promotion world's staging: blue-green (the idle colour analysed, then the switch), then the soak. */
function stagingYaml(environment: string, routerPort: number, soak: string): string {
  return `  ${environment}:
    routerPort: ${routerPort}
    replicas: 1
    soak: ${soak}
    rollout:
      strategy: blue-green
    analysis:
      interval: 2s
      checks: 2
      failureLimit: 1
      minSuccessRate: 0.99
      maxLatencyP95Ms: 500
      maxSuccessRateDrop: 0.02
      loadRps: 20
`;
}

/** The public key of an approver's key in $AIRLOCK_HOME/keys, created with `airlock keys create` when missing. */
export function approverKey(identity: string): string {
  const shown = airlock(['keys', 'show', '--as', identity, '--json']);
  const r = shown.code === 0 ? shown : airlock(['keys', 'create', '--as', identity, '--json']);
  if (r.code !== 0) throw new Error(`airlock keys create --as ${identity}: exit ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { publicKey: string }).publicKey;
}

async function withTemporal<T>(config: AirlockConfig, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectClient(config.temporal);
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}

/**
 * Leaves nothing of an environment: terminates its running pipelines and its lock, destroys its Pulumi
 * stack, deletes its drift and rescan schedules, removes any container or network still labelled with it,
 * and its Prometheus targets file.
 * Runs before (leftovers of an interrupted run) and after each test file.
 */
export async function cleanUpEnvironment(config: AirlockConfig, environment: string): Promise<void> {
  await withTemporal(config, async (client) => {
    await endLeftovers(client, SERVICE, [environment], 'end-to-end test clean-up');
    // a deploy keeps a drift and a rescan schedule per environment: left behind, they start workflows forever
    for (const id of [driftScheduleId(SERVICE, environment), rescanScheduleId(SERVICE, environment)]) await client.schedule.getHandle(id).delete().catch(() => undefined);
  });
  const stack = stackName(SERVICE, environment);
  await createStackDriver(config)
    .destroy(SERVICE, environment)
    .catch(() => undefined);
  const docker = dockerClient(config);
  const label = { label: [`${LABELS.stack}=${stack}`] };
  const containers = await docker.listContainers({ all: true, filters: label });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const networks = await docker.listNetworks({ filters: label });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  rmSync(targetsFile(config, stack), { force: true });
}

/**
 * Cleans up the environments of earlier runs whose process is gone (a run killed before its afterAll):
 * found from Docker's labels, the Pulumi backend's stacks, Temporal's running pipelines and its schedules.
 */
async function sweepDeadRuns(config: AirlockConfig): Promise<void> {
  const found = new Set<string>();
  const docker = dockerClient(config);
  for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABELS.service}=${SERVICE}`] } })) found.add(c.Labels[LABELS.env] ?? '');
  if (config.pulumi.backendUrl.startsWith('file://')) {
    const stacks = join(fileURLToPath(config.pulumi.backendUrl), '.pulumi', 'stacks', PULUMI_PROJECT);
    const prefix = `${SERVICE}-`;
    if (existsSync(stacks)) for (const f of readdirSync(stacks)) if (f.startsWith(prefix) && f.endsWith('.json')) found.add(f.slice(prefix.length, -'.json'.length));
  }
  await withTemporal(config, async (client) => {
    for await (const w of client.workflow.list({ query: `AirlockService = "${SERVICE}" AND ExecutionStatus = "Running"` }))
      found.add(String((w.searchAttributes?.AirlockEnvironment as unknown[] | undefined)?.[0] ?? ''));
    const scheduled = new RegExp(`^airlock-(?:drift|rescan)/${SERVICE}/(.+)$`);
    for await (const s of client.schedule.list()) found.add(scheduled.exec(s.scheduleId)?.[1] ?? '');
  });
  for (const environment of found) {
    const pid = RUN_ENVIRONMENT.exec(environment)?.[1];
    if (pid && !pidAlive(parseInt(pid, 36))) await cleanUpEnvironment(config, environment);
  }
}

/** Containers of an environment by role (from Docker's labels), names sorted. */
export async function environmentContainers(config: AirlockConfig, environment: string): Promise<{ releases: { name: string; release: string }[]; routers: string[] }> {
  const docker = dockerClient(config);
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.stack}=${stackName(SERVICE, environment)}`] } });
  const name = (c: (typeof list)[number]) => c.Names[0]!.replace(/^\//, '');
  return {
    releases: list
      .filter((c) => c.Labels[LABELS.role] === 'release')
      .map((c) => ({ name: name(c), release: c.Labels[LABELS.release] ?? '' }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    routers: list.filter((c) => c.Labels[LABELS.role] === 'router').map(name).sort(),
  };
}

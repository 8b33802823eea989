import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type AirlockConfig } from '../../infra/config';
import { resolveTool } from '../../infra/local/tools';
import { connectClient } from '../../infra/temporal/connection';
import { driftScheduleId } from '../../model/drift';
import { rescanScheduleId } from '../../model/compliance';
import { E2eWorld, cleanUpEnvironment, SERVICE } from '../support/e2e-world';
import { WorkerProcess, tail } from '../support/e2e-worker';
import { parse } from 'yaml';
import { loadSigningKey } from '../../activities/evidence/signing-key';
import { dockerClient } from '../../infra/local/probes';
import { deployTargetOf } from '../../model/deploy';
import { manifestSchema } from '../../model/manifest';
import { createAirlockWorker } from '../../worker/worker';
import { buildDemoImage, dockerContainers } from './deploy-helpers';
import { createHostNamespace, sweepDeadNamespaces, type HostNamespace } from '../support/netns';

// Workers on two "hosts" (issue 20, docs/scale-out.md): one machine, two worker processes, each in its own
// network namespace and with its own AIRLOCK_HOME, AIRLOCK_CACHE and TMPDIR, roles split:
//
//   host A, `pipeline`: the workflows, change analysis, risk, policy, evidence. It reaches Temporal and the
//     registry only, has no Docker engine (its socket is /dev/null there), and cannot see host B's
//     directories nor the one-host default AIRLOCK_HOME (empty tmpfs over them).
//   host B, `build,deploy:local`: build and scan, and the deploy target `local` (this machine's Docker engine,
//     through its unix socket: that host's engine; the router's published port and Prometheus are that
//     target's). It reaches Temporal, the registry, Prometheus and the router port, and cannot see host A's
//     directories.
//
// A first release (a bootstrap: change analysis, build, scan, policy, two approvals, canary with analysis,
// promotion) must complete: every byte one role needs from another travels through Temporal or the registry.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const portOf = (hostPort: string) => Number(hostPort.split(':').pop());
const TIMEOUT = 20 * 60_000;

let world: E2eWorld | undefined;
let root: string;
const spaces: HostNamespace[] = [];
const workers: WorkerProcess[] = [];
let configB: AirlockConfig | undefined;

afterAll(async () => {
  for (const w of workers) await w.stop().catch(() => undefined);
  for (const ns of spaces) ns.remove();
  if (world) {
    if (configB) await cleanUpEnvironment(configB, world.environment).catch(() => undefined);
    const client = await connectClient(world.config.temporal);
    for (const id of [driftScheduleId(SERVICE, world.environment), rescanScheduleId(SERVICE, world.environment)])
      await client.schedule.getHandle(id).delete().catch(() => undefined);
    await client.connection.close();
    await world.tearDown();
  }
  if (root) rmSync(root, { recursive: true, force: true });
}, 300_000);

/** One host's directories: its AIRLOCK_HOME, AIRLOCK_CACHE and TMPDIR. */
function hostDirs(name: string) {
  const dir = join(root, name);
  const dirs = { dir, home: join(dir, 'home'), cache: join(dir, 'cache'), tmp: join(dir, 'tmp') };
  for (const d of [dirs.home, dirs.cache, dirs.tmp]) mkdirSync(d, { recursive: true });
  return dirs;
}

/** The worker command line run in `ns`, in a mount namespace of its own where `hide` are empty and `nullSocket` is /dev/null. */
function wrap(ns: HostNamespace, hide: string[], nullSocket?: string): string[] {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    'set -e',
    ...hide.filter((p) => existsSync(p)).map((p) => `mount -t tmpfs -o size=1m,mode=000 airlock-other-host ${q(p)}`),
    ...(nullSocket && existsSync(nullSocket) ? [`mount --bind /dev/null ${q(nullSocket)}`] : []),
    'exec "$@"',
  ].join('\n');
  return [...ns.exec, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'worker'];
}

test(
  'a pipeline completes on two worker hosts (pipeline | build + deploy:local) that share no disk and reach only Temporal, the registry and their target',
  async () => {
    world = await E2eWorld.create({ name: 'twohosts', bootstrap: false });
    await world.worker!.stop(); // the world's one-process worker: replaced by the two hosts below
    const config = world.config;
    const env = world.environment;
    const queue = world.env.TEMPORAL_TASK_QUEUE!;
    const routerPort = Number(new RegExp(`\\n  ${env}:\\n    routerPort: (\\d+)`).exec(readFileSync(join(world.repo.dir, 'airlock.yaml'), 'utf8'))?.[1]);
    expect(routerPort).toBeGreaterThan(0);

    root = mkdtempSync(join(tmpdir(), 'airlock-2h-'));
    const a = hostDirs('host-a');
    const b = hostDirs('host-b');
    // host B scans: its own Trivy cache, a copy of this machine's (the fixture DB)
    cpSync(config.trivy.cacheDir, join(b.cache, 'trivy'), { recursive: true });

    sweepDeadNamespaces();
    const temporal = portOf(config.temporal.address);
    const registry = portOf(config.registry);
    const prometheus = Number(new URL(config.prometheusUrl).port || 9090);
    const nsA = createHostNamespace('a', 0, [temporal, registry]);
    spaces.push(nsA);
    const nsB = createHostNamespace('b', 1, [temporal, registry, prometheus, routerPort]);
    spaces.push(nsB);
    // the namespaces reach what they were given and nothing else of this machine
    expect([nsA.canConnect('127.0.0.1', temporal), nsA.canConnect('127.0.0.1', registry), nsA.canConnect('127.0.0.1', prometheus), nsA.canConnect(nsA.hostIp, prometheus)]).toEqual([true, true, false, false]);
    expect([nsB.canConnect('127.0.0.1', temporal), nsB.canConnect('127.0.0.1', prometheus)]).toEqual([true, true]);

    const common = {
      ...world.env,
      AIRLOCK_TRIVY_DB: 'fixture',
      AIRLOCK_TRIVY_BIN: resolveTool(config, 'trivy'),
      AIRLOCK_PULUMI_BIN: resolveTool(config, 'pulumi'),
      AIRLOCK_LOG_LEVEL: 'info',
    };
    const envA = { ...common, AIRLOCK_HOME: a.home, AIRLOCK_CACHE: a.cache, TMPDIR: a.tmp, AIRLOCK_WORKER_ROLES: 'pipeline' };
    // the operator hands host B the pipeline host's public key: B admits only images whose chain A signed
    const keyA = await loadSigningKey(loadConfig({ AIRLOCK_HOME: a.home }));
    const trustedB = join(b.dir, 'trusted-keys.pem');
    writeFileSync(trustedB, keyA.publicKeyPem);
    // B is the target's host: its deploys write the file_sd of the Prometheus that runs there
    const envB = {
      ...common,
      AIRLOCK_HOME: b.home,
      AIRLOCK_CACHE: b.cache,
      TMPDIR: b.tmp,
      AIRLOCK_WORKER_ROLES: 'build,deploy:local',
      AIRLOCK_PROMETHEUS_TARGETS: config.dirs.prometheusTargets,
      AIRLOCK_TRUSTED_KEYS: trustedB,
    };
    configB = loadConfig({ ...process.env, ...envB });
    const dockerSocket = (config.docker.host ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
    workers.push(await WorkerProcess.start(envA, join(root, 'worker-a.log'), 120_000, wrap(nsA, [b.dir, config.home], dockerSocket)));
    workers.push(await WorkerProcess.start(envB, join(root, 'worker-b.log'), 120_000, wrap(nsB, [a.dir])));
    const [workerA, workerB] = workers as [WorkerProcess, WorkerProcess];
    // the worker processes themselves see an empty directory where the other host's are
    const seen = (pid: number, dir: string) => execFileSync('nsenter', ['-t', String(pid), '-m', 'ls', '-A', dir], { encoding: 'utf8' }).trim();
    expect([seen(workerA.pid, b.dir), seen(workerA.pid, config.home), seen(workerB.pid, a.dir)]).toEqual(['', '', '']);
    expect(seen(workerB.pid, b.dir)).toContain('home');

    try {
      await world.firstRelease();
    } catch (err) {
      throw new Error(`${String(err)}\n--- host A (pipeline):\n${tail(workerA.logFile, 40)}\n--- host B (build, deploy:local):\n${tail(workerB.logFile, 40)}`);
    }
    await sleep(500);

    // where each activity ran: by role
    const pipelineId = world.pipelineId(world.repo.head());
    const client = await connectClient(config.temporal);
    const events = (await client.workflow.getHandle(pipelineId).fetchHistory()).events ?? [];
    await client.connection.close();
    const ran = new Map<string, Set<string>>();
    const scheduled = new Map<string, string>();
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) ran.set(s.activityType!.name!, (ran.get(s.activityType!.name!) ?? new Set()).add(s.taskQueue!.name!));
      if (s) scheduled.set(String(e.eventId), s.activityType!.name!);
    }
    // the scan's result (JSON payload): the SBOM's digest, which host A signed into the chain without having it
    const scanned = events.find((e) => e.activityTaskCompletedEventAttributes && scheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) === 'scanImage');
    const payload = scanned?.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
    const sbomDigest = (JSON.parse(Buffer.from(payload!).toString('utf8')) as { sbomDigest: string }).sbomDigest;
    const on = (name: string) => [...(ran.get(name) ?? [])];
    expect({
      taskQueues: on('taskQueues'),
      readChange: on('readChange'),
      recordEvidence: on('recordEvidence'),
      verifyEvidence: on('verifyEvidence'),
      buildImage: on('buildImage'),
      scanImage: on('scanImage'),
      resolveAnchor: on('resolveAnchor'),
      deployCandidate: on('deployCandidate'),
      analyze: on('analyze'),
      promote: on('promote'),
    }).toEqual({
      taskQueues: [queue],
      readChange: [queue],
      recordEvidence: [queue],
      verifyEvidence: [queue],
      buildImage: [`${queue}-build`],
      scanImage: [`${queue}-build`],
      resolveAnchor: [`${queue}-deploy-local`],
      deployCandidate: [`${queue}-deploy-local`],
      analyze: [`${queue}-deploy-local`],
      promote: [`${queue}-deploy-local`],
    });

    // what each host kept: the pipeline host signed the chain (its key) and fetched the repository; the
    // build + deploy host has the scan's report and SBOM, the Pulumi state and the router's socket, no key
    const has = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
    expect(has(a.home)).toEqual(expect.arrayContaining(['evidence', 'keys', 'repos']));
    for (const kept of ['pulumi', 'run', 'traffic']) expect(has(a.home)).not.toContain(kept);
    expect(has(b.home)).toEqual(expect.arrayContaining(['evidence', 'pulumi', 'run']));
    expect(has(b.home)).not.toContain('keys');
    const sbomFile = (home: string) => join(home, 'evidence', 'sha256', sbomDigest.slice('sha256:'.length));
    expect({ onB: existsSync(sbomFile(b.home)), onA: existsSync(sbomFile(a.home)) }).toEqual({ onB: true, onA: false });

    // attack (docs/security.md item 24): a workflow on a worker of its own schedules deployCandidate straight on
    // B's deploy queue with an image that never went through the gate, and a target that would deploy it
    const docker = dockerClient(config);
    const unchecked = await buildDemoImage({ docker, config }, '6.6.6', 'none');
    const target = deployTargetOf(manifestSchema.parse(parse(readFileSync(join(world.repo.dir, 'airlock.yaml'), 'utf8'))), env);
    const before = await dockerContainers(docker, SERVICE, env);
    const rogueQueue = `${queue}-rogue`;
    const rogue = await createAirlockWorker({ ...config, temporal: { ...config.temporal, taskQueue: rogueQueue } }, { workflowsPath: require.resolve('../fixtures/workflows/rogue-deploy') }, {});
    const rogueClient = await connectClient(config.temporal);
    try {
      const input = { service: SERVICE, environment: env, releaseId: `${SERVICE}-rogue-${Date.now().toString(36)}`, image: unchecked, target };
      const answer = await rogue.runUntil(rogueClient.workflow.execute('rogueDeploy', { taskQueue: rogueQueue, workflowId: `rogue-deploy/${env}`, args: [`${queue}-deploy-local`, input] }));
      expect(answer).toContain(`refused: the deploy host refuses ${unchecked} for ${env}: its evidence chain does not verify (the build link is missing)`);
    } finally {
      await rogueClient.connection.close();
    }
    expect(await dockerContainers(docker, SERVICE, env)).toEqual(before);
  },
  TIMEOUT,
);

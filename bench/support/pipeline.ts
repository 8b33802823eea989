import { readChangeWith } from '../../activities/change/read-change';
import { createRoutingActivities } from '../../activities/routing';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, type Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { join } from 'node:path';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../infra/local/stack';
import { projectRoot, resolveTool } from '../../infra/local/tools';
import type { PipelineActivities } from '../../model/activities';
import { publicKeyOf } from '../../model/approval';
import { canaryAnalysisSchema, environmentSchema } from '../../model/manifest';
import { policySchema } from '../../model/policy';
import type { PipelineInput } from '../../model/pipeline';
import type { PolicySnapshot } from '../../model/policy-snapshot';
import type { RiskLevel } from '../../model/risk';
import { loadConfig } from '../../infra/config';
import { connectClient, connectWorker } from '../../infra/temporal/connection';
import { searchAttributeKeys } from '../../workflows';
import { createAirlockWorker } from '../../worker/worker';
import { workflowSource } from '../../worker/workflow-source';

// Pieces of bench/pipeline.ts: no-op activities, inputs, the server connection, figures.

export const ALICE = 'a1'.repeat(32);

export const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
export const round = (n: number) => Math.round(n * 10) / 10;
export const stats = (xs: number[]) => ({ runs: xs.length, p50: round(quantile(xs, 0.5)), p95: round(quantile(xs, 0.95)), max: round(Math.max(...xs)) });
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const snapshot: PolicySnapshot = {
  source: 'bench',
  policyDigest: 'sha256:bench',
  groups: { dev: [{ id: 'alice', publicKey: publicKeyOf(ALICE), aliases: [] }] },
  levels: { low: { approvals: 0, groups: [], require: [] }, medium: { approvals: 1, groups: [], require: [] }, high: { approvals: 2, groups: [], require: [] } },
  approvalTimeoutMs: 3_600_000,
};

/** No-op activities with canned answers; each records how long it ran (per release) and when deploy started. */
export function noopActivities(risk: (environment: string) => RiskLevel) {
  const busyMs = new Map<string, number>();
  const deployStarted = new Map<string, number>();
  const timed = <A extends { releaseId: string }, R>(fn: (a: A) => R) => async (a: A): Promise<Awaited<R>> => {
    const t = performance.now();
    const r = await fn(a);
    busyMs.set(a.releaseId, (busyMs.get(a.releaseId) ?? 0) + performance.now() - t);
    return r;
  };
  const envOf = (releaseId: string) => releaseId.split('-').slice(2, -1).join('-'); // bench-<run>-<env>-<commit>
  const change = () => ({ files: 1, additions: 1, deletions: 0, authors: ['dana'], touchesGates: false, analysisDigest: 'sha256:a' });
  const assessment = (releaseId: string) => ({ score: 10, level: risk(envOf(releaseId)), signals: [], stats: { files: 1, additions: 1, deletions: 0 } });
  // the change analysis' reads, and readChange made of them (the real composition: activities/pipeline.ts)
  const untimed: Pick<PipelineActivities, 'readAnchorPolicy' | 'readManifest' | 'assessChange'> = {
    readAnchorPolicy: async (a) => ({ anchor: a.anchor ?? 'bootstrap', source: 'bench', branch: 'main', snapshot, policy: { policy: policySchema.parse({}), digest: snapshot.policyDigest, source: 'bench' } }),
    readManifest: async (a) => ({
      build: { context: '.', dockerfile: 'Dockerfile' },
      target: { service: a.service, environment: a.environment, run: { port: 8080, health: '/healthz', replicas: 1 }, settings: environmentSchema.parse({ routerPort: 18080 }) },
    }),
    assessChange: async (a) => ({ change: change(), risk: assessment(a.releaseId) }),
  };
  const reads = { readAnchorPolicy: timed(untimed.readAnchorPolicy), readManifest: timed(untimed.readManifest), assessChange: timed(untimed.assessChange) };
  const activities: PipelineActivities = {
    readBasePolicy: timed(() => ({ snapshot, policy: { policy: policySchema.parse({}), digest: snapshot.policyDigest, source: 'bench' } })),
    resolveAnchor: timed(() => ({ commit: 'a0'.repeat(20), stableReleaseId: 'bench-stable' })),
    ...reads,
    readChange: timed(readChangeWith(untimed)),
    recheckWindows: timed(() => ({ checkedAt: new Date().toISOString(), allowed: true, violations: [], otherBlocking: 0 })),
    buildImage: timed((a) => ({ image: `127.0.0.1:5000/bench:${a.releaseId}`, digest: `sha256:${'0'.repeat(64)}`, releaseId: a.releaseId, sizeBytes: 1, durationMs: 0, reused: true })),
    scanImage: timed((a) => ({
      image: a.image,
      vulnerabilities: { counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 }, findings: [] },
      secrets: [],
      misconfigurations: [],
      licenses: [],
      reportDigest: 'sha256:r',
      sbomDigest: 'sha256:s',
      trivyVersion: 'none',
      dbMode: 'fixture' as const,
    })),
    evaluatePolicy: timed(() => ({ allowed: true, violations: [], exceptionsApplied: [], policyDigest: 'sha256:p', notVerifiable: [], evaluatedAt: new Date().toISOString(), action: 'deploy' as const })),
    deployCandidate: timed((a) => {
      deployStarted.set(a.releaseId, performance.now());
      return { releaseId: a.releaseId, image: a.image, containers: [] };
    }),
    recordEvidence: timed(() => ({ links: [], added: 0, manifestDigest: 'sha256:e', stored: [] })),
    verifyEvidence: timed(() => ({ ok: true, links: [] })),
    shiftTraffic: timed(() => undefined),
    analyze: timed((a) => ({ step: a.step, verdict: 'pass' as const, measurements: [] })),
    // the manifest above declares no security surface: the stage never calls it
    verifyRuntimeSecurity: timed(() => {
      throw new Error('the bench manifest declares no security surface');
    }),
    promote: timed(() => undefined),
    settleRelease: timed(() => undefined),
    rollback: timed(() => undefined),
    // called by pipelines started before patch `read-once` only
    readPolicySnapshot: timed(() => snapshot),
    analyzeChange: timed(change),
    scoreRisk: timed((a) => assessment(a.releaseId)),
  };
  // the rescan and drift schedules a promoted pipeline points at its release (docs/compliance.md): no-ops here
  const schedules = {
    scheduleRescan: async () => ({ scheduleId: 'airlock-rescan/bench', created: false, rescanEvery: '24h' }),
    ensureDriftSchedule: async () => ({ scheduleId: 'airlock-drift/bench', created: false }),
    rescanTargetNow: async () => null,
  };
  // the worker's routing answer (patch queues-by-role), as a one-process worker gives it: without it every
  // pipeline's first activity failed (NotFoundError, logged) and the run fell back to one queue
  const routing = createRoutingActivities({ roles: { split: false, pipeline: true, build: true, deploy: [] }, environmentTargets: {} });
  return { activities: { ...activities, ...schedules, ...routing, benchPing: async () => Context.current().info.attempt }, busyMs, deployStarted };
}

export const input = (run: string, environment: string, n: number): PipelineInput => ({
  service: `bench-${run}`,
  environment,
  repo: '/bench',
  serviceDir: '.',
  baseCommit: 'b'.repeat(40),
  headCommit: n.toString(16).padStart(40, 'c'),
  author: 'dana',
  trigger: { ci: 'bench' },
  policyPath: 'airlock.policy.yaml',
  rollout: { strategy: 'canary', steps: [10, 50, 100] },
  analysis: canaryAnalysisSchema.parse({ interval: '1s', checks: 1, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 0 }),
});

/** Waits until `n` pipelines of this run are parked at the gate (one visibility count, not n queries). */
export async function untilParked(client: Client, run: string, n: number): Promise<void> {
  const query = `AirlockService="bench-${run}" AND AirlockStage="approval"`;
  for (let i = 0; i < 3000; i++) {
    if ((await client.workflow.count(query)).count >= n) return;
    await sleep(200);
  }
  throw new Error(`fewer than ${n} pipelines reached the approval gate`);
}

export async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

/** The baseline's one-activity workflow alone (bench/workflows), for a worker of its own. */
export function baselineBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: join(projectRoot(), 'bench', 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') });
}

/** Which workflow code the pipeline workers run: the prebuilt bundle (`npm run build`), as the production worker does. */
export const workflowSourceLabel = (): string => {
  const source = workflowSource();
  return source.workflowBundle && 'codePath' in source.workflowBundle ? `prebuilt bundle ${source.workflowBundle.codePath}` : 'bundled from the sources at start (no prebuilt bundle)';
};

/**
 * A pipeline worker as production runs it: createAirlockWorker (the activity redaction interceptor) with
 * workflowSource() (the prebuilt bundle when there is one), on `taskQueue` of server `s`.
 */
export function pipelineWorker(
  s: Pick<Server, 'address' | 'namespace' | 'configured'>,
  connection: NativeConnection,
  taskQueue: string,
  activities: object,
  extra: Partial<WorkerOptions> = {},
): Promise<Worker> {
  const config = loadConfig();
  const temporal = s.configured
    ? { ...config.temporal, taskQueue }
    : { ...config.temporal, address: s.address, namespace: s.namespace, taskQueue, apiKey: undefined, tls: undefined };
  return createAirlockWorker({ ...config, temporal }, workflowSource(), activities, { ...extra, connection });
}

export interface Server {
  address: string;
  namespace: string;
  label: string;
  /** the configured server (TLS / API key from the config apply) */
  configured: boolean;
  close(): Promise<void>;
}

/** The `airlock dev up` server, or with --ephemeral a fresh in-memory one from the pinned binary (--stock, --eager: see below). */
export async function server(argv: string[]): Promise<Server> {
  const config = loadConfig();
  if (!argv.includes('--ephemeral')) {
    const t = config.temporal;
    return { address: t.address, namespace: t.namespace, label: `${t.address} (airlock dev up)`, configured: true, close: async () => undefined };
  }
  // --ephemeral: the dynamic config `airlock dev up` starts its server with; --stock: none (Temporal's defaults);
  // --eager: eager activity dispatch alone (what `airlock dev up` ran before the transfer queue setting)
  const dynamic = argv.includes('--stock') ? [] : argv.includes('--eager') ? ['system.enableActivityEagerExecution=true'] : [...DEV_SERVER_DYNAMIC_CONFIG];
  const eager = dynamic.flatMap((kv) => ['--dynamic-config-value', kv]);
  // AIRLOCK_BENCH_DB_FILE: an SQLite file like `airlock dev up` uses; AIRLOCK_BENCH_SERVER_ARGS: more flags,
  // e.g. "--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal".
  const dbFilename = process.env.AIRLOCK_BENCH_DB_FILE || undefined;
  const extra = (process.env.AIRLOCK_BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: resolveTool(config, 'temporal') }, searchAttributes: searchAttributeKeys(), dbFilename, extraArgs: [...eager, ...extra] },
  });
  const how = [dbFilename ? `SQLite file ${dbFilename}` : 'in-memory', dynamic.length ? dynamic.join(' ') : 'stock dynamic config', ...(extra.length ? [extra.join(' ')] : [])];
  return {
    address: env.address,
    namespace: env.namespace ?? 'default',
    label: `${env.address} (ephemeral, ${how.join(', ')})`,
    configured: false,
    close: () => env.teardown(),
  };
}

export async function connect(s: Pick<Server, 'address' | 'namespace' | 'configured'>): Promise<{ client: Client; connection: NativeConnection }> {
  if (s.configured) {
    const t = loadConfig().temporal;
    const client = await connectClient(t).catch((err: Error) => {
      throw new Error(`cannot reach Temporal at ${t.address} (${err.message}): run \`npx airlock dev up\``);
    });
    return { client, connection: await connectWorker(t) };
  }
  const clientConnection = await Connection.connect({ address: s.address, connectTimeout: 5000 }).catch((err: Error) => {
    throw new Error(`cannot reach Temporal at ${s.address} (${err.message}): run \`npx airlock dev up\``);
  });
  return { client: new Client({ connection: clientConnection, namespace: s.namespace }), connection: await NativeConnection.connect({ address: s.address }) };
}

/**
 * Benchmark of the pipeline workflow on the local dev server (`airlock dev up`) with no-op activities:
 *   - orchestration overhead of one full low-risk pipeline (start to outcome minus time inside activities),
 *     p50/p95 over N runs (default 60; AIRLOCK_BENCH_RUNS)           target p95 <= 250 ms
 *   - approval to next stage: from sending the signed approve update to deployCandidate starting,
 *     p95 over the same number of parked medium-risk pipelines        target p95 <= 100 ms
 *   - worker RSS with 500 pipelines parked at the approval gate       target <= 1 GiB
 * Baseline measured in the same run: a workflow with one no-op activity (one round trip of this server).
 * Run: `node dist/bench/pipeline.js [--json] [--ephemeral]` (after `npm run build`). --ephemeral runs on a
 * fresh in-memory dev server from the pinned binary instead of the `airlock dev up` one (whose SQLite file
 * makes every history write a disk write, shared with whatever else the machine is doing).
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { projectRoot, resolveTool } from '../infra/local/tools';
import type { PipelineActivities } from '../model/activities';
import { publicKeyOf, signApproval } from '../model/approval';
import type { PipelineInput, PolicySnapshot } from '../model/pipeline';
import type { RiskLevel } from '../model/risk';
import { loadConfig } from '../worker/config';
import { connectClient, connectWorker } from '../worker/connection';
import { approveUpdate, deploymentPipeline, pipelineStartOptions, searchAttributeKeys, stateQuery } from '../workflows';
import { workflowPreloadModules } from '../workflows/bundle-options';

const RUNS = Number(process.env.AIRLOCK_BENCH_RUNS ?? 60);
const PARKED = Number(process.env.AIRLOCK_BENCH_PARKED ?? 500);
const TARGETS = { overheadP95Ms: 250, resumeP95Ms: 100, parkedRssBytes: 1024 ** 3 };
const ALICE = 'a1'.repeat(32);
const RUN_ID = Date.now().toString(36);

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const stats = (xs: number[]) => ({ runs: xs.length, p50: round(quantile(xs, 0.5)), p95: round(quantile(xs, 0.95)), max: round(Math.max(...xs)) });
const round = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const snapshot: PolicySnapshot = {
  source: 'bench',
  policyDigest: 'sha256:bench',
  groups: { dev: [{ id: 'alice', publicKey: publicKeyOf(ALICE), aliases: [] }] },
  levels: { low: { approvals: 0, groups: [], require: [] }, medium: { approvals: 1, groups: [], require: [] }, high: { approvals: 2, groups: [], require: [] } },
  approvalTimeoutMs: 3_600_000,
};

/** No-op activities with canned answers; each records how long it ran (per release) and when deploy started. */
function noopActivities(risk: (releaseId: string) => RiskLevel) {
  const busyMs = new Map<string, number>();
  const deployStarted = new Map<string, number>();
  const timed = <A extends { releaseId: string }, R>(fn: (a: A) => R) => async (a: A): Promise<Awaited<R>> => {
    const t = performance.now();
    const r = await fn(a);
    busyMs.set(a.releaseId, (busyMs.get(a.releaseId) ?? 0) + performance.now() - t);
    return r;
  };
  const activities: PipelineActivities = {
    readPolicySnapshot: timed(() => snapshot),
    analyzeChange: timed(() => ({ files: 1, additions: 1, deletions: 0, authors: ['dana'], touchesGates: false, analysisDigest: 'sha256:a' })),
    scoreRisk: timed((a) => ({ score: 10, level: risk(a.releaseId), signals: [], stats: { files: 1, additions: 1, deletions: 0 } })),
    buildImage: timed((a) => ({ image: `127.0.0.1:5000/bench:${a.releaseId}`, digest: `sha256:${'0'.repeat(64)}`, releaseId: a.releaseId, sizeBytes: 1, durationMs: 0, reused: true })),
    scanImage: timed((a) => ({
      image: a.image, vulnerabilities: { counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 }, findings: [] },
      secrets: [], misconfigurations: [], licenses: [], reportDigest: 'sha256:r', sbomDigest: 'sha256:s', trivyVersion: 'none', dbMode: 'fixture' as const,
    })),
    evaluatePolicy: timed(() => ({ allowed: true, violations: [], exceptionsApplied: [], policyDigest: 'sha256:p', notVerifiable: [], evaluatedAt: new Date().toISOString(), action: 'deploy' as const })),
    deployCandidate: timed((a) => {
      deployStarted.set(a.releaseId, performance.now());
      return { releaseId: a.releaseId, image: a.image, containers: [] };
    }),
    shiftTraffic: timed(() => undefined),
    analyze: timed((a) => ({ step: a.step, verdict: 'pass' as const, measurements: [] })),
    promote: timed(() => undefined),
    rollback: timed(() => undefined),
  };
  return { activities: { ...activities, benchPing: async () => Context.current().info.attempt }, busyMs, deployStarted };
}

const input = (environment: string, n: number): PipelineInput => ({
  service: `bench-${RUN_ID}`,
  environment,
  repo: '/bench',
  serviceDir: '.',
  baseCommit: 'b'.repeat(40),
  headCommit: n.toString(16).padStart(40, 'c'),
  author: 'dana',
  trigger: { ci: 'bench' },
  policyPath: 'airlock.policy.yaml',
  rollout: { strategy: 'canary', steps: [10, 50, 100] },
  analysis: { interval: '1s', checks: 1, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 0 },
});

/** Waits until `n` pipelines of this run are parked at the gate (one visibility count, not n queries). */
async function untilParked(client: Client, n: number): Promise<void> {
  const query = `AirlockService="bench-${RUN_ID}" AND AirlockStage="approval"`;
  for (let i = 0; i < 3000; i++) {
    if ((await client.workflow.count(query)).count >= n) return;
    await sleep(200);
  }
  throw new Error(`fewer than ${n} pipelines reached the approval gate`);
}

async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const config = loadConfig();
  let client: Client;
  let connection: NativeConnection;
  let namespace = config.temporal.namespace;
  let server = config.temporal.address;
  let env: TestWorkflowEnvironment | undefined;
  if (process.argv.includes('--ephemeral')) {
    const path = resolveTool(config, 'temporal');
    const eager = process.argv.includes('--eager') ? ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'] : [];
    env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path }, searchAttributes: searchAttributeKeys(), extraArgs: eager },
    });
    ({ client, nativeConnection: connection } = env);
    namespace = env.namespace ?? 'default';
    server = `${env.address} (ephemeral, in-memory${eager.length ? ', eager activity dispatch' : ''})`;
  } else {
    client = await connectClient(config.temporal).catch((err: Error) => {
      throw new Error(`cannot reach Temporal at ${config.temporal.address} (${err.message}): run \`npx airlock dev up\``);
    });
    connection = await connectWorker(config.temporal);
  }
  const bundle: WorkflowBundleWithSourceMap = await bundleWorkflowCode({
    workflowsPath: join(projectRoot(), 'bench', 'workflows', 'index.ts'),
    preloadModules: process.argv.includes('--no-preload') ? [] : workflowPreloadModules(join(projectRoot(), 'workflows', 'index.ts')),
    logger: new DefaultLogger('WARN'),
  });
  const mediumEnvs = new Set<string>();
  const noop = noopActivities((releaseId) => ([...mediumEnvs].some((e) => releaseId.includes(`-${e}-`)) ? 'medium' : 'low'));
  const taskQueue = `bench-pipeline-${RUN_ID}`;
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: bundle,
    activities: noop.activities,
    maxCachedWorkflows: 2 * PARKED + 100,
  });
  const log = (m: string) => process.stderr.write(`${m}\n`);

  const figures = await worker.runUntil(async () => {
    // baseline: one no-op activity, one round trip
    log('baseline: one-activity workflow');
    const baseline: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await client.workflow.execute('benchOneActivity', { taskQueue, workflowId: `bench-baseline-${RUN_ID}-${i}`, args: [] });
      baseline.push(performance.now() - t);
    }

    log(`overhead: ${RUNS} low-risk pipelines, one at a time`);
    const overhead: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const inp = input('low', i);
      const t = performance.now();
      const handle = await client.workflow.start(deploymentPipeline, pipelineStartOptions(inp, taskQueue));
      const result = await handle.result();
      const ms = performance.now() - t;
      if (result.outcome.kind !== 'promoted') throw new Error(`pipeline ${i} ended ${result.outcome.kind}`);
      wall.push(ms);
      overhead.push(ms - (noop.busyMs.get(result.releaseId) ?? 0));
    }

    log(`approval to next stage: ${RUNS} medium-risk pipelines parked, then approved one at a time`);
    const envs = Array.from({ length: RUNS }, (_, i) => `approve-${i}`);
    envs.forEach((e) => mediumEnvs.add(e));
    const parkedIds: string[] = [];
    await inBatches(envs, 20, async (e) => {
      const handle = await client.workflow.start(deploymentPipeline, pipelineStartOptions(input(e, 1), taskQueue));
      parkedIds.push(handle.workflowId);
    });
    await untilParked(client, envs.length);
    const resume: number[] = [];
    const updateRtt: number[] = [];
    for (const workflowId of parkedIds) {
      const s = await client.workflow.getHandle(workflowId).query(stateQuery);
      const digest = s.image!.split('@')[1]!;
      const approval = { approver: 'alice', signature: signApproval(ALICE, { pipelineId: workflowId, imageDigest: digest, decision: 'approve' }) };
      const t = performance.now();
      await client.workflow.getHandle(workflowId).executeUpdate(approveUpdate, { args: [approval] });
      updateRtt.push(performance.now() - t);
      for (let i = 0; i < 2000 && !noop.deployStarted.has(s.releaseId); i++) await sleep(1);
      resume.push(noop.deployStarted.get(s.releaseId)! - t);
    }
    await Promise.all(parkedIds.map((id) => client.workflow.getHandle(id).result()));

    log(`parked: ${PARKED} medium-risk pipelines waiting for approval`);
    if (typeof global.gc === 'function') global.gc();
    const rssIdle = process.memoryUsage().rss;
    const parkedEnvs = Array.from({ length: PARKED }, (_, i) => `parked-${i}`);
    parkedEnvs.forEach((e) => mediumEnvs.add(e));
    const parkStart = performance.now();
    const parked: string[] = [];
    await inBatches(parkedEnvs, 50, async (e) => {
      const handle = await client.workflow.start(deploymentPipeline, pipelineStartOptions(input(e, 2), taskQueue));
      parked.push(handle.workflowId);
    });
    await untilParked(client, PARKED);
    const parkMs = performance.now() - parkStart;
    await sleep(2000);
    const rssParked = process.memoryUsage().rss;
    log('cleaning up the parked pipelines and their locks');
    const locks = parkedEnvs.map((e) => `airlock-lock/bench-${RUN_ID}/${e}`);
    await inBatches([...parked, ...locks], 50, (id) => client.workflow.getHandle(id).terminate('benchmark done').catch(() => undefined));
    return { baseline: stats(baseline), wall: stats(wall), overhead: stats(overhead), resume: stats(resume), updateRtt: stats(updateRtt), rssIdle, rssParked, parkMs };
  });
  if (env) await env.teardown();
  else {
    await connection.close();
    await client.connection.close();
  }

  const mib = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MiB`;
  const report = {
    server,
    loadavg: loadavg().map((l) => l.toFixed(2)),
    ...figures,
    targets: TARGETS,
    ratios: {
      overheadP95: round(figures.overhead.p95 / TARGETS.overheadP95Ms),
      resumeP95: round(figures.resume.p95 / TARGETS.resumeP95Ms),
      parkedRss: round(figures.rssParked / TARGETS.parkedRssBytes),
    },
  };
  if (json) return void process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const line = (name: string, s: { p50: number; p95: number; runs: number }, target?: number) =>
    `${name.padEnd(44)} p50 ${String(s.p50).padStart(7)} ms  p95 ${String(s.p95).padStart(7)} ms  (n=${s.runs})${target ? `  target p95 <= ${target} ms: ${s.p95 <= target ? 'met' : 'MISSED'}` : ''}`;
  console.log(`pipeline benchmark on ${report.server} (load average ${report.loadavg.join(' ')})`);
  console.log(line('baseline: one-activity workflow', figures.baseline));
  console.log(line('full low-risk pipeline, wall', figures.wall));
  console.log(line('orchestration overhead (wall - activities)', figures.overhead, TARGETS.overheadP95Ms));
  console.log(line('approve update round trip', figures.updateRtt));
  console.log(line('approval -> deployCandidate started', figures.resume, TARGETS.resumeP95Ms));
  console.log(
    `worker RSS: idle ${mib(figures.rssIdle)}, ${PARKED} parked ${mib(figures.rssParked)} (parked in ${(figures.parkMs / 1000).toFixed(1)} s)  target <= 1024 MiB: ${figures.rssParked <= TARGETS.parkedRssBytes ? 'met' : 'MISSED'}`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
});

/**
 * Benchmark of the pipeline workflow with no-op activities (the orchestration alone):
 *   - overhead of one full low-risk pipeline: start to outcome minus time inside activities, p50/p95 over
 *     N runs one at a time (default 60; AIRLOCK_BENCH_RUNS)                target p95 <= 250 ms
 *   - approval to next stage: from sending the signed approve update to deployCandidate starting, over N
 *     medium-risk pipelines parked at the gate, approved one at a time     target p95 <= 100 ms
 *     (each as soon as the one before deployed: that one's rollout runs beside it); printed again with each
 *     approved only once the one before ended (the path alone, information)
 *   - worker RSS with 500 pipelines parked at the approval gate (AIRLOCK_BENCH_PARKED), measured in a
 *     fresh worker process so garbage of the other phases does not count  target <= 1 GiB
 * Baseline in the same run: a workflow with one no-op activity (one round trip of this server).
 * Run: `node dist/bench/pipeline.js [--json] [--ephemeral [--stock | --eager]]` (after `npm run build`). Default:
 * the `airlock dev up` server (SQLite file: every history write is a disk write). --ephemeral: a fresh
 * in-memory dev server from the pinned binary with the dynamic config `airlock dev up` sets
 * (infra/local/stack.ts DEV_SERVER_DYNAMIC_CONFIG); --stock: Temporal's defaults instead; --eager: eager
 * activity dispatch alone (the dev server's config before the transfer queue setting).
 * --profile: instead of the figures, where one low-risk pipeline's time goes (its history, event by event).
 */
import { Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { boundSubject, signApproval } from '../model/approval';
import { approveUpdate, deploymentPipeline, pipelineStartOptions, stateQuery } from '../workflows';
import { profileHistory } from './support/profile';
import { runBench } from './support/run';
import { ALICE, baselineBundle, connect, inBatches, input, noopActivities, pipelineWorker, round, server, sleep, stats, untilParked, workflowSourceLabel } from './support/pipeline';

const RUNS = Number(process.env.AIRLOCK_BENCH_RUNS ?? 60);
const PARKED = Number(process.env.AIRLOCK_BENCH_PARKED ?? 500);
const TARGETS = { overheadP95Ms: 250, resumeP95Ms: 100, parkedRssMiB: 1024 };
const log = (m: string) => process.stderr.write(`${m}\n`);
const mib = (b: number) => Math.round(b / 1024 ** 2);

/** Child process: a fresh worker parks PARKED pipelines; prints its RSS idle and parked as JSON. */
async function parkOnly(address: string, namespace: string, configured: boolean): Promise<void> {
  const run = `${Date.now().toString(36)}p`;
  const { client, connection } = await connect({ address, namespace, configured });
  const noop = noopActivities(() => 'medium');
  const taskQueue = `bench-park-${run}`;
  const worker = await pipelineWorker({ address, namespace, configured }, connection, taskQueue, noop.activities, { maxCachedWorkflows: 2 * PARKED + 100 });
  const result = await worker.runUntil(async () => {
    await sleep(1000);
    global.gc?.();
    const rssIdle = process.memoryUsage().rss;
    const started = performance.now();
    const ids: string[] = [];
    await inBatches(Array.from({ length: PARKED }, (_, i) => `parked-${i}`), 50, async (env) => {
      ids.push((await client.workflow.start(deploymentPipeline, pipelineStartOptions(input(run, env, 2), taskQueue))).workflowId);
    });
    await untilParked(client, run, PARKED);
    const parkMs = performance.now() - started;
    await sleep(5000);
    global.gc?.();
    const rssParked = process.memoryUsage().rss;
    const locks = ids.map((id) => id.replace(/^airlock\/(.*)\/[0-9a-f]+$/, 'airlock-lock/$1'));
    await inBatches([...ids, ...locks], 50, (id) => client.workflow.getHandle(id).terminate('benchmark done').catch(() => undefined));
    return { rssIdle, rssParked, parkMs };
  });
  await connection.close();
  await client.connection.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  if (argv[0] === '--park-only') return parkOnly(argv[1]!, argv[2]!, argv[3] === 'configured');
  const srv = await server(argv);
  const run = Date.now().toString(36);
  const { client, connection } = await connect(srv);
  const mediumEnvs = new Set<string>();
  const noop = noopActivities((env) => (mediumEnvs.has(env) ? 'medium' : 'low'));
  const taskQueue = `bench-pipeline-${run}`;

  log('baseline: one-activity workflow');
  const baselineQueue = `bench-baseline-${run}`;
  const baselineWorker = await Worker.create({ connection, namespace: srv.namespace, taskQueue: baselineQueue, workflowBundle: await baselineBundle(), activities: noop.activities });
  const baseline = await baselineWorker.runUntil(async () => {
    const ms: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await client.workflow.execute('benchOneActivity', { taskQueue: baselineQueue, workflowId: `bench-baseline-${run}-${i}`, args: [] });
      ms.push(performance.now() - t);
    }
    return stats(ms);
  });

  log(`pipelines: ${workflowSourceLabel()}`);
  const worker = await pipelineWorker(srv, connection, taskQueue, noop.activities);

  if (argv.includes('--profile')) {
    await worker.runUntil(async () => {
      for (let i = 0; i < 4; i++) await client.workflow.execute(deploymentPipeline, pipelineStartOptions(input(run, 'low', i), taskQueue));
      const p = await profileHistory(client, pipelineStartOptions(input(run, 'low', 3), taskQueue).workflowId);
      console.log(`one low-risk pipeline (after 3 warm-ups) on ${srv.label}: ${p.events} events, ${p.workflowTasks} workflow tasks, ${round(p.totalMs)} ms first to last event`);
      console.log(Object.entries(p.counts).map(([k, v]) => `${String(v).padStart(4)} ${k}`).join('\n'));
      console.log(p.timeline.join('\n'));
      // the approval's path: medium-risk pipelines parked at the gate, approved one at a time; the last one's
      // history from the update on (the first approval in a worker also builds @noble/curves' tables)
      let last = '';
      for (let n = 1; n <= 3; n++) {
        const env = `profile-approve-${n}`;
        mediumEnvs.add(env);
        const handle = await client.workflow.start(deploymentPipeline, pipelineStartOptions(input(run, env, 1), taskQueue));
        await untilParked(client, run, 1); // the ones before it were approved and ended
        const s = await handle.query(stateQuery);
        const t = performance.now();
        await handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', signature: signApproval(ALICE, boundSubject(s, s.runId!, 'approve')) }] });
        const rtt = performance.now() - t;
        for (let i = 0; i < 5000 && !noop.deployStarted.has(s.releaseId); i++) await sleep(1);
        const resume = noop.deployStarted.get(s.releaseId)! - t;
        await handle.result();
        const a = await profileHistory(client, handle.workflowId);
        const from = a.timeline.findIndex((l) => l.includes('WORKFLOW_EXECUTION_UPDATE_ACCEPTED'));
        const to = a.timeline.findIndex((l, i) => i > from && l.includes('deployCandidate'));
        console.log(`approval ${n} of a medium-risk pipeline: update round trip ${round(rtt)} ms, approval -> deployCandidate started ${round(resume)} ms`);
        last = a.timeline.slice(Math.max(0, from - 3), to + 2).join('\n');
      }
      console.log(`the last one's history from the update:\n${last}`);
    });
    await connection.close();
    await client.connection.close();
    return srv.close();
  }

  const figures = await worker.runUntil(async () => {
    log(`overhead: ${RUNS} low-risk pipelines, one at a time`);
    const overhead: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const handle = await client.workflow.start(deploymentPipeline, pipelineStartOptions(input(run, 'low', i), taskQueue));
      const result = await handle.result();
      const ms = performance.now() - t;
      if (result.outcome.kind !== 'promoted') throw new Error(`pipeline ${i} ended ${result.outcome.kind}`);
      wall.push(ms);
      overhead.push(ms - (noop.busyMs.get(result.releaseId) ?? 0));
    }

    // approvals: the next one as soon as the one before deployed (its rollout still runs beside it: the
    // figure with the target), then again with each one approved only once the one before ended (what the
    // path itself costs, nothing else in the worker)
    const approvals = async (phase: string, alone: boolean) => {
      log(`approval to next stage: ${RUNS} medium-risk pipelines parked, then approved one at a time${alone ? ', each after the one before ended' : ''}`);
      const envs = Array.from({ length: RUNS }, (_, i) => `approve-${phase}-${i}`);
      envs.forEach((e) => mediumEnvs.add(e));
      const ids: string[] = [];
      await inBatches(envs, 20, async (e) => ids.push((await client.workflow.start(deploymentPipeline, pipelineStartOptions(input(run, e, 1), taskQueue))).workflowId));
      await untilParked(client, run, envs.length);
      const resume: number[] = [];
      const updateRtt: number[] = [];
      for (const workflowId of ids) {
        const handle = client.workflow.getHandle(workflowId);
        const s = await handle.query(stateQuery);
        const approval = { approver: 'alice', signature: signApproval(ALICE, boundSubject(s, s.runId!, 'approve')) };
        const t = performance.now();
        await handle.executeUpdate(approveUpdate, { args: [approval] });
        updateRtt.push(performance.now() - t);
        for (let i = 0; i < 5000 && !noop.deployStarted.has(s.releaseId); i++) await sleep(1);
        resume.push(noop.deployStarted.get(s.releaseId)! - t);
        if (alone) await handle.result();
      }
      await Promise.all(ids.map((id) => client.workflow.getHandle(id).result()));
      return { resume, updateRtt };
    };
    const { resume, updateRtt } = await approvals('next', false);
    const alone = await approvals('alone', true);
    return { baseline, wall: stats(wall), overhead: stats(overhead), updateRtt: stats(updateRtt), resume: stats(resume), resumeAlone: stats(alone.resume) };
  });
  await connection.close();
  await client.connection.close();

  log(`parked: ${PARKED} medium-risk pipelines waiting for approval, in a fresh worker process`);
  const child = execFileSync(process.execPath, ['--expose-gc', __filename, '--park-only', srv.address, srv.namespace, srv.configured ? 'configured' : 'ephemeral'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1024 * 1024,
  });
  const park = JSON.parse(child.trim().split('\n').at(-1)!) as { rssIdle: number; rssParked: number; parkMs: number };
  await srv.close();

  const report = {
    server: srv.label,
    workflowSource: workflowSourceLabel(),
    loadavg: loadavg().map((l) => round(l)),
    ...figures,
    parked: { pipelines: PARKED, rssIdleMiB: mib(park.rssIdle), rssParkedMiB: mib(park.rssParked), seconds: round(park.parkMs / 1000) },
    targets: TARGETS,
  };
  if (argv.includes('--json')) return void process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const line = (name: string, s: { p50: number; p95: number; runs: number }, target?: number) =>
    `${name.padEnd(44)} p50 ${String(s.p50).padStart(7)} ms  p95 ${String(s.p95).padStart(7)} ms  (n=${s.runs})${target ? `  target p95 <= ${target} ms: ${verdict(s.p95 <= target)} (${round(s.p95 / target)}x)` : ''}`;
  console.log(`pipeline benchmark on ${report.server}, load average ${report.loadavg.join(' ')}`);
  console.log(`pipeline workers: ${report.workflowSource}`);
  console.log(line('baseline: one-activity workflow', figures.baseline));
  console.log(line('full low-risk pipeline, wall', figures.wall));
  console.log(line('orchestration overhead (wall - activities)', figures.overhead, TARGETS.overheadP95Ms));
  console.log(line('approve update round trip', figures.updateRtt));
  console.log(line('approval -> deployCandidate started', figures.resume, TARGETS.resumeP95Ms));
  console.log(line('  the same, the pipeline before it ended', figures.resumeAlone));
  const p = report.parked;
  console.log(
    `worker RSS, fresh process: idle ${p.rssIdleMiB} MiB, ${p.pipelines} parked ${p.rssParkedMiB} MiB (parked in ${p.seconds} s)  target <= ${TARGETS.parkedRssMiB} MiB: ${verdict(p.rssParkedMiB <= TARGETS.parkedRssMiB)}`,
  );
}

runBench(main);

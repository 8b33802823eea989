import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { gitRaw } from '../../activities/shared/git';
import { readCompliance } from '../../activities/compliance/status';
import { computeMetrics, type MetricsReport, type PipelineRecord, type RescanRecord } from '../../model/metrics';
import type { PipelineInput } from '../../model/pipeline';
import { recordFromHistory } from './record';

export { computeMetrics } from '../../model/metrics';
export type { MetricsReport, PipelineRecord } from '../../model/metrics';

export interface MetricsFilter {
  service?: string;
  env?: string;
  since: Date;
}

export interface CollectOptions {
  now?: Date;
  /** A clone of the services' repository where commit times are looked up first (`--repo`); then the pipeline's own repo when it is a local path. */
  repo?: string;
  scanIntervalMs?: number;
  /** Reports progress (pipelines read so far). */
  onProgress?: (read: number, total: number) => void;
}

const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
/** Histories read at once: enough to hide latency, few enough not to load a shared server. */
const CONCURRENCY = 8;

/**
 * The metrics of the pipelines matching `filter`, from Temporal: a visibility query for the pipelines
 * triggered since `filter.since` and for the newest promoted one of each (service, environment) whenever it
 * ran (the running release), then each one's history. Read-only; needs no worker.
 */
export async function collectMetrics(client: Client, filter: MetricsFilter, options: CollectOptions = {}): Promise<MetricsReport> {
  const now = options.now ?? new Date();
  const [records, rescans] = await Promise.all([collectRecords(client, filter, options), collectRescans(client, filter)]);
  return computeMetrics(records, now, {
    since: filter.since,
    filter: { ...(filter.service ? { service: filter.service } : {}), ...(filter.env ? { env: filter.env } : {}) },
    ...(options.scanIntervalMs ? { scanIntervalMs: options.scanIntervalMs } : {}),
    rescans,
  });
}

/** The newest finished scheduled rescan of each environment matching `filter` (`airlock compliance`'s reading of the schedules). */
export async function collectRescans(client: Client, filter: Pick<MetricsFilter, 'service' | 'env'>): Promise<RescanRecord[]> {
  const entries = await readCompliance(client, { ...(filter.service ? { service: filter.service } : {}), ...(filter.env ? { environment: filter.env } : {}) });
  return entries.flatMap((e) => (e.last ? [{ service: e.service, environment: e.environment, image: e.last.image, scannedAt: e.last.scannedAt, compliant: e.last.compliant, findings: e.last.findings.length }] : []));
}

/** The records collectMetrics computes from (the dashboard computes several windows from one read). */
export async function collectRecords(client: Client, filter: MetricsFilter, options: CollectOptions = {}): Promise<PipelineRecord[]> {
  const scope = [`WorkflowType = 'deploymentPipeline'`];
  if (filter.service) scope.push(`AirlockService = ${quote(filter.service)}`);
  if (filter.env) scope.push(`AirlockEnvironment = ${quote(filter.env)}`);

  const wanted = new Map<string, WorkflowExecutionInfo>();
  for await (const w of client.workflow.list({ query: [...scope, `StartTime >= ${quote(filter.since.toISOString())}`].join(' AND ') })) wanted.set(`${w.workflowId}/${w.runId}`, w);
  // the running release of each (service, environment): the promoted pipeline that closed last
  const newest = new Map<string, WorkflowExecutionInfo>();
  for await (const w of client.workflow.list({ query: [...scope, `AirlockOutcome = 'promoted'`].join(' AND ') })) {
    const key = `${keyword(w, 'AirlockService')}\u0000${keyword(w, 'AirlockEnvironment')}`;
    const prev = newest.get(key);
    if (!prev || (w.closeTime?.getTime() ?? 0) > (prev.closeTime?.getTime() ?? 0)) newest.set(key, w);
  }
  for (const w of newest.values()) wanted.set(`${w.workflowId}/${w.runId}`, w);

  // one run per pipeline: a reset (or a re-run of a closed id) leaves older runs, the newest one counts
  const newestRun = new Map<string, WorkflowExecutionInfo>();
  for (const w of wanted.values()) if ((newestRun.get(w.workflowId)?.startTime.getTime() ?? -1) < w.startTime.getTime()) newestRun.set(w.workflowId, w);
  const infos = [...newestRun.values()];
  const records: PipelineRecord[] = new Array(infos.length);
  let next = 0;
  let read = 0;
  const commitTimes = commitTimeLookup(options.repo);
  const worker = async () => {
    for (let i = next++; i < infos.length; i = next++) {
      const w = infos[i]!;
      const events = (await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory()).events ?? [];
      const input = startInput(events[0]);
      const commitTime = input ? await commitTimes(input.headCommit, input.repo) : undefined;
      records[i] = recordFromHistory(w.workflowId, events, commitTime);
      options.onProgress?.(++read, infos.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, infos.length) }, worker));
  return records;
}

const keyword = (w: WorkflowExecutionInfo, k: string) => String((w.searchAttributes?.[k] as unknown[] | undefined)?.[0] ?? '');

function startInput(e: Parameters<typeof recordFromHistory>[1][number] | undefined): Pick<PipelineInput, 'headCommit' | 'repo'> | undefined {
  const payload = e?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  try {
    const input = defaultPayloadConverter.fromPayload(payload) as Partial<PipelineInput>;
    return typeof input.headCommit === 'string' && typeof input.repo === 'string' ? { headCommit: input.headCommit, repo: input.repo } : undefined;
  } catch {
    return undefined;
  }
}

/** A local directory for a repository URL: an absolute path or a file:// URL; remote repositories have none. */
function localDir(repo: string): string | undefined {
  try {
    const dir = repo.startsWith('file://') ? fileURLToPath(repo) : isAbsolute(repo) ? repo : undefined;
    return dir && existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The head commit's committer date (`git show -s --format=%cI`), looked up in `repo` then in the pipeline's
 * repository when it is local; undefined when neither has the commit. The commit id is checked to be a full
 * hex id first (it comes from a workflow input: it must never reach git as an option); git runs with hooks
 * and fsmonitor off (activities/shared/git.ts).
 */
export function commitTimeLookup(repo?: string): (commit: string, pipelineRepo: string) => Promise<string | undefined> {
  const cache = new Map<string, Promise<string | undefined>>();
  const lookup = async (commit: string, pipelineRepo: string) => {
    if (!COMMIT.test(commit)) return undefined;
    for (const dir of [repo, localDir(pipelineRepo)]) {
      if (!dir) continue;
      const r = await gitRaw(dir, ['show', '-s', '--format=%cI', `${commit}^{commit}`]).catch(() => undefined);
      const t = r?.code === 0 ? Date.parse(r.stdout.trim()) : NaN;
      if (Number.isFinite(t)) return new Date(t).toISOString();
    }
    return undefined;
  };
  return (commit, pipelineRepo) => {
    const key = `${commit} ${pipelineRepo}`;
    if (!cache.has(key)) cache.set(key, lookup(commit, pipelineRepo));
    return cache.get(key)!;
  };
}

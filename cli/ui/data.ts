import type { Client } from '@temporalio/client';
import type { PipelineResult, PipelineState } from '../../model/pipeline';
import { stateQuery } from '../../workflows/messages';
import { existingPipeline } from '../client';
import { buildTimeline, type Timeline } from '../history/timeline';
import { listPipelines, type ListFilters, type PipelineRow } from '../commands/inspect';

// What the pages show, read through the CLI's own code: `airlock list`'s query, `airlock status`'s state
// query and `airlock history`'s timeline (built from the workflow history, the audit trail).

export interface PipelineView {
  id: string;
  status: string;
  /** the live state; absent when no worker answers the query (the timeline still shows everything) */
  state?: PipelineState;
  stateError?: string;
  timeline: Timeline;
}

export async function loadPipeline(client: Client, id: string): Promise<PipelineView> {
  const handle = await existingPipeline(client, id);
  const described = await handle.describe();
  const timeline = buildTimeline(id, (await handle.fetchHistory()).events ?? []);
  if (described.status.name !== 'RUNNING') return { id, status: described.status.name, timeline };
  try {
    return { id, status: described.status.name, timeline, state: await handle.query(stateQuery) };
  } catch (err) {
    return { id, status: described.status.name, timeline, stateError: (err as Error).message };
  }
}

export interface EnvironmentView {
  service: string;
  environment: string;
  /** the newest promoted pipeline: what the environment runs */
  running?: { pipelineId: string; image?: string; started: string };
  history: PipelineRow[];
}

/** Per (service, environment), most recently active first: what runs (its newest promoted pipeline) and its recent pipelines. */
export async function loadReleases(client: Client, filters: Pick<ListFilters, 'service' | 'env'> = {}, limit = 300): Promise<EnvironmentView[]> {
  const rows = await listPipelines(client, filters, limit);
  const envs = new Map<string, EnvironmentView>();
  for (const r of rows) {
    const key = `${r.service}/${r.environment}`;
    const view = envs.get(key) ?? { service: r.service, environment: r.environment, history: [] };
    envs.set(key, view);
    if (view.history.length < 5) view.history.push(r);
    if (!view.running && r.outcome === 'promoted') view.running = { pipelineId: r.pipelineId, started: r.started };
  }
  const views = [...envs.values()];
  await Promise.all(
    views.map(async (v) => {
      if (!v.running) return;
      const result = (await client.workflow.getHandle(v.running.pipelineId).result().catch(() => undefined)) as PipelineResult | undefined;
      if (result?.outcome.kind === 'promoted') v.running.image = result.outcome.image;
    }),
  );
  return views;
}

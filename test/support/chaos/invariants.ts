// What must hold after every chaos run, read from the real components (never from the worker's word):
// the history's result, Docker's containers, networks and images, the registry, Pulumi's checkpoint and
// lock files, the router's servers (its runtime API) and the environment lock workflow.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { LABELS as IMAGE_LABELS } from '../../../activities/build/build-image';
import type { Timeline } from '../../../cli/history/timeline';
import { LABELS } from '../../../infra/deploy/labels';
import { createStackDriver, PULUMI_PROJECT } from '../../../infra/deploy/stack';
import { parseAdminAddress, showServers } from '../../../infra/haproxy/runtime-api';
import { dockerClient } from '../../../infra/local/probes';
import { lockWorkflowId, stackName } from '../../../model/names';
import { lockStateQuery } from '../../../workflows/messages';
import type { E2eWorld } from '../e2e-world';
import { SERVICE } from '../e2e-world';

export interface Invariants {
  timeline?: Timeline;
  historyComplete: boolean;
  duplicates: string[];
  orphans: string[];
  /** Containers in Pulumi's state that are not running (what serves the environment is down). */
  stopped: string[];
  lockReleased: boolean;
}

type StateResource = { type: string; urn: string; id?: string; outputs?: Record<string, unknown> };

/** `airlock history <id> --json`, as an auditor reads it; complete when it has the pipeline's result. */
export function readHistory(world: E2eWorld, id: string): Timeline | undefined {
  const r = world.cli(['history', id, '--json']);
  if (r.code !== 0) return undefined;
  return JSON.parse(r.stdout) as Timeline;
}

/** More than one build, image, or set of containers for the release. */
async function duplicatesOf(world: E2eWorld, tl: Timeline): Promise<string[]> {
  const found: string[] = [];
  const builds = tl.stages.filter((s) => s.activity === 'buildImage' && s.result === 'completed');
  if (builds.length > 1) found.push(`${builds.length} completed buildImage activities`);
  const releaseId = tl.result?.releaseId;
  if (!releaseId) return found;
  const docker = dockerClient(world.config);
  const images = await docker.listImages({ all: false, filters: { label: [`${IMAGE_LABELS.releaseId}=${releaseId}`] } });
  if (images.length > 1) found.push(`${images.length} images labelled ${releaseId}: ${images.map((i) => i.Id.slice(7, 19)).join(', ')}`);
  const deploys = tl.stages.filter((s) => s.activity === 'deployCandidate' && s.result === 'completed');
  if (deploys.length > 1) found.push(`${deploys.length} completed deployCandidate activities`);
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABELS.release}=${releaseId}`] } });
  // the world runs one replica: a second container of the release is a second candidate set
  if (containers.length > 1) found.push(`${containers.length} containers of ${releaseId}: ${containers.map((c) => c.Names[0]).join(', ')}`);
  return found;
}

/**
 * Whatever is labelled with the environment's stack but not in Pulumi's checkpoint (or the reverse), a
 * router serving a server the stack does not have, a pending Pulumi operation or a Pulumi lock file left.
 */
export async function orphansOf(world: E2eWorld): Promise<{ orphans: string[]; stopped: string[] }> {
  const found: string[] = [];
  const stopped: string[] = [];
  const stack = stackName(SERVICE, world.environment);
  const docker = dockerClient(world.config);
  const state = (await createStackDriver(world.config).exportState(SERVICE, world.environment)) as { resources?: StateResource[]; pending_operations?: unknown[] };
  const resources = state.resources ?? [];
  const ofType = (kind: string) => resources.filter((r) => r.type.endsWith(`/airlock:${kind}`) || r.type.endsWith(`:airlock:${kind}`));
  const inStack = new Set(ofType('ReleaseContainer').concat(ofType('RouterContainer')).map((r) => String(r.id)));
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABELS.stack}=${stack}`] } });
  const names = containers.map((c) => c.Names[0]!.replace(/^\//, ''));
  for (const c of containers) {
    const name = c.Names[0]!.replace(/^\//, '');
    if (!inStack.has(name)) found.push(`container ${name} (${c.State}) not in Pulumi's state`);
    else if (c.State !== 'running') stopped.push(`container ${name} in Pulumi's state is ${c.State}`);
  }
  for (const id of inStack) if (!names.includes(id)) found.push(`Pulumi's state has container ${id}, Docker does not`);
  const networkIds = new Set(ofType('DockerNetwork').flatMap((r) => [String(r.id), String(r.outputs?.networkId ?? ''), String(r.outputs?.name ?? '')]));
  for (const n of await docker.listNetworks({ filters: { label: [`${LABELS.stack}=${stack}`] } })) {
    if (!networkIds.has(n.Id) && !networkIds.has(n.Name)) found.push(`network ${n.Name} not in Pulumi's state`);
  }
  if ((state.pending_operations ?? []).length) found.push(`${state.pending_operations!.length} pending Pulumi operations`);
  found.push(...pulumiLocks(world, stack));
  found.push(...(await routerMismatch(ofType('RouterContainer')[0], ofType('ReleaseContainer').map((r) => String(r.id)))));
  return { orphans: found, stopped };
}

function pulumiLocks(world: E2eWorld, stack: string): string[] {
  const url = world.config.pulumi.backendUrl;
  if (!url.startsWith('file://')) return [];
  const dir = join(fileURLToPath(url), '.pulumi', 'locks', 'organization', PULUMI_PROJECT, stack);
  // locks are the `.json` blobs; fileblob's `.attrs` sidecars are metadata Pulumi never reads as a lock
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => `Pulumi lock ${f} left on ${stack}`) : [];
}

/** The router's `app` servers (runtime API) must be the stack's release containers. */
async function routerMismatch(router: StateResource | undefined, releases: string[]): Promise<string[]> {
  const address = router?.outputs?.adminAddress;
  if (typeof address !== 'string') return releases.length ? ['release containers but no router in Pulumi\'s state'] : [];
  try {
    const servers = (await showServers(parseAdminAddress(address))).filter((s) => s.backend === 'app').map((s) => s.name);
    const extra = servers.filter((s) => !releases.includes(s));
    const missing = releases.filter((r) => !servers.includes(r));
    return [...extra.map((s) => `router serves ${s}, not in Pulumi's state`), ...missing.map((s) => `router does not serve ${s}`)];
  } catch (err) {
    return [`router runtime API: ${(err as Error).message}`];
  }
}

/** The lock is released by a signal the pipeline sends as it ends: give it a few seconds to arrive. */
async function lockReleasedSoon(client: Client, world: E2eWorld, pipelineId: string, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await lockReleased(client, world, pipelineId))) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
  return true;
}

/** The environment lock is released by the pipeline: no holder, or a holder that is another pipeline. */
export async function lockReleased(client: Client, world: E2eWorld, pipelineId: string): Promise<boolean> {
  const handle = client.workflow.getHandle(lockWorkflowId(SERVICE, world.environment));
  try {
    const state = await handle.query(lockStateQuery);
    return state.holder?.pipelineId !== pipelineId && !state.queue.some((r) => r.pipelineId === pipelineId);
  } catch (err) {
    // a lock workflow that has closed holds nothing; any other error means we could not tell
    const desc = await handle.describe().catch(() => undefined);
    if (desc && desc.status.name !== 'RUNNING') return true;
    throw err;
  }
}

export async function checkInvariants(client: Client, world: E2eWorld, pipelineId: string): Promise<Invariants> {
  const timeline = readHistory(world, pipelineId);
  return {
    timeline,
    historyComplete: !!timeline?.result && timeline.status === 'completed',
    duplicates: timeline ? await duplicatesOf(world, timeline) : [],
    ...(await orphansOf(world)),
    lockReleased: await lockReleasedSoon(client, world, pipelineId),
  };
}

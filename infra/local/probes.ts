import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { Connection } from '@temporalio/client';
import { z } from 'zod';
import { parseWith } from '../../model/parse';
import type { AirlockConfig } from '../config';
import { resolveTool, type ToolName } from './tools';

const run = promisify(execFile);

/** One line of `airlock dev status`. */
export interface ComponentStatus {
  name: string;
  ok: boolean;
  version?: string;
  endpoint?: string;
  detail?: string;
}

export const COMPONENTS = ['docker', 'registry', 'temporal', 'temporal-ui', 'prometheus', 'pulumi', 'trivy', 'base-image', 'router-image'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export function dockerClient(config: Pick<AirlockConfig, 'docker'>): Docker {
  const host = config.docker.host;
  if (!host) return new Docker();
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  const u = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: u.hostname, port: Number(u.port || 2375), protocol: u.protocol === 'https:' ? 'https' : 'http' });
}

const errText = (err: unknown) => ((err as Error)?.message ?? String(err)).split('\n')[0]!;

async function fetchWithTimeout(url: string, ms = 3000): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(ms) });
}

export async function probeDocker(config: AirlockConfig): Promise<ComponentStatus> {
  const endpoint = config.docker.host ?? 'unix:///var/run/docker.sock';
  try {
    const v = await dockerClient(config).version();
    return { name: 'docker', ok: true, version: v.Version, endpoint };
  } catch (err) {
    return { name: 'docker', ok: false, endpoint, detail: `${errText(err)} (start it with \`npx airlock dev up\`, or set DOCKER_HOST)` };
  }
}

export async function probeRegistry(config: AirlockConfig): Promise<ComponentStatus> {
  const endpoint = `http://${config.registry}`;
  try {
    const res = await fetchWithTimeout(`${endpoint}/v2/`);
    const api = res.headers.get('docker-distribution-api-version');
    if (res.status !== 200 || !api) throw new Error(`GET /v2/ answered ${res.status} without the registry API header`);
    return { name: 'registry', ok: true, version: api, endpoint };
  } catch (err) {
    return { name: 'registry', ok: false, endpoint, detail: `${errText(err)} (start it with \`npx airlock dev up\`, or set AIRLOCK_REGISTRY)` };
  }
}

export async function probeTemporal(config: AirlockConfig): Promise<ComponentStatus> {
  const endpoint = config.temporal.address;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: endpoint, connectTimeout: 3000 });
    const info = await connection.workflowService.getClusterInfo({});
    await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
    return { name: 'temporal', ok: true, version: info.serverVersion ?? undefined, endpoint, detail: `namespace ${config.temporal.namespace}` };
  } catch (err) {
    return { name: 'temporal', ok: false, endpoint, detail: `${errText(err)} (start it with \`npx airlock dev up\`, or set TEMPORAL_ADDRESS)` };
  } finally {
    await connection?.close();
  }
}

/** What the UI server's GET /api/v1/settings must say (ui-server/v2 server/api/handler.go SettingsResponse). */
const UI_READ_ONLY_KEYS = [
  'DisableWriteActions',
  'WorkflowTerminateDisabled',
  'WorkflowCancelDisabled',
  'WorkflowSignalDisabled',
  'WorkflowUpdateDisabled',
  'WorkflowResetDisabled',
  'BatchActionsDisabled',
  'StartWorkflowDisabled',
  'ActivityCommandsDisabled',
] as const;
const uiSettingsSchema = z.looseObject({ Version: z.string().optional(), ...Object.fromEntries(UI_READ_ONLY_KEYS.map((k) => [k, z.boolean().optional()])) });

/**
 * The Temporal web UI: ok only when it answers and every write action is off. A UI with write actions
 * (the dev server's own UI, a UI server configured by hand) is not ok: it is a door around the gate.
 */
export async function probeTemporalUi(config: AirlockConfig): Promise<ComponentStatus> {
  const endpoint = `http://127.0.0.1:${config.temporal.uiPort}`;
  if (config.temporal.ui === 'off') return { name: 'temporal-ui', ok: true, detail: 'off (AIRLOCK_TEMPORAL_UI=off)' };
  try {
    const res = await fetchWithTimeout(`${endpoint}/api/v1/settings`);
    if (!res.ok) throw new Error(`GET /api/v1/settings answered ${res.status}`);
    const settings = parseWith(uiSettingsSchema, await res.json(), 'temporal-ui settings') as Record<string, unknown>;
    const writable = UI_READ_ONLY_KEYS.filter((k) => settings[k] !== true);
    if (writable.length) {
      return { name: 'temporal-ui', ok: false, version: settings.Version as string | undefined, endpoint, detail: `the UI on ${endpoint} has write actions on (${writable.join(', ')} not true): stop it; \`npx airlock dev up\` starts a read-only one` };
    }
    return { name: 'temporal-ui', ok: true, version: settings.Version as string | undefined, endpoint, detail: 'read-only' };
  } catch (err) {
    return { name: 'temporal-ui', ok: false, endpoint, detail: `${errText(err)} (start it with \`npx airlock dev up\`, or set AIRLOCK_TEMPORAL_UI=off)` };
  }
}

export async function probePrometheus(config: AirlockConfig): Promise<ComponentStatus> {
  const endpoint = config.prometheusUrl;
  try {
    const res = await fetchWithTimeout(`${endpoint}/api/v1/status/buildinfo`);
    const body = (await res.json()) as { data?: { version?: string } };
    if (!res.ok || !body.data?.version) throw new Error(`buildinfo answered ${res.status}`);
    return { name: 'prometheus', ok: true, version: body.data.version, endpoint };
  } catch (err) {
    return { name: 'prometheus', ok: false, endpoint, detail: `${errText(err)} (start it with \`npx airlock dev up\`, or set PROMETHEUS_URL)` };
  }
}

async function probeTool(config: AirlockConfig, name: ToolName, component: ComponentName, args: string[]): Promise<ComponentStatus> {
  try {
    const bin = resolveTool(config, name);
    const { stdout } = await run(bin, args, { timeout: 15_000 });
    const version = /(\d+\.\d+\.\d+)/.exec(stdout)?.[1];
    return { name: component, ok: true, version, endpoint: bin };
  } catch (err) {
    return { name: component, ok: false, detail: errText(err) };
  }
}

export async function probePulumi(config: AirlockConfig): Promise<ComponentStatus> {
  const s = await probeTool(config, 'pulumi', 'pulumi', ['version']);
  if (!s.ok) return s;
  const provider = join(require.resolve('@pulumi/pulumi/package.json'), '..', 'pulumi-resource-pulumi-nodejs');
  if (!existsSync(provider)) return { ...s, ok: false, detail: 'pulumi-resource-pulumi-nodejs missing from @pulumi/pulumi (run npm ci)' };
  return { ...s, detail: `backend ${config.pulumi.backendUrl}` };
}

export async function probeTrivy(config: AirlockConfig): Promise<ComponentStatus> {
  const s = await probeTool(config, 'trivy', 'trivy', ['--version']);
  if (!s.ok) return s;
  const cacheDir = join(config.trivy.cacheDir, config.trivy.db);
  const db = join(cacheDir, 'db', 'trivy.db');
  if (config.trivy.db === 'fixture' && !existsSync(db)) {
    return { ...s, ok: false, detail: `fixture vulnerability DB missing at ${db} (run \`npx airlock dev up\`)` };
  }
  return { ...s, detail: `db ${config.trivy.db} (${cacheDir})` };
}

async function probeImage(config: AirlockConfig, component: ComponentName, tag: string): Promise<ComponentStatus> {
  try {
    const info = await dockerClient(config).getImage(tag).inspect();
    return { name: component, ok: true, version: tag, detail: `${info.Id.slice(0, 19)} ${(info.Size / 1e6).toFixed(0)} MB` };
  } catch (err) {
    return { name: component, ok: false, version: tag, detail: `${errText(err)} (build it with \`npx airlock dev up\`)` };
  }
}

/** Every component's status, probed concurrently. */
export async function probeAll(config: AirlockConfig): Promise<ComponentStatus[]> {
  return Promise.all([
    probeDocker(config),
    probeRegistry(config),
    probeTemporal(config),
    probeTemporalUi(config),
    probePrometheus(config),
    probePulumi(config),
    probeTrivy(config),
    probeImage(config, 'base-image', config.images.base),
    probeImage(config, 'router-image', config.images.router),
  ]);
}

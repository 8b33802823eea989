import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { createDeployActivities } from '../../activities/deploy';
import { LABELS } from '../../infra/deploy/labels';
import { createStackDriver, type StackDriver } from '../../infra/deploy/stack';
import { parseAdminAddress, showServers } from '../../infra/haproxy/runtime-api';
import { dockerClient } from '../../infra/local/probes';
import { projectRoot } from '../../infra/local/tools';
import { deployTargetOf, type DeployTarget, type EnvironmentState } from '../../model/deploy';
import { manifestSchema } from '../../model/manifest';
import { stackName } from '../../model/names';
import type { AirlockConfig } from '../../infra/config';
import { requireComponents } from '../support/stack';
import { parse } from 'yaml';

/** Shared set-up of the deploy integration tests: real Docker, registry, HAProxy, Prometheus, Pulumi. */
export async function deployTestKit() {
  const config = await requireComponents('docker', 'registry', 'prometheus', 'pulumi', 'base-image', 'router-image');
  const docker = dockerClient(config);
  const driver = createStackDriver(config);
  const heartbeats: unknown[] = [];
  const activities = createDeployActivities({ config, driver, heartbeat: (d) => heartbeats.push(d), log: { info: () => {}, warn: () => {} } });
  return { config, docker, driver, activities, heartbeats };
}

export type DeployTestKit = Awaited<ReturnType<typeof deployTestKit>>;

/** A unique service name per test file run (stacks, containers and Prometheus series do not collide). */
export const uniqueService = (prefix: string): string => `${prefix}-${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

/** The demo service's manifest with the test's service name, router port and analysis/rollout overrides. */
export function demoTarget(service: string, environment: 'production' | 'staging', routerPort: number, overrides: Partial<DeployTarget['settings']> = {}): DeployTarget {
  const raw = parse(readFileSync(join(projectRoot(), 'examples', 'demo-service', 'airlock.yaml'), 'utf8')) as Record<string, unknown>;
  const manifest = manifestSchema.parse({ ...raw, service });
  const target = deployTargetOf(manifest, environment);
  return { ...target, settings: { ...target.settings, routerPort, ...overrides } };
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream, what: string): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: Array<Record<string, unknown>>) => {
      if (err) return reject(err);
      const bad = events.find((e) => e.error);
      if (bad) return reject(new Error(`${what}: ${String(bad.error)}`));
      resolve(events);
    });
  });
}

/**
 * Builds the demo service as a commit would change it (`version`, `fault` in release.js), pushes it to
 * the registry and returns `repo@sha256:...`. Cached by tag within the registry's content addressing.
 */
export async function buildDemoImage(kit: Pick<DeployTestKit, 'docker' | 'config'>, version: string, fault: 'none' | 'errors' | 'latency' | 'api-errors' | 'auth-storm' | 'no-auth' | 'stack-trace'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-demo-'));
  try {
    cpSync(join(projectRoot(), 'examples', 'demo-service'), dir, { recursive: true });
    writeFileSync(join(dir, 'release.js'), `module.exports = { version: ${JSON.stringify(version)}, fault: ${JSON.stringify(fault)} };\n`);
    const tag = `${kit.config.registry}/airlock-it-demo:${version}-${fault}`;
    const build = await kit.docker.buildImage({ context: dir, src: ['Dockerfile', 'release.js', 'metrics.js', 'api.js', 'flags.js', 'server.js', 'vendor/README.md'] }, { t: tag });
    await follow(kit.docker, build, `build ${tag}`);
    const push = await kit.docker.getImage(tag).push({ authconfig: { serveraddress: kit.config.registry } });
    const events = await follow(kit.docker, push, `push ${tag}`);
    const digest = events.map((e) => (e.aux as { Digest?: string } | undefined)?.Digest).find(Boolean);
    if (!digest) throw new Error(`push ${tag}: no digest in the registry's answer`);
    return `${tag.replace(/:[^:/]+$/, '')}@${digest}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Containers Docker has for a stack, by role. */
export async function dockerContainers(docker: Docker, service: string, environment: string): Promise<{ releases: string[]; routers: string[] }> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.stack}=${stackName(service, environment)}`] } });
  const names = (role: string) =>
    list
      .filter((c) => c.Labels[LABELS.role] === role)
      .map((c) => c.Names[0]!.replace(/^\//, ''))
      .sort();
  return { releases: names('release'), routers: names('router') };
}

/** Container names the stack's checkpoint holds, by type. */
export async function stackContainers(driver: StackDriver, service: string, environment: string): Promise<{ releases: string[]; routers: string[] }> {
  const state = await driver.exportState(service, environment);
  // Dynamic resources are typed `pulumi-nodejs:dynamic/airlock:<Kind>`.
  const ids = (kind: string) =>
    (state.resources ?? [])
      .filter((r) => r.type.endsWith(`/airlock:${kind}`))
      .map((r) => String(r.id))
      .sort();
  return { releases: ids('ReleaseContainer'), routers: ids('RouterContainer') };
}

/** The router's servers: `backend/name weight`. */
export async function routerServers(state: EnvironmentState): Promise<string[]> {
  const servers = await showServers(parseAdminAddress(state.router!.adminAddress));
  return servers.map((s) => `${s.backend}/${s.name} ${s.weight}`).sort();
}

/**
 * The invariant after every operation: the stack's containers are exactly Docker's (no orphans), and the
 * router has exactly the stable's and candidate's servers (no stale ones).
 */
export async function expectStackMatchesDocker(kit: DeployTestKit, service: string, environment: string): Promise<EnvironmentState> {
  const [inDocker, inStack, out] = await Promise.all([
    dockerContainers(kit.docker, service, environment),
    stackContainers(kit.driver, service, environment),
    kit.driver.outputs(service, environment),
  ]);
  expect(inDocker).toEqual(inStack);
  const state = out!.state;
  const expected = [...(state.stable?.containers ?? []), ...(state.candidate?.containers ?? [])].sort();
  expect(inDocker.releases).toEqual(expected);
  const servers = (await routerServers(state)).map((s) => s.split(' ')[0]!);
  expect(servers.filter((s) => s.startsWith('app/')).map((s) => s.slice(4)).sort()).toEqual(expected);
  expect(servers.filter((s) => s.startsWith('preview/')).map((s) => s.slice(8)).sort()).toEqual([...(state.candidate?.containers ?? [])].sort());
  return state;
}

/** GETs `url` n times; answers by the X-Demo-Version header (or status when the request failed). */
export async function sample(url: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    let key: string;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000), headers: { connection: 'close' } });
      key = res.headers.get('x-demo-version') ?? `status-${res.status}`;
      await res.arrayBuffer();
    } catch (err) {
      key = `error-${(err as Error).name}`;
    }
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Destroys a test stack (and removes anything labelled with it that the stack did not know about). */
export async function destroyEnvironment(kit: DeployTestKit, service: string, environment: string): Promise<void> {
  await kit.driver.destroy(service, environment).catch(() => undefined);
  const left = await kit.docker.listContainers({ all: true, filters: { label: [`${LABELS.stack}=${stackName(service, environment)}`] } });
  await Promise.all(left.map((c) => kit.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

export type { AirlockConfig };

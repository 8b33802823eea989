import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { answersOnPublishedPort, dockerClient, networkAddress, publishedPort, removeContainer, waitHealthy } from '../docker/ops';
import type { Resources } from '../../model/manifest';
import { hostLimits } from './limits';
import { adoptOrClear, containerProvider, ContainerResource, type ResourceArgs } from './container';

/**
 * One container of a release, from `image@digest`. Immutable: any change of its inputs replaces it
 * (a release is new containers, never a patched one). Creation is idempotent by name: a container left
 * by an interrupted update (same name and labels) is adopted, anything else under that name replaced.
 */
export interface ReleaseContainerInputs {
  name: string;
  image: string;
  network: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  /** Memory, CPU and process limits (model/manifest.ts resourcesOf). */
  resources: Resources;
  port: number;
  healthPath: string;
  healthIntervalMs: number;
  healthTimeoutMs: number;
  /**
   * Host directory of the environment's flags (issue 18): mounted read-only at FLAGS_MOUNT, its flags.json
   * named by AIRLOCK_FLAGS_FILE. Not immutable: a running release keeps its container when it is added.
   */
  flagsDir?: string;
}

/** Where a release container sees its environment's flags directory (read-only). */
export const FLAGS_MOUNT = '/etc/airlock/flags';

/** The flags directory with a served file in it: the flagd provider fails to start on a missing file. */
function ensureFlagsDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const file = join(dir, 'flags.json');
  if (!existsSync(file)) writeFileSync(file, `${JSON.stringify({ flags: {} })}\n`, { mode: 0o644 });
}

export interface ReleaseContainerOutputs extends ReleaseContainerInputs {
  containerId: string;
  address: string;
  hostPort: number;
}

// `resources` is not in the list on purpose: releases deployed before limits existed would otherwise be
// replaced (restarted) by the next deploy of another release. A release's limits are fixed when it is
// deployed (infra/deploy/spec.ts), so new releases always get theirs at creation.
const IMMUTABLE = ['name', 'image', 'network', 'labels', 'env', 'port', 'healthPath', 'healthIntervalMs'] as const;

async function createReleaseContainer(inputs: ReleaseContainerInputs): Promise<pulumi.dynamic.CreateResult<ReleaseContainerOutputs>> {
  const docker = dockerClient();
  const existing = await adoptOrClear(docker, inputs, false);
  if (!existing) {
    const ns = (ms: number) => ms * 1_000_000;
    if (inputs.flagsDir) ensureFlagsDir(inputs.flagsDir);
    const flags = inputs.flagsDir ? { AIRLOCK_FLAGS_FILE: `${FLAGS_MOUNT}/flags.json` } : {};
    const created = await docker.createContainer({
      name: inputs.name,
      Image: inputs.image,
      Labels: inputs.labels,
      Env: Object.entries({ ...inputs.env, ...flags, PORT: String(inputs.port) }).map(([k, v]) => `${k}=${v}`),
      ExposedPorts: { [`${inputs.port}/tcp`]: {} },
      Healthcheck: {
        Test: ['CMD', 'curl', '-fsS', '-o', '/dev/null', '--max-time', '2', `http://127.0.0.1:${inputs.port}${inputs.healthPath}`],
        Interval: ns(inputs.healthIntervalMs),
        Timeout: ns(2000),
        Retries: 3,
        StartPeriod: ns(15_000),
      },
      HostConfig: {
        NetworkMode: inputs.network,
        RestartPolicy: { Name: 'unless-stopped' },
        // Published on loopback only, on a port Docker picks: Prometheus scrapes the app's metrics here.
        PortBindings: { [`${inputs.port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
        Init: true,
        ...(inputs.flagsDir ? { Binds: [`${inputs.flagsDir}:${FLAGS_MOUNT}:ro`] } : {}),
        ...hostLimits(inputs.resources),
      },
    });
    await created.start();
  } else if (!existing.State.Running) {
    await docker.getContainer(inputs.name).start();
  }
  try {
    // the health path on the published loopback port ends the wait as soon as the app answers (Docker's own first
    // check comes a whole interval after the start); a Docker engine on another host leaves Docker's check alone
    const local = !process.env.DOCKER_HOST || process.env.DOCKER_HOST.startsWith('unix://');
    await waitHealthy(docker, inputs.name, inputs.healthTimeoutMs, local ? { answers: (info) => answersOnPublishedPort(info, inputs.port, inputs.healthPath) } : {});
  } catch (err) {
    await removeContainer(docker, inputs.name, 1); // nothing half-made stays behind
    throw err;
  }
  const info = await docker.getContainer(inputs.name).inspect();
  return {
    id: inputs.name,
    outs: { ...inputs, containerId: info.Id, address: networkAddress(info, inputs.network), hostPort: publishedPort(info, inputs.port) },
  };
}

const releaseContainerProvider = containerProvider<ReleaseContainerInputs, ReleaseContainerOutputs>((inputs) => createReleaseContainer(inputs), IMMUTABLE, 5);

export class ReleaseContainer extends ContainerResource<ReleaseContainerInputs> {
  declare readonly address: pulumi.Output<string>;
  declare readonly hostPort: pulumi.Output<number>;

  constructor(name: string, args: ResourceArgs<ReleaseContainerInputs>, opts?: pulumi.CustomResourceOptions) {
    super(releaseContainerProvider, 'ReleaseContainer', name, args, ['address', 'hostPort'], opts);
  }
}

import * as pulumi from '@pulumi/pulumi';
import { dockerClient, logTail, publishedPort, putFiles, removeContainer } from '../docker/ops';
import { ADMIN_SOCKET, ADMIN_SOCKET_DIR, BACKENDS_CFG, CONFIG_DIR, ROUTER_CFG, ROUTER_PORTS } from '../haproxy/config';
import { formatAdminAddress, runtimeCommand, type AdminAddress } from '../haproxy/runtime-api';
import { adoptOrClear, containerProvider, ContainerResource, type ResourceArgs } from './container';
import type Docker from 'dockerode';

/**
 * The environment's HAProxy router: user traffic on the manifest's port, the candidate alone on a preview
 * port and the Prometheus exporter on ports Docker picks, published on 127.0.0.1 only. The runtime API is
 * no port: it is a unix socket in `adminDir`, a host directory (mode 700, airlock's user) bind-mounted
 * into the router, so release containers on the router's network cannot reach it. Its servers are managed
 * by RouterServers through the runtime API, not here.
 */
export interface RouterContainerInputs {
  name: string;
  image: string;
  network: string;
  labels: Record<string, string>;
  routerPort: number;
  routerConfig: string;
  /** Host directory of the admin socket, this router's alone. */
  adminDir: string;
  /** backends.cfg the router starts with (no servers); RouterServers rewrites it afterwards. */
  initialBackends: string;
}

export interface RouterContainerOutputs extends RouterContainerInputs {
  containerId: string;
  previewPort: number;
  metricsPort: number;
  /** The runtime API: `unix:<adminDir>/admin.sock`. */
  adminAddress: string;
}

const IMMUTABLE = ['name', 'image', 'network', 'labels', 'routerPort', 'routerConfig', 'adminDir'] as const;

async function waitRuntimeApi(name: string, address: AdminAddress, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const info = await runtimeCommand(address, 'show info', 1000);
      if (/^Name: HAProxy/m.test(info)) return;
      last = info.slice(0, 100);
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const docker = dockerClient();
  throw new Error(`router ${name}: runtime API on ${formatAdminAddress(address)} did not answer within ${timeoutMs} ms (${last}); logs: ${await logTail(docker, name)}`);
}

/** Creates the admin socket's host directory, readable by airlock's user alone. */
function ensureAdminDir(dir: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Pulumi serializes provider code: modules must be required inside it
  const fs = require('node:fs') as typeof import('node:fs');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

const mountsAdminDir = (info: Docker.ContainerInspectInfo, dir: string): boolean =>
  info.Mounts.some((m) => m.Type === 'bind' && m.Source === dir && m.Destination === ADMIN_SOCKET_DIR);

async function createRouter(inputs: RouterContainerInputs): Promise<pulumi.dynamic.CreateResult<RouterContainerOutputs>> {
  const docker = dockerClient();
  ensureAdminDir(inputs.adminDir);
  if (!(await adoptOrClear(docker, inputs, true, (existing) => mountsAdminDir(existing, inputs.adminDir)))) {
    const p = ROUTER_PORTS;
    const loopback = (hostPort: string) => [{ HostIp: '127.0.0.1', HostPort: hostPort }];
    const created = await docker.createContainer({
      name: inputs.name,
      Image: inputs.image,
      Labels: inputs.labels,
      Cmd: ['haproxy', '-W', '-db', '-f', `${CONFIG_DIR}/${ROUTER_CFG}`, '-f', `${CONFIG_DIR}/${BACKENDS_CFG}`],
      ExposedPorts: { [`${p.traffic}/tcp`]: {}, [`${p.preview}/tcp`]: {}, [`${p.metrics}/tcp`]: {} },
      HostConfig: {
        NetworkMode: inputs.network,
        RestartPolicy: { Name: 'unless-stopped' },
        PortBindings: {
          [`${p.traffic}/tcp`]: loopback(String(inputs.routerPort)),
          [`${p.preview}/tcp`]: loopback(''),
          [`${p.metrics}/tcp`]: loopback(''),
        },
        Binds: [`${inputs.adminDir}:${ADMIN_SOCKET_DIR}`],
      },
    });
    await putFiles(docker, inputs.name, '/etc', {
      [`airlock/${ROUTER_CFG}`]: inputs.routerConfig,
      [`airlock/${BACKENDS_CFG}`]: inputs.initialBackends,
    });
    try {
      await created.start();
    } catch (err) {
      await removeContainer(docker, inputs.name, 1);
      throw err;
    }
  }
  const info = await docker.getContainer(inputs.name).inspect();
  const admin = { path: `${inputs.adminDir}/${ADMIN_SOCKET}` };
  await waitRuntimeApi(inputs.name, admin, 15_000);
  return {
    id: inputs.name,
    outs: {
      ...inputs,
      containerId: info.Id,
      previewPort: publishedPort(info, ROUTER_PORTS.preview),
      metricsPort: publishedPort(info, ROUTER_PORTS.metrics),
      adminAddress: formatAdminAddress(admin),
    },
  };
}

const routerProvider = containerProvider<RouterContainerInputs, RouterContainerOutputs>((inputs) => createRouter(inputs), IMMUTABLE, 2, (olds) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Pulumi serializes provider code: modules must be required inside it
  if (olds.adminDir) (require('node:fs') as typeof import('node:fs')).rmSync(olds.adminDir, { recursive: true, force: true });
});

export class RouterContainer extends ContainerResource<RouterContainerInputs> {
  declare readonly previewPort: pulumi.Output<number>;
  declare readonly metricsPort: pulumi.Output<number>;
  declare readonly adminAddress: pulumi.Output<string>;

  constructor(name: string, args: ResourceArgs<RouterContainerInputs>, opts?: pulumi.CustomResourceOptions) {
    super(routerProvider, 'RouterContainer', name, args, ['previewPort', 'metricsPort', 'adminAddress'], opts);
  }
}

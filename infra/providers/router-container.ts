import * as pulumi from '@pulumi/pulumi';
import { dockerClient, logTail, publishedPort, putFiles, removeContainer } from '../docker/ops';
import { BACKENDS_CFG, CONFIG_DIR, ROUTER_CFG, ROUTER_PORTS } from '../haproxy/config';
import { runtimeCommand } from '../haproxy/runtime-api';
import { adoptOrClear, containerProvider, ContainerResource, type ResourceArgs } from './container';

/**
 * The environment's HAProxy router: user traffic on the manifest's port, the candidate alone on a preview
 * port, the Prometheus exporter and the runtime API on ports Docker picks; everything published on
 * 127.0.0.1 only. Its servers are managed by RouterServers through the runtime API, not here.
 */
export interface RouterContainerInputs {
  name: string;
  image: string;
  network: string;
  labels: Record<string, string>;
  routerPort: number;
  routerConfig: string;
  /** backends.cfg the router starts with (no servers); RouterServers rewrites it afterwards. */
  initialBackends: string;
}

export interface RouterContainerOutputs extends RouterContainerInputs {
  containerId: string;
  previewPort: number;
  metricsPort: number;
  adminPort: number;
}

const IMMUTABLE = ['name', 'image', 'network', 'labels', 'routerPort', 'routerConfig'] as const;

async function waitRuntimeApi(name: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const info = await runtimeCommand({ host: '127.0.0.1', port }, 'show info', 1000);
      if (/^Name: HAProxy/m.test(info)) return;
      last = info.slice(0, 100);
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const docker = dockerClient();
  throw new Error(`router ${name}: runtime API on 127.0.0.1:${port} did not answer within ${timeoutMs} ms (${last}); logs: ${await logTail(docker, name)}`);
}

async function createRouter(inputs: RouterContainerInputs): Promise<pulumi.dynamic.CreateResult<RouterContainerOutputs>> {
  const docker = dockerClient();
  if (!(await adoptOrClear(docker, inputs, true))) {
    const p = ROUTER_PORTS;
    const loopback = (hostPort: string) => [{ HostIp: '127.0.0.1', HostPort: hostPort }];
    const created = await docker.createContainer({
      name: inputs.name,
      Image: inputs.image,
      Labels: inputs.labels,
      Cmd: ['haproxy', '-W', '-db', '-f', `${CONFIG_DIR}/${ROUTER_CFG}`, '-f', `${CONFIG_DIR}/${BACKENDS_CFG}`],
      ExposedPorts: { [`${p.traffic}/tcp`]: {}, [`${p.preview}/tcp`]: {}, [`${p.metrics}/tcp`]: {}, [`${p.admin}/tcp`]: {} },
      HostConfig: {
        NetworkMode: inputs.network,
        RestartPolicy: { Name: 'unless-stopped' },
        PortBindings: {
          [`${p.traffic}/tcp`]: loopback(String(inputs.routerPort)),
          [`${p.preview}/tcp`]: loopback(''),
          [`${p.metrics}/tcp`]: loopback(''),
          [`${p.admin}/tcp`]: loopback(''),
        },
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
  const adminPort = publishedPort(info, ROUTER_PORTS.admin);
  await waitRuntimeApi(inputs.name, adminPort, 15_000);
  return {
    id: inputs.name,
    outs: {
      ...inputs,
      containerId: info.Id,
      previewPort: publishedPort(info, ROUTER_PORTS.preview),
      metricsPort: publishedPort(info, ROUTER_PORTS.metrics),
      adminPort,
    },
  };
}

const routerProvider = containerProvider<RouterContainerInputs, RouterContainerOutputs>((inputs) => createRouter(inputs), IMMUTABLE, 2);

export class RouterContainer extends ContainerResource<RouterContainerInputs> {
  declare readonly previewPort: pulumi.Output<number>;
  declare readonly metricsPort: pulumi.Output<number>;
  declare readonly adminPort: pulumi.Output<number>;

  constructor(name: string, args: ResourceArgs<RouterContainerInputs>, opts?: pulumi.CustomResourceOptions) {
    super(routerProvider, 'RouterContainer', name, args, ['previewPort', 'metricsPort', 'adminPort'], opts);
  }
}

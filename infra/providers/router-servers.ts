import * as pulumi from '@pulumi/pulumi';
import { dockerClient, putFiles } from '../docker/ops';
import { BACKENDS_CFG, renderBackendsConfig, type HealthCheck, type RouterServer } from '../haproxy/config';
import { applyServers, parseAdminAddress } from '../haproxy/runtime-api';
import { canonicalJson } from './inputs';

/**
 * The router's servers and weights. Updated in place through the runtime API (no reload), and written to
 * backends.cfg inside the router so a restart comes back the same. The router's container id is an
 * input: a new router gets every server again.
 */
export interface RouterServersInputs {
  router: string;
  routerId: string;
  /** The router's runtime API (RouterContainer's adminAddress). */
  adminAddress: string;
  servers: RouterServer[];
  health: HealthCheck;
}

export interface RouterServersOutputs extends RouterServersInputs {
  /** Runtime API commands the last change ran (for logs and tests). */
  applied: string[];
}

async function apply(inputs: RouterServersInputs): Promise<RouterServersOutputs> {
  const applied = await applyServers(parseAdminAddress(inputs.adminAddress), inputs.servers, inputs.health);
  await putFiles(dockerClient(), inputs.router, '/etc', { [`airlock/${BACKENDS_CFG}`]: renderBackendsConfig(inputs.servers, inputs.health) });
  return { ...inputs, applied };
}

const routerServersProvider: pulumi.dynamic.ResourceProvider<RouterServersInputs, RouterServersOutputs> = {
  async create(inputs) {
    return { id: `${inputs.router}-servers`, outs: await apply(inputs) };
  },
  async diff(_id, olds, news) {
    const keys = ['router', 'routerId', 'adminAddress', 'servers', 'health'] as const;
    const changed = keys.filter((k) => canonicalJson(olds[k]) !== canonicalJson(news[k]));
    return { changes: changed.length > 0 };
  },
  async update(_id, _olds, news) {
    return { outs: await apply(news) };
  },
  async delete(_id, olds) {
    // The router may be gone already (stack destroy deletes it right after); then there is nothing to do.
    try {
      await applyServers(parseAdminAddress(olds.adminAddress), [], olds.health);
    } catch {
      /* router gone */
    }
  },
};

export class RouterServers extends pulumi.dynamic.Resource {
  declare readonly applied: pulumi.Output<string[]>;

  constructor(
    name: string,
    args: { router: pulumi.Input<string>; routerId: pulumi.Input<string>; adminAddress: pulumi.Input<string>; servers: pulumi.Input<pulumi.Input<RouterServer>[]>; health: pulumi.Input<HealthCheck> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(routerServersProvider, name, { ...args, applied: undefined }, opts, 'airlock', 'RouterServers');
  }
}

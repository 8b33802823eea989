import * as pulumi from '@pulumi/pulumi';
import { dockerClient, isConflict, isNotFound } from '../docker/ops';
import { replaceOnChange } from './container';

/** The environment's bridge network (router and release containers). Adopted when it exists with our labels. */
export interface DockerNetworkInputs {
  name: string;
  labels: Record<string, string>;
}

const networkProvider: pulumi.dynamic.ResourceProvider<DockerNetworkInputs, DockerNetworkInputs & { networkId: string }> = {
  async create(inputs) {
    const docker = dockerClient();
    const found = (await docker.listNetworks({ filters: { name: [inputs.name] } })).find((n) => n.Name === inputs.name);
    if (found) {
      const ours = Object.entries(inputs.labels).every(([k, v]) => found.Labels?.[k] === v);
      if (!ours) throw new Error(`a docker network named ${inputs.name} exists and is not this stack's: remove it or rename the service`);
      return { id: inputs.name, outs: { ...inputs, networkId: found.Id } };
    }
    const created = await docker.createNetwork({ Name: inputs.name, Driver: 'bridge', Labels: inputs.labels, CheckDuplicate: true });
    return { id: inputs.name, outs: { ...inputs, networkId: created.id } };
  },
  diff: replaceOnChange<DockerNetworkInputs>(['name', 'labels']),
  async delete(id) {
    const docker = dockerClient();
    // Containers may still be detaching right after their removal: retry a few times on conflict.
    for (let attempt = 0; ; attempt++) {
      try {
        await docker.getNetwork(id).remove();
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) && !/active endpoints/.test(String(err))) throw err;
        if (attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  },
};

export class DockerNetwork extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly networkId: pulumi.Output<string>;

  constructor(name: string, args: { name: pulumi.Input<string>; labels: pulumi.Input<Record<string, string>> }, opts?: pulumi.CustomResourceOptions) {
    super(networkProvider, name, { ...args, networkId: undefined }, opts, 'airlock', 'DockerNetwork');
  }
}

import * as pulumi from '@pulumi/pulumi';
import type Docker from 'dockerode';
import { dockerClient, ensureImage, hasLabels, inspectOrNull, removeContainer } from '../docker/ops';
import { changedKeys } from './inputs';

// What the release- and router-container providers share: a container named by its resource id, replaced
// (deleted first: the name is derived, so the old one must free it) when an input that shaped it changes.

/** What identifies a container of ours: its name, image and labels. */
export interface ContainerIdentity {
  name: string;
  image: string;
  labels: Record<string, string>;
}

/**
 * The container an interrupted update left under `inputs.name`, when it is ours (same image and labels,
 * running when `mustRun`, and whatever `alsoNeeds` checks): it is adopted. Anything else under that name is removed, and the image is
 * made present for a new container (undefined).
 */
export async function adoptOrClear(
  docker: Docker,
  inputs: ContainerIdentity,
  mustRun: boolean,
  alsoNeeds: (existing: Docker.ContainerInspectInfo) => boolean = () => true,
): Promise<Docker.ContainerInspectInfo | undefined> {
  const existing = await inspectOrNull(docker, inputs.name);
  if (existing && (!mustRun || existing.State.Running) && existing.Config.Image === inputs.image && hasLabels(existing, inputs.labels) && alsoNeeds(existing))
    return existing;
  if (existing) await removeContainer(docker, inputs.name, 1);
  await ensureImage(docker, inputs.image);
  return undefined;
}

/** Replaces the resource (deleting first) when any of `immutable` changed. */
export function replaceOnChange<I>(immutable: readonly (keyof I & string)[]): NonNullable<pulumi.dynamic.ResourceProvider<I>['diff']> {
  return async (_id, olds, news) => {
    const replaces = changedKeys(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, immutable);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  };
}

/**
 * A dynamic provider for a container: `create`, replaced when an `immutable` input changes, removed on
 * delete (`graceSeconds` to stop), then `afterDelete` for what the container owned on the host.
 */
export function containerProvider<I extends ContainerIdentity, O>(
  create: (inputs: I) => Promise<pulumi.dynamic.CreateResult<O>>,
  immutable: readonly (keyof I & string)[],
  graceSeconds: number,
  afterDelete: (olds: O) => void = () => undefined,
): pulumi.dynamic.ResourceProvider<I, O> {
  return {
    create,
    diff: replaceOnChange<I>(immutable),
    async delete(id, olds) {
      await removeContainer(dockerClient(), id, graceSeconds);
      afterDelete(olds);
    },
  };
}

export type ResourceArgs<I> = { [K in keyof I]: pulumi.Input<I[K]> };

/** A container resource: `outputs` (besides containerId) are unknown until the provider has created it. */
export abstract class ContainerResource<I extends ContainerIdentity> extends pulumi.dynamic.Resource {
  declare readonly containerId: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;

  protected constructor(
    provider: pulumi.dynamic.ResourceProvider,
    type: string,
    name: string,
    args: ResourceArgs<I>,
    outputs: readonly string[],
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(provider, name, { ...args, containerId: undefined, ...Object.fromEntries(outputs.map((o) => [o, undefined])) }, opts, 'airlock', type);
  }
}

import type Docker from 'dockerode';
import { LABELS } from '../../infra/deploy/labels';
import type { StackSpec } from '../../infra/deploy/spec';
import { removeContainer } from '../../infra/docker/ops';
import { dockerClient } from '../../infra/local/probes';
import { stackName } from '../../model/names';
import type { ResolvedDeps } from './deps';
import { applySpec } from './environment';

/** Containers Docker has for one release of a stack. */
export async function releaseContainersInDocker(docker: Docker, spec: Pick<StackSpec, 'service' | 'environment'>, releaseId: string): Promise<string[]> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.stack}=${stackName(spec.service, spec.environment)}`, `${LABELS.release}=${releaseId}`] },
  });
  return list.map((c) => c.Names[0]!.replace(/^\//, ''));
}

/**
 * Leaves no container of `releaseId` behind when the spec does not have it: an update that failed half
 * way (one replica healthy, one not) or a process killed before its checkpoint can leave some. The stack
 * update removes those Pulumi knows; what is left is unknown to Pulumi and removed directly.
 * Returns the containers removed.
 */
export async function removeLeftovers(deps: ResolvedDeps, spec: StackSpec, releaseId: string): Promise<string[]> {
  if (spec.stable?.releaseId === releaseId || spec.candidate?.releaseId === releaseId) return [];
  const docker = dockerClient(deps.config);
  const before = await releaseContainersInDocker(docker, spec, releaseId);
  if (before.length === 0) return [];
  deps.log.warn('removing containers of a release the stack does not hold', { releaseId, containers: before });
  await applySpec(deps, spec, 'cleanup', releaseId);
  const left = await releaseContainersInDocker(docker, spec, releaseId);
  await Promise.all(left.map((name) => removeContainer(docker, name, 1)));
  return before;
}

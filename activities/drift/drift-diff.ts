import type { StackSpec } from '../../infra/deploy/spec';
import { networkName, releaseContainerNames, routerContainerName } from '../../model/deploy';
import type { DriftItem, ExpectedContainer, ExpectedEnvironment, ExpectedServer, ObservedEnvironment } from '../../model/drift';
import { weightsOf } from '../deploy/route-now';

// Pure: what the recorded spec (the stack's outputs) says should run, and its difference with what runs.

/** The weight every preview server gets (infra/deploy/program.ts). */
const PREVIEW_WEIGHT = 100;

/**
 * What the spec a stack was last brought up with deploys: the router, each release container with its
 * image, and the router's servers: `app` (stable and candidate with the split's weights) and `preview`
 * (the candidate at 100), as infra/deploy/program.ts makes them.
 */
export function expectedEnvironment(spec: StackSpec): ExpectedEnvironment {
  const containers: ExpectedContainer[] = [{ name: routerContainerName(spec.service, spec.environment), image: spec.routerImage, role: 'router' }];
  const servers: ExpectedServer[] = [];
  const weights = weightsOf(spec);
  for (const release of [spec.stable, spec.candidate]) {
    if (!release) continue;
    for (const name of releaseContainerNames(release.releaseId, release.replicas)) {
      containers.push({ name, image: release.image, role: 'release' });
      servers.push({ backend: 'app', name, weight: weights[name] ?? 0 });
    }
  }
  if (spec.candidate) for (const name of releaseContainerNames(spec.candidate.releaseId, spec.candidate.replicas)) servers.push({ backend: 'preview', name, weight: PREVIEW_WEIGHT });
  return { service: spec.service, environment: spec.environment, stack: spec.stack, network: networkName(spec.service, spec.environment), containers, servers };
}

/**
 * Every difference between the recorded state and reality: a container missing, stopped or running
 * another image; a container that is not in the state (on the environment's network or carrying its
 * airlock labels); a router server missing or extra, or with another weight; the router not answering.
 */
export function diffEnvironment(expected: ExpectedEnvironment, observed: ObservedEnvironment): DriftItem[] {
  const drift: DriftItem[] = [];
  const seen = new Map(observed.containers.map((c) => [c.name, c]));
  const wanted = new Set(expected.containers.map((c) => c.name));
  for (const want of expected.containers) {
    const have = seen.get(want.name);
    if (!have) drift.push({ kind: 'container-missing', resource: want.name, expected: want.image, detail: `${want.role} container ${want.name} is missing` });
    else if (have.image !== want.image)
      drift.push({ kind: 'container-image', resource: want.name, expected: want.image, actual: have.image, detail: `container ${want.name} runs ${have.image}, the state says ${want.image}` });
    else if (!have.running) drift.push({ kind: 'container-stopped', resource: want.name, expected: 'running', actual: have.state, detail: `${want.role} container ${want.name} is ${have.state}` });
  }
  for (const have of observed.containers)
    if (!wanted.has(have.name))
      drift.push({ kind: 'container-extra', resource: have.name, actual: have.image, detail: `container ${have.name} (${have.image}, ${have.state}) is not in the state of ${expected.stack}` });

  if (!observed.servers) {
    // a stopped or missing router is reported above; say so only when its container looks fine
    const router = expected.containers.find((c) => c.role === 'router');
    if (!drift.some((d) => d.resource === router?.name)) drift.push({ kind: 'router-unreachable', resource: router?.name ?? expected.stack, detail: `the router's runtime API did not answer` });
    return drift;
  }
  const key = (s: { backend: string; name: string }) => `${s.backend}/${s.name}`;
  const servers = new Map(observed.servers.map((s) => [key(s), s]));
  const wantServers = new Set(expected.servers.map(key));
  for (const want of expected.servers) {
    const have = servers.get(key(want));
    if (!have) drift.push({ kind: 'server-missing', resource: key(want), expected: String(want.weight), detail: `router server ${key(want)} is missing` });
    else if (have.weight !== want.weight)
      drift.push({ kind: 'weight-differs', resource: key(want), expected: String(want.weight), actual: String(have.weight), detail: `router server ${key(want)} has weight ${have.weight}, the state says ${want.weight}` });
  }
  for (const have of observed.servers)
    if (!wantServers.has(key(have))) drift.push({ kind: 'server-extra', resource: key(have), actual: String(have.weight), detail: `router server ${key(have)} is not in the state` });
  return drift;
}

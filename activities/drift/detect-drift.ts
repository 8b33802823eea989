import type Docker from 'dockerode';
import type { StackOutputs } from '../../infra/deploy/program';
import { LABELS } from '../../infra/deploy/labels';
import { routerHealthPath } from '../../infra/deploy/spec';
import { dockerClient, inspectOrNull, isNotFound, networkAddress, removeContainer } from '../../infra/docker/ops';
import { BACKENDS, type RouterServer } from '../../infra/haproxy/config';
import { applyServers, parseAdminAddress, showServers } from '../../infra/haproxy/runtime-api';
import type { AirlockConfig } from '../../infra/config';
import { environmentRefSchema } from '../../model/deploy';
import type { DriftCheckResult, DriftReport, DriftRequest, ObservedContainer, ObservedEnvironment } from '../../model/drift';
import { parseWith } from '../../model/parse';
import { resolveDeps, type DeployDeps, type ResolvedDeps } from '../deploy/deps';
import { mapErrors } from '../deploy/errors';
import { withFailures } from '../errors';
import { keepBeating } from '../shared';
import { diffEnvironment, expectedEnvironment } from './drift-diff';

export interface DriftDeps extends DeployDeps {
  config: AirlockConfig;
  docker?: Docker;
}

/** What runs for the environment: containers with its stack label or on its network, and the router's servers. */
async function observe(docker: Docker, out: StackOutputs): Promise<ObservedEnvironment> {
  const { spec, state } = out;
  const expected = expectedEnvironment(spec);
  const names = new Set<string>();
  for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABELS.stack}=${spec.stack}`] } })) names.add((c.Names[0] ?? '').replace(/^\//, ''));
  try {
    const net = (await docker.getNetwork(expected.network).inspect()) as { Containers?: Record<string, { Name: string }> };
    for (const c of Object.values(net.Containers ?? {})) names.add(c.Name);
  } catch (err) {
    if (!isNotFound(err)) throw err; // a missing network: its containers are missing too, reported by name
  }
  const containers: ObservedContainer[] = [];
  for (const name of [...names].filter(Boolean).sort()) {
    const info = await inspectOrNull(docker, name);
    if (info) containers.push({ name, image: info.Config.Image, running: info.State.Running, state: info.State.Status });
  }
  let servers: ObservedEnvironment['servers'] = null;
  try {
    if (!state.router) throw new Error('no router in the state');
    servers = (await showServers(parseAdminAddress(state.router.adminAddress)))
      .filter((s) => (BACKENDS as readonly string[]).includes(s.backend))
      .map((s) => ({ backend: s.backend, name: s.name, weight: s.weight }));
  } catch {
    servers = null; // reported as router-unreachable (or as the router container's own drift)
  }
  return { containers, servers };
}

/**
 * detectDrift compares an environment's recorded state (its Pulumi stack's outputs: the spec it was last
 * brought up with) with reality (docker, the router's runtime API). reconcileDrift brings reality back:
 * extra containers removed, drifted containers replaced by a `pulumi up` of the recorded spec, the
 * recorded servers and weights re-applied through the runtime API; it runs under the environment lock
 * (the driftCheck workflow holds it).
 */
export function createDriftActivities(deps: DriftDeps) {
  const d: ResolvedDeps = resolveDeps(deps);
  const docker = deps.docker ?? dockerClient();

  const detect = async (req: DriftRequest): Promise<{ report: DriftReport; out: StackOutputs | null }> => {
    const checkedAt = d.now().toISOString();
    const out = await d.driver.outputs(req.service, req.environment);
    if (!out) return { report: { ...req, deployed: false, checkedAt, drift: [] }, out };
    const drift = diffEnvironment(expectedEnvironment(out.spec), await observe(docker, out));
    const report: DriftReport = { ...req, deployed: true, checkedAt, drift, ...(out.spec.stable ? { stableImage: out.spec.stable.image } : {}) };
    if (drift.length) d.log.warn('drift detected', { service: req.service, environment: req.environment, drift: drift.map((x) => x.detail) });
    return { report, out };
  };

  const detectDrift = async (input: DriftRequest): Promise<DriftReport> => (await detect(parseWith(environmentRefSchema, input, 'detectDrift input'))).report;

  const reconcileDrift = async (input: DriftRequest): Promise<DriftCheckResult> => {
    const req = parseWith(environmentRefSchema, input, 'reconcileDrift input');
    const { report, out } = await detect(req);
    if (!out || !report.drift.length) return { ...report, reconciled: false, remaining: [], note: out ? 'no drift' : 'not deployed' };
    const { spec } = out;
    // containers that are not in the state go; the ones the state holds but that drifted are replaced
    for (const item of report.drift.filter((x) => x.kind === 'container-extra')) await removeContainer(docker, item.resource, 1);
    const drifted = new Set(report.drift.filter((x) => ['container-missing', 'container-stopped', 'container-image'].includes(x.kind)).map((x) => x.resource));
    if (drifted.size) {
      const state = await d.driver.exportState(req.service, req.environment);
      const replace = (state.resources ?? []).filter((r) => typeof r.outputs?.name === 'string' && drifted.has(r.outputs.name as string)).map((r) => r.urn);
      let last = '';
      await keepBeating(d.heartbeat, () => ({ phase: 'reconcile', replace: [...drifted], pulumi: last }), () => d.driver.up(spec, { onOutput: (l) => (last = l.trim().slice(0, 200) || last) }, { replace }), 2000);
    }
    // the recorded servers and weights, at the addresses the containers have now
    const expected = expectedEnvironment(spec);
    const releases = [spec.stable, spec.candidate].filter((r) => r !== null);
    const portOf = (name: string) => releases.find((r) => name.startsWith(`${r.releaseId}-`))?.port ?? 8080;
    const servers: RouterServer[] = [];
    for (const s of expected.servers) {
      const info = await inspectOrNull(docker, s.name);
      if (info) servers.push({ backend: s.backend as RouterServer['backend'], name: s.name, address: networkAddress(info, expected.network), port: portOf(s.name), weight: s.weight });
    }
    const router = ((await d.driver.outputs(req.service, req.environment))?.state ?? out.state).router;
    if (!router) throw new Error(`${req.service}/${req.environment} has no router in its state: nothing to re-apply the weights to`);
    const commands = await applyServers(parseAdminAddress(router.adminAddress), servers, { path: routerHealthPath(spec), intervalMs: spec.healthIntervalMs });
    d.log.info('drift reconciled', { service: req.service, environment: req.environment, replaced: [...drifted], routerCommands: commands.length });
    const after = await detect(req);
    return { ...report, reconciled: true, remaining: after.report.drift };
  };

  const wrap = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => withFailures(mapErrors(fn));
  return { detectDrift: wrap(detectDrift), reconcileDrift: wrap(reconcileDrift) };
}

export type DriftActivities = ReturnType<typeof createDriftActivities>;

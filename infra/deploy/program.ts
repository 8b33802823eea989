import * as pulumi from '@pulumi/pulumi';
import { networkName, releaseContainerNames, routerContainerName, type DeployedRelease, type EnvironmentState } from '../../model/deploy';
import { renderBackendsConfig, renderRouterConfig, type RouterServer } from '../haproxy/config';
import { DockerNetwork } from '../providers/docker-network';
import { ReleaseContainer } from '../providers/release-container';
import { RouterContainer } from '../providers/router-container';
import { RouterServers } from '../providers/router-servers';
import { ScrapeTargets, type ScrapeTarget } from '../providers/scrape-targets';
import { DEFAULT_RESOURCES } from '../../model/manifest';
import { labelsFor } from './labels';
import { routerHealthPath, type ReleaseSpec, type StackSpec } from './spec';
import { serverWeights } from './traffic';

/** What the program exports: the spec it was run with (the next plan starts from it) and the state. */
export interface StackOutputs {
  spec: StackSpec;
  state: EnvironmentState;
}

const PREVIEW_WEIGHT = 100;

/**
 * The Pulumi program of one (service, env): network, router, the stable and candidate releases'
 * containers, the router's servers and weights, and the Prometheus targets. A closure over the spec;
 * the driver (stack.ts) runs it with the Automation API.
 */
export function createReleaseProgram(spec: StackSpec): () => Promise<StackOutputs> {
  return async () => {
    const { service, environment, stack } = spec;
    const labels = (role: 'release' | 'router' | 'network', releaseId?: string) => labelsFor(service, environment, stack, role, releaseId);

    const network = new DockerNetwork('network', { name: networkName(service, environment), labels: labels('network') });
    const health = { path: routerHealthPath(spec), intervalMs: spec.healthIntervalMs };
    const router = new RouterContainer('router', {
      name: routerContainerName(service, environment),
      image: spec.routerImage,
      network: network.name,
      labels: labels('router'),
      routerPort: spec.routerPort,
      routerConfig: renderRouterConfig({ uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }),
      adminDir: spec.routerAdminDir,
      initialBackends: renderBackendsConfig([], health),
    }, { deleteBeforeReplace: true });

    const releaseContainers = (release: ReleaseSpec | null) =>
      release
        ? releaseContainerNames(release.releaseId, release.replicas).map((name) => ({
            name,
            port: release.port,
            resource: new ReleaseContainer(
              `release-${name}`,
              {
                name,
                image: release.image,
                network: network.name,
                labels: labels('release', release.releaseId),
                env: release.env,
                resources: release.resources ?? DEFAULT_RESOURCES,
                port: release.port,
                healthPath: release.healthPath,
                healthIntervalMs: spec.healthIntervalMs,
                healthTimeoutMs: 60_000,
                ...(spec.flagsDir ? { flagsDir: spec.flagsDir } : {}),
              },
              // names are derived: a forced replacement (drift reconcile, `up --replace`) must delete first, or the
              // create adopts the old container and the delete then removes it
              { dependsOn: [network], deleteBeforeReplace: true },
            ),
          }))
        : [];
    const stable = releaseContainers(spec.stable);
    const candidate = releaseContainers(spec.candidate);

    const weights = serverWeights({ stable: stable.map((c) => c.name), candidate: candidate.map((c) => c.name), candidatePercent: spec.candidateWeight });
    const all = [...stable, ...candidate];
    const servers = pulumi.all(all.map((c) => c.resource.address)).apply((addresses) => {
      const list: RouterServer[] = all.map((c, i) => ({ backend: 'app', name: c.name, address: addresses[i]!, port: c.port, weight: weights[c.name] ?? 0 }));
      candidate.forEach((c, i) => list.push({ backend: 'preview', name: c.name, address: addresses[stable.length + i]!, port: c.port, weight: PREVIEW_WEIGHT }));
      return list;
    });
    new RouterServers('router-servers', { router: router.name, routerId: router.containerId, adminAddress: router.adminAddress, servers, health });

    const base = { airlock_service: service, airlock_env: environment, airlock_stack: stack };
    const appTargets = (release: ReleaseSpec | null, containers: typeof stable) =>
      release?.metricsPath
        ? containers.map((c) =>
            c.resource.hostPort.apply(
              (port): ScrapeTarget => ({
                targets: [`127.0.0.1:${port}`],
                labels: { ...base, airlock_role: 'release', airlock_release: release.releaseId, airlock_container: c.name, __metrics_path__: release.metricsPath! },
              }),
            ),
          )
        : [];
    new ScrapeTargets('scrape-targets', {
      file: spec.targetsFile,
      groups: [
        router.metricsPort.apply((port): ScrapeTarget => ({ targets: [`127.0.0.1:${port}`], labels: { ...base, airlock_role: 'router' } })),
        ...appTargets(spec.stable, stable),
        ...appTargets(spec.candidate, candidate),
      ],
    });

    const deployed = (release: ReleaseSpec | null, containers: typeof stable): DeployedRelease | null =>
      release ? { releaseId: release.releaseId, image: release.image, containers: containers.map((c) => c.name) } : null;
    const candidateState = deployed(spec.candidate, candidate);
    const ready = pulumi.all(all.map((c) => c.resource.containerId)); // the state is reported once every container exists
    const state = pulumi
      .all([router.name, router.previewPort, router.metricsPort, router.adminAddress, ready])
      .apply(([routerName, previewPort, metricsPort, adminAddress]): EnvironmentState => ({
        service,
        environment,
        stack,
        router: {
          url: `http://127.0.0.1:${spec.routerPort}`,
          previewUrl: `http://127.0.0.1:${previewPort}`,
          metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
          adminAddress,
          container: routerName,
        },
        stable: deployed(spec.stable, stable),
        candidate: candidateState ? { ...candidateState, weight: spec.candidateWeight } : null,
        history: spec.history,
      }));
    return { spec, state } as unknown as StackOutputs;
  };
}

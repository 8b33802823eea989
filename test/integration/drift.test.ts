import { createDriftActivities } from '../../activities/drift';
import { LABELS, labelsFor } from '../../infra/deploy/labels';
import { parseAdminAddress, runtimeCommand } from '../../infra/haproxy/runtime-api';
import { networkName, releaseIdForImage, type DeployTarget } from '../../model/deploy';
import { stackName } from '../../model/names';
import { freePort } from '../support/ports';
import { buildDemoImage, demoTarget, deployTestKit, destroyEnvironment, expectStackMatchesDocker, routerServers, uniqueService, type DeployTestKit } from './deploy-helpers';

// Drift on the real stack (issue 16): a release deployed by the real deploy activities, then reality edited
// by hand the three ways the issue names (docker stop, docker run of an extra container with airlock labels
// on the environment's network, a router weight set through the runtime API). detectDrift finds each;
// reconcileDrift brings the recorded state back, and a second check finds nothing.
const ENV = 'production';
const service = uniqueService('drift');
let kit: DeployTestKit;
let target: DeployTarget;
let image = '';
const extra = `${service}-by-hand`;

beforeAll(async () => {
  kit = await deployTestKit();
  target = demoTarget(service, ENV, await freePort(), { replicas: 2 });
  image = await buildDemoImage(kit, '1.0.0', 'none');
});

afterAll(async () => {
  await kit?.docker.getContainer(extra).remove({ force: true }).catch(() => undefined);
  if (kit) await destroyEnvironment(kit, service, ENV);
});

test('a stopped container, an extra container and a changed weight are drift; reconcile brings the state back', async () => {
  const drift = createDriftActivities({ config: kit.config, driver: kit.driver, docker: kit.docker, heartbeat: () => {}, log: { info: () => {}, warn: () => {} } });
  const ref = { releaseId: releaseIdForImage(service, ENV, image), service, environment: ENV };
  await kit.activities.deployCandidate({ ...ref, image, target });
  await kit.activities.promote(ref);
  const state = await expectStackMatchesDocker(kit, service, ENV);
  const [first, second] = state.stable!.containers as [string, string];

  expect(await drift.detectDrift({ service, environment: ENV })).toMatchObject({ deployed: true, drift: [], stableImage: image });

  // reality edited by hand
  await kit.docker.getContainer(first).stop({ t: 1 });
  const intruder = await kit.docker.createContainer({
    name: extra,
    Image: image,
    Labels: labelsFor(service, ENV, stackName(service, ENV), 'release', 'by-hand'),
    HostConfig: { NetworkMode: networkName(service, ENV) },
  });
  await intruder.start();
  const admin = parseAdminAddress(state.router!.adminAddress);
  expect((await runtimeCommand(admin, `set server app/${second} weight 3`)).trim()).toBe('');

  const found = await drift.detectDrift({ service, environment: ENV });
  const kinds = found.drift.map((d) => `${d.kind} ${d.resource}`);
  expect(kinds).toEqual(expect.arrayContaining([`container-stopped ${first}`, `container-extra ${extra}`, `weight-differs app/${second}`]));
  expect(found.drift.find((d) => d.kind === 'weight-differs')).toMatchObject({ actual: '3' });

  const result = await drift.reconcileDrift({ service, environment: ENV });
  expect(result).toMatchObject({ reconciled: true, remaining: [] });
  expect((await drift.detectDrift({ service, environment: ENV })).drift).toEqual([]);

  // and reality is what the stack says: both containers run the release, the intruder is gone, weights as recorded
  await expectStackMatchesDocker(kit, service, ENV);
  expect((await kit.docker.getContainer(first).inspect()).State.Running).toBe(true);
  const left = await kit.docker.listContainers({ all: true, filters: { label: [`${LABELS.stack}=${stackName(service, ENV)}`] } });
  expect(left.map((c) => c.Names[0]!.replace(/^\//, ''))).not.toContain(extra);
  const servers = await routerServers((await kit.driver.outputs(service, ENV))!.state);
  expect(servers.filter((s) => s.startsWith('app/')).every((s) => !/ 3$/.test(s))).toBe(true);
});

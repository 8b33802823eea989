import net from 'node:net';
import { releaseIdForImage } from '../../model/deploy';
import { parseManifest } from '../../activities/shared';
import { buildDemoImage, demoTarget, deployTestKit, dockerContainers, uniqueService, type DeployTestKit } from './deploy-helpers';
import { freePort } from '../support/ports';

// Bad manifest values are clear errors before anything is created: no stack, no network, no container.
const ENV = 'production';
let kit: DeployTestKit;
let image: string;

beforeAll(async () => {
  kit = await deployTestKit();
  image = await buildDemoImage(kit, '1.0.0', 'none');
});

async function expectNothingCreated(service: string): Promise<void> {
  expect(await kit.driver.outputs(service, ENV)).toBeNull();
  expect(await dockerContainers(kit.docker, service, ENV)).toEqual({ releases: [], routers: [] });
  expect((await kit.docker.listNetworks({ filters: { name: [`airlock-${service}-${ENV}`] } })).length).toBe(0);
}

test('a router port in use is refused before anything is created', async () => {
  const service = uniqueService('port');
  const port = await freePort();
  const squatter = net.createServer().listen(port, '127.0.0.1');
  await new Promise((r) => squatter.once('listening', r));
  try {
    const target = demoTarget(service, ENV, port);
    const err = await kit.activities.deployCandidate({ releaseId: releaseIdForImage(service, ENV, image), service, environment: ENV, image, target }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
    expect((err as Error).message).toBe(`environments.*.routerPort: port ${port} on 127.0.0.1 is already in use; pick a free port in airlock.yaml`);
    await expectNothingCreated(service);
  } finally {
    squatter.close();
  }
});

test.each([
  [{ strategy: 'yolo' }, "target.settings.rollout.strategy: Invalid discriminator value. Expected 'canary' | 'blue-green'"],
  [{ strategy: 'canary', steps: [10, 50] }, 'target.settings.rollout.steps: the last step weight must be 100'],
  [{ strategy: 'canary', steps: [50, 10, 100] }, 'target.settings.rollout.steps: step weights must increase'],
])('rollout %j is refused with a path: message line', async (rollout, line) => {
  const service = uniqueService('bad');
  const good = demoTarget(service, ENV, await freePort());
  const target = { ...good, settings: { ...good.settings, rollout } };
  const err = await kit.activities
    .deployCandidate({ releaseId: releaseIdForImage(service, ENV, image), service, environment: ENV, image, target: target as never })
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
  expect((err as Error).message).toContain(line);
  await expectNothingCreated(service);
});

test('the same values in airlock.yaml are caught when the manifest is read', () => {
  const yaml = (rollout: string) => `service: demo\nbuild: {}\nrun: { port: 8080, health: /healthz }\nenvironments:\n  prod:\n    routerPort: 18080\n    rollout: ${rollout}\n`;
  expect(() => parseManifest(yaml('{ strategy: yolo }'), 'airlock.yaml')).toThrow(/environments\.prod\.rollout\.strategy: /);
  expect(() => parseManifest(yaml('{ strategy: canary, steps: [10, 50] }'), 'airlock.yaml')).toThrow(/environments\.prod\.rollout\.steps: the last step weight must be 100/);
});

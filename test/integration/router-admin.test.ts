import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseAdminAddress } from '../../infra/haproxy/runtime-api';
import { releaseIdForImage, routerContainerName, type DeployTarget } from '../../model/deploy';
import { freePort } from '../support/ports';
import { buildDemoImage, demoTarget, deployTestKit, destroyEnvironment, expectStackMatchesDocker, routerServers, uniqueService, type DeployTestKit } from './deploy-helpers';

// Attack (issue 11, item 8): a canary's code reaches the router's runtime API over the environment's
// network and takes the traffic (stable weight 0, a server of its own). The router's admin API must
// answer airlock only: from inside a release container, no router port speaks the runtime API.
const ENV = 'production';
const service = uniqueService('routeradm');
let kit: DeployTestKit;
let target: DeployTarget;
const images = { v1: '', v2: '' };
const id = (image: string) => releaseIdForImage(service, ENV, image);
const ref = (image: string) => ({ releaseId: id(image), service, environment: ENV });

/** Every port of the router container (the admin port of before included), seen from the network. */
const ROUTER_PORTS_TRIED = [9999, 8080, 8081, 8405];

interface Attempt {
  port: number;
  command: string;
  /** 'closed' (connected, then closed), 'timeout', or the socket error code (ECONNREFUSED ...). */
  result: string;
  answer: string;
}

/** The attacker's script, run by node inside the release container: each command on each port, on its own connection. */
const attackScript = (host: string, commands: string[]) => `
const net = require('node:net');
const ask = (port, command) => new Promise((resolve) => {
  let answer = '';
  const s = net.connect(port, ${JSON.stringify(host)}, () => s.end(command + '\\n'));
  const done = (result) => { s.destroy(); resolve({ port, command, result, answer }); };
  s.setTimeout(2000, () => done('timeout'));
  s.on('data', (d) => (answer += d));
  s.on('error', (e) => done(e.code || e.message));
  s.on('close', () => done('closed'));
});
(async () => {
  const out = [];
  for (const port of ${JSON.stringify(ROUTER_PORTS_TRIED)}) for (const command of ${JSON.stringify(commands)}) out.push(await ask(port, command));
  console.log(JSON.stringify(out));
})();
`;

/** `docker exec <container> node -e <script>`: its stdout. */
async function execNode(container: string, script: string): Promise<string> {
  const exec = await kit.docker.getContainer(container).exec({ Cmd: ['node', '-e', script], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  kit.docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise((resolve) => stream.on('end', resolve));
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`node in ${container} exited ${ExitCode}: ${err}`);
  return out;
}

beforeAll(async () => {
  kit = await deployTestKit();
  target = demoTarget(service, ENV, await freePort(), { replicas: 1 });
  images.v1 = await buildDemoImage(kit, '1.0.0', 'none');
  images.v2 = await buildDemoImage(kit, '2.0.0', 'none');
});

afterAll(async () => {
  if (kit) await destroyEnvironment(kit, service, ENV);
});

test('a canary cannot reach the router admin API: no answer on any router port, the stable weight is unchanged', async () => {
  await kit.activities.deployCandidate({ ...ref(images.v1), image: images.v1, target });
  await kit.activities.promote(ref(images.v1));
  const canary = await kit.activities.deployCandidate({ ...ref(images.v2), image: images.v2, target });
  await kit.activities.shiftTraffic({ ...ref(images.v2), weight: 10 });
  const state = await expectStackMatchesDocker(kit, service, ENV);
  const before = await routerServers(state);
  const stableServer = `app/${state.stable!.containers[0]!}`;
  expect(before.find((s) => s.startsWith(`${stableServer} `))).not.toMatch(/ 0$/); // the stable release serves

  const router = routerContainerName(service, ENV);
  const commands = ['show servers state', 'show info', `set server ${stableServer} weight 0`, `add server app/intruder ${router}:8080 weight 256`];
  const attempts = JSON.parse(await execNode(canary.containers[0]!, attackScript(router, commands))) as Attempt[];

  // Nothing that speaks the runtime API: neither a state dump, nor the process info, nor a command's reply.
  const spoke = attempts.filter((a) => /# be_id|^Name: HAProxy|New server registered|Unknown command|Permission denied/m.test(a.answer));
  expect(spoke).toEqual([]);
  // The admin port of before is closed on the network.
  expect(attempts.filter((a) => a.port === 9999).map((a) => a.result)).toEqual(commands.map(() => 'ECONNREFUSED'));
  // The router's servers and weights are what airlock set, read through airlock's own admin access.
  expect(await routerServers(state)).toEqual(before);
  // airlock's access: a unix socket of airlock's user (mode 600) in a directory only that user opens (700).
  const admin = parseAdminAddress(state.router!.adminAddress);
  if (!('path' in admin)) throw new Error(`admin address ${state.router!.adminAddress} is not a unix socket`);
  expect(statSync(dirname(admin.path)).mode & 0o777).toBe(0o700);
  expect(statSync(admin.path)).toMatchObject({ uid: process.getuid!() });
  expect(statSync(admin.path).mode & 0o777).toBe(0o600);
  // No admin port is published on the host either.
  const published = Object.keys((await kit.docker.getContainer(router).inspect()).NetworkSettings.Ports ?? {});
  expect(published.sort()).toEqual(['8080/tcp', '8081/tcp', '8405/tcp']);
});

test('destroying the environment removes the router admin directory', async () => {
  const admin = parseAdminAddress((await kit.driver.outputs(service, ENV))!.state.router!.adminAddress) as { path: string };
  expect(existsSync(admin.path)).toBe(true);
  await destroyEnvironment(kit, service, ENV);
  expect(existsSync(dirname(admin.path))).toBe(false);
});

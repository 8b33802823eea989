import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Docker from 'dockerode';
import { answersOnPublishedPort, waitHealthy } from '../../infra/docker/ops';

// The candidate's readiness wait (issue 13): Docker 20.10 runs a container's first health check one interval
// after its start, so the deploy also asks the app itself on its published port and stops waiting as soon as
// it answers. Docker stays the authority for failing: an exit or `unhealthy` still fails the wait.

type State = { Running: boolean; Restarting?: boolean; ExitCode?: number; Health?: { Status: string; Log?: { Output: string }[] } };

/** A Docker client whose container goes through `states`, one per inspect (the last one repeats). */
function fakeDocker(states: State[], hostPort = 1) {
  let n = 0;
  const inspect = async () => {
    const State = states[Math.min(n++, states.length - 1)]!;
    return { Name: '/app', State, NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] } } } as unknown as Docker.ContainerInspectInfo;
  };
  const docker = { getContainer: () => ({ inspect, logs: async () => Buffer.from('boom') }) } as unknown as Docker;
  return { docker, inspects: () => n };
}

const starting: State = { Running: true, Health: { Status: 'starting' } };
const healthy: State = { Running: true, Health: { Status: 'healthy' } };

test('the app answering ends the wait while Docker still says starting', async () => {
  const { docker, inspects } = fakeDocker([starting]);
  let asked = 0;
  await waitHealthy(docker, 'app', 5000, { pollMs: 5, answers: async () => ++asked >= 3 });
  expect(asked).toBe(3);
  expect(inspects()).toBe(3);
});

test('without an answer, Docker saying healthy ends it; an answer that throws is ignored', async () => {
  const { docker } = fakeDocker([starting, starting, healthy]);
  await expect(
    waitHealthy(docker, 'app', 5000, {
      pollMs: 5,
      answers: async () => {
        throw new Error('ECONNREFUSED');
      },
    }),
  ).resolves.toBeUndefined();
});

test('Docker stays the authority for failing: unhealthy or exited fails even if the app would answer later', async () => {
  const unhealthy = fakeDocker([starting, { Running: true, Health: { Status: 'unhealthy', Log: [{ Output: 'curl: (7) refused' }] } }]);
  await expect(waitHealthy(unhealthy.docker, 'app', 5000, { pollMs: 5, answers: async () => false })).rejects.toThrow(/container app is unhealthy: curl: \(7\) refused/);
  const exited = fakeDocker([{ Running: false, ExitCode: 3, Health: { Status: 'starting' } }]);
  let asked = 0;
  await expect(waitHealthy(exited.docker, 'app', 5000, { pollMs: 5, answers: async () => (++asked, true) })).rejects.toThrow(/exited \(code 3\) before it was healthy/);
  expect(asked).toBe(0);
  const never = fakeDocker([starting]);
  await expect(waitHealthy(never.docker, 'app', 50, { pollMs: 5, answers: async () => false })).rejects.toThrow(/not healthy within 50 ms \(starting/);
});

describe('answersOnPublishedPort', () => {
  let server: Server;
  let status = 200;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? status : 404;
      res.end('x'.repeat(10_000));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const info = (port: number | undefined) =>
    ({ NetworkSettings: { Ports: port ? { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } : {} } }) as unknown as Docker.ContainerInspectInfo;

  test('2xx on the health path is an answer; an error status, another path or no published port is not', async () => {
    const port = (server.address() as AddressInfo).port;
    status = 200;
    expect(await answersOnPublishedPort(info(port), 8080, '/healthz')).toBe(true);
    expect(await answersOnPublishedPort(info(port), 8080, '/other')).toBe(false);
    status = 503;
    expect(await answersOnPublishedPort(info(port), 8080, '/healthz')).toBe(false);
    status = 302;
    expect(await answersOnPublishedPort(info(port), 8080, '/healthz')).toBe(false);
    expect(await answersOnPublishedPort(info(undefined), 8080, '/healthz')).toBe(false);
  });
});

import type Docker from 'dockerode';
import { tarFiles } from './tar';

/**
 * Docker operations the dynamic providers and activities share. dockerode is `require`d inside the
 * functions (never imported at module level): Pulumi serializes provider code and can only carry
 * node_modules packages as `require` calls.
 */

/**
 * A failed Docker operation. A plain Error with a name, not a subclass: Pulumi's closure serializer
 * rewrites classes into functions, and an Error subclass then loses its message in the provider.
 */
export function dockerOpError(message: string): Error {
  return Object.assign(new Error(message), { name: 'DockerOpError' });
}

/** A client for DOCKER_HOST (or the local socket), like the docker CLI. */
export function dockerClient(): Docker {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Pulumi serializes provider code: modules must be required inside it
  const Dockerode = require('dockerode') as typeof Docker;
  return new Dockerode();
}

export const isNotFound = (err: unknown): boolean => (err as { statusCode?: number }).statusCode === 404;
export const isConflict = (err: unknown): boolean => (err as { statusCode?: number }).statusCode === 409;

export async function inspectOrNull(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** Makes `image` present locally, pulling it (by digest) when it is not; every progress event is checked. */
export async function ensureImage(docker: Docker, image: string): Promise<void> {
  try {
    await docker.getImage(image).inspect();
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const stream = await docker.pull(image);
  await new Promise<void>((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : failure ? reject(dockerOpError(`pull ${image}: ${failure}`)) : resolve()),
      (event: { error?: string; errorDetail?: { message?: string } }) => {
        if (event.error) failure = event.errorDetail?.message ?? event.error;
      },
    );
  });
}

/** Stops (with a grace period) and removes a container; a missing one is fine. */
export async function removeContainer(docker: Docker, name: string, graceSeconds = 5): Promise<void> {
  const c = docker.getContainer(name);
  try {
    await c.stop({ t: graceSeconds });
  } catch (err) {
    if (isNotFound(err)) return;
    // 304: already stopped; anything else: remove with force below
  }
  try {
    await c.remove({ force: true, v: true });
  } catch (err) {
    if (!isNotFound(err) && !/removal of container .* is already in progress/.test(String(err))) throw err;
  }
}

/**
 * Waits until the container's Docker health check says healthy, or, sooner, until `answers` (the same check
 * made from here, e.g. the health path on the published port) passes: Docker 20.10 runs its first check only
 * one interval after the start. Fails fast when the container exits or Docker turns it unhealthy, with its
 * last health output and log lines. `answers` only ends the wait early: failing or unreachable, it is ignored.
 */
export async function waitHealthy(
  docker: Docker,
  name: string,
  timeoutMs: number,
  options: { pollMs?: number; answers?: (info: Docker.ContainerInspectInfo) => Promise<boolean> } = {},
): Promise<void> {
  const pollMs = options.pollMs ?? (options.answers ? 100 : 250);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await docker.getContainer(name).inspect();
    const health = (info.State as { Health?: { Status?: string; Log?: { Output?: string }[] } }).Health;
    if (health?.Status === 'healthy' || (!health && info.State.Running)) return;
    const why = () => health?.Log?.at(-1)?.Output?.trim() ?? 'no health output';
    if (!info.State.Running && !info.State.Restarting) {
      throw dockerOpError(`container ${name} exited (code ${info.State.ExitCode}) before it was healthy: ${await logTail(docker, name)}`);
    }
    if (health?.Status === 'unhealthy') throw dockerOpError(`container ${name} is unhealthy: ${why()}`);
    if (options.answers && info.State.Running && (await options.answers(info).catch(() => false))) return;
    if (Date.now() >= deadline) throw dockerOpError(`container ${name} was not healthy within ${timeoutMs} ms (${health?.Status ?? 'no health check'}: ${why()})`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Whether `http://127.0.0.1:<published port><path>` answers 2xx within `timeoutMs`: the container's health
 * check (curl -fsS on the same path) made from the Docker host. Only the status is read; the body is dropped.
 */
export async function answersOnPublishedPort(info: Docker.ContainerInspectInfo, containerPort: number, path: string, timeoutMs = 1000): Promise<boolean> {
  const binding = info.NetworkSettings.Ports?.[`${containerPort}/tcp`]?.[0]?.HostPort;
  if (!binding) return false;
  const res = await fetch(`http://127.0.0.1:${Number(binding)}${path}`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
  await res.body?.cancel();
  return res.status >= 200 && res.status < 300;
}

export async function logTail(docker: Docker, name: string, lines = 10): Promise<string> {
  try {
    const buf = (await docker.getContainer(name).logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer;
    // Strip the 8-byte multiplexing headers of non-TTY logs.
    const text = Buffer.from(buf).toString('utf8').replace(/[\u0000-\u0008][\u0000]{3}[\s\S]{4}/g, '');
    return text.trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '(no logs)';
  }
}

/** Writes small text files into a container (created or running) under `dir`. */
export async function putFiles(docker: Docker, name: string, dir: string, files: Record<string, string>): Promise<void> {
  await docker.getContainer(name).putArchive(Buffer.from(tarFiles(files)), { path: dir });
}

/** Host port Docker published for a container port (`8080/tcp`), or throws. */
export function publishedPort(info: Docker.ContainerInspectInfo, containerPort: number): number {
  const binding = info.NetworkSettings.Ports?.[`${containerPort}/tcp`]?.[0]?.HostPort;
  if (!binding) throw dockerOpError(`container ${info.Name.replace(/^\//, '')} publishes no host port for ${containerPort}/tcp`);
  return Number(binding);
}

/** The container's address on a network, or throws. */
export function networkAddress(info: Docker.ContainerInspectInfo, network: string): string {
  const ip = info.NetworkSettings.Networks?.[network]?.IPAddress;
  if (!ip) throw dockerOpError(`container ${info.Name.replace(/^\//, '')} has no address on network ${network}`);
  return ip;
}

/** True when every `want` label is on the container with the same value. */
export const hasLabels = (info: Docker.ContainerInspectInfo, want: Record<string, string>): boolean =>
  Object.entries(want).every(([k, v]) => info.Config.Labels?.[k] === v);

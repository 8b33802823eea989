import type Docker from 'dockerode';
import { AirlockError, DockerUnavailableError, ImageBuildError } from '../errors';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** A dockerode failure as an airlock error: an unreachable engine is retryable DockerUnavailableError. */
export function engineError(err: unknown, what: string): Error {
  if (err instanceof AirlockError) return err;
  const e = err as { code?: string; message?: string; name?: string };
  if (e.name === 'AbortError') return err as Error;
  if (e.code && UNREACHABLE.has(e.code))
    return new DockerUnavailableError(`${what}: the Docker engine is not reachable (${e.code}): start it (\`npx airlock dev up\`) or set DOCKER_HOST`, {
      code: e.code,
    });
  const status = (err as { statusCode?: number }).statusCode;
  // The engine answered with an error about the request itself (bad Dockerfile path, bad option): not transient.
  if (status !== undefined && status >= 400 && status < 500) return new ImageBuildError(`${what}: ${e.message ?? String(err)}`, { status });
  if (status === 500 && what === 'docker build') return new ImageBuildError(`${what}: ${e.message ?? String(err)}`, { status });
  return new DockerUnavailableError(`${what}: ${e.message ?? String(err)}`, { ...(status ? { status } : {}) });
}

/** Fails fast, and retryably, when the engine is down. */
export async function ensureDocker(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw engineError(err, 'docker');
  }
}

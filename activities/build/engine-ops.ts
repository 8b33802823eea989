import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { ImageBuildError, RegistryError } from '../errors';
import type { BuildDeps } from './build-image';
import { BuildLog, readEngineStream } from './docker-stream';
import { engineError } from './engine';
import { keepBeating, type StageHooks } from '../shared';

/**
 * Runs `docker build` on a context tar, following every event: a failed step is an ImageBuildError with
 * the step and the last lines of output (dockerode reports success even when the stream carried an error).
 */
export async function runBuild(
  deps: BuildDeps,
  image: string,
  dockerfile: string,
  labels: Record<string, string>,
  tar: string,
  hooks: StageHooks,
): Promise<void> {
  const log = new BuildLog();
  let stream: NodeJS.ReadableStream;
  try {
    stream = await deps.docker.buildImage(createReadStream(tar), {
      t: image,
      dockerfile,
      labels,
      rm: true,
      forcerm: true,
      ...(hooks.signal ? { abortSignal: hooks.signal } : {}),
    });
  } catch (err) {
    throw engineError(err, 'docker build');
  }
  try {
    await keepBeating(
      hooks.heartbeat,
      () => ({ phase: 'build', step: log.step }),
      () =>
        readEngineStream(stream as unknown as Readable, (e) => {
          const { newStep } = log.add(e);
          if (newStep) {
            hooks.heartbeat?.({ phase: 'build', step: newStep });
            deps.log.debug('build step', { image, step: newStep });
          }
        }),
      10_000,
    );
  } catch (err) {
    throw engineError(err, 'docker build');
  }
  if (log.error !== undefined) {
    const fromStep = /^Step \d+\/\d+ : FROM /i.test(log.step);
    throw new ImageBuildError(
      `docker build failed at ${log.step || 'the start'}: ${log.error}${fromStep ? ' (is the base image present locally? `npx airlock dev up` builds airlock/base; no registry can be pulled here)' : ''}`,
      { step: log.step, error: log.error, lastLines: log.lastLines() },
    );
  }
  if (!log.imageId && !log.lastLines().some((l) => l.startsWith('Successfully built')))
    throw new ImageBuildError(`docker build of ${image} ended without an image`, { lastLines: log.lastLines() });
}

/** Pushes the tag; returns the digest the engine reported. Errors in the stream are registry errors (retryable). */
export async function pushImage(deps: BuildDeps, image: string, tag: string, hooks: StageHooks): Promise<string | undefined> {
  hooks.heartbeat?.({ phase: 'push', image });
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await deps.docker.getImage(image).push({ tag, ...(hooks.signal ? { abortSignal: hooks.signal } : {}) })) as NodeJS.ReadableStream;
  } catch (err) {
    throw engineError(err, 'docker push');
  }
  let digest: string | undefined;
  let error: string | undefined;
  let status = '';
  try {
    await keepBeating(
      hooks.heartbeat,
      () => ({ phase: 'push', image, status }),
      () =>
        readEngineStream(stream as unknown as Readable, (e) => {
          if (e.error || e.errorDetail?.message) error ??= (e.errorDetail?.message ?? e.error ?? '').trim();
          if (e.aux?.Digest) digest = e.aux.Digest;
          if (e.status) status = `${e.id ? `${e.id}: ` : ''}${e.status}`;
        }),
      5_000,
    );
  } catch (err) {
    throw engineError(err, 'docker push');
  }
  if (error !== undefined)
    throw new RegistryError(`pushing ${image} failed: ${error} (is the registry up? \`npx airlock dev up\`)`, { image, error });
  return digest;
}

import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { BuildResult } from '../../model/build';
import { MANIFEST_FILE } from '../../model/manifest';
import { releaseId as releaseIdOf } from '../../model/names';
import { InvalidInputError } from '../../model/parse';
import { ImageBuildError, RegistryError } from '../errors';
import { dockerignorePathspecs, finalBaseImage } from './dockerfile';
import { BuildLog, readEngineStream } from './docker-stream';
import { ensureDocker, engineError } from './engine';
import { archiveTree, pathInRepo, readAtCommit, resolveCommit, sourceOf } from './git-source';
import { keepBeating, type StageHooks, type StageLogger } from './hooks';
import { missingManifest, parseManifest } from './load-manifest';
import { RegistryClient } from './registry';

export interface BuildRequest {
  /** The git repository (a path on the worker's machine). */
  repo: string;
  /** The service directory: relative to the repository root, or an absolute path inside it. */
  serviceDir: string;
  /** Commit to build (any revision git understands; resolved to the full id). */
  commit: string;
  /** Environment for the release id; default: the manifest's first environment. */
  environment?: string;
  /** Overrides the release id derived from service, environment and commit. */
  releaseId?: string;
  /** When given (the pipeline's service), the manifest must name the same service. */
  service?: string;
}

export interface BuildDeps {
  docker: Docker;
  registry: string;
  log: StageLogger;
}

export const LABELS = {
  source: 'org.opencontainers.image.source',
  revision: 'org.opencontainers.image.revision',
  title: 'org.opencontainers.image.title',
  createdBy: 'dev.airlock.created-by',
  releaseId: 'dev.airlock.release-id',
  baseImage: 'dev.airlock.base-image',
} as const;

/**
 * Builds the committed tree of a service at a commit into `<registry>/<service>:<release id>`, pushes
 * it and returns the digest. Idempotent: a release id already in the registry (same revision) is
 * returned without rebuilding.
 */
export async function buildImage(deps: BuildDeps, req: BuildRequest, hooks: StageHooks = {}): Promise<BuildResult> {
  const started = Date.now();
  const { repo } = req;
  const commit = await resolveCommit(repo, req.commit);
  const serviceDir = await pathInRepo(repo, req.serviceDir);
  const at = (p: string) => posix.join(serviceDir || '.', p).replace(/^\.\//, '');
  const where = `${serviceDir || '.'} at ${commit.slice(0, 12)}`;

  const manifestText = await readAtCommit(repo, commit, at(MANIFEST_FILE));
  if (!manifestText) throw missingManifest(`service directory ${where}`);
  const manifest = parseManifest(manifestText.toString('utf8'), `${at(MANIFEST_FILE)} at ${commit.slice(0, 12)}`);
  if (req.service !== undefined && req.service !== manifest.service)
    throw new InvalidInputError(`${MANIFEST_FILE} at ${where}`, [`service: is ${manifest.service}, but the pipeline deploys ${req.service}`]);
  const environments = Object.keys(manifest.environments);
  const environment = req.environment ?? environments[0]!;
  if (!environments.includes(environment))
    throw new InvalidInputError('environment', [`${environment}: not an environment of ${manifest.service} (${environments.join(', ')})`]);
  const releaseId = req.releaseId ?? releaseIdOf(manifest.service, environment, commit);

  const contextDir = posix.normalize(at(manifest.build.context)).replace(/^\.$/, '');
  const dockerfileInRepo = posix.normalize(at(manifest.build.dockerfile));
  const dockerfile = posix.relative(contextDir || '.', dockerfileInRepo);
  if (dockerfile.startsWith('..')) throw new InvalidInputError(`${MANIFEST_FILE} at ${where}`, ['build.dockerfile: must be inside build.context']);
  const dockerfileText = await readAtCommit(repo, commit, dockerfileInRepo);
  if (!dockerfileText) throw new InvalidInputError(`${MANIFEST_FILE} at ${where}`, [`build.dockerfile: ${dockerfileInRepo} is not in the commit`]);
  const baseImage = finalBaseImage(dockerfileText.toString('utf8'));

  const image = `${deps.registry}/${manifest.service}:${releaseId}`;
  const registry = new RegistryClient(deps.registry);
  const existing = await registry.lookup(manifest.service, releaseId);
  if (existing) {
    if (existing.labels[LABELS.revision] !== commit)
      throw new ImageBuildError(`${image} already exists for revision ${existing.labels[LABELS.revision] ?? '(unknown)'}, not ${commit}: release tags are immutable`, {
        image,
      });
    deps.log.info('image already built', { image, digest: existing.digest });
    return { image, digest: existing.digest, releaseId, sizeBytes: existing.sizeBytes, durationMs: Date.now() - started, reused: true, revision: commit, ...(baseImage ? { baseImage } : {}) };
  }

  await ensureDocker(deps.docker);
  const labels = {
    [LABELS.source]: await sourceOf(repo),
    [LABELS.revision]: commit,
    [LABELS.title]: manifest.service,
    [LABELS.createdBy]: 'airlock',
    [LABELS.releaseId]: releaseId,
    ...(baseImage ? { [LABELS.baseImage]: baseImage } : {}),
  };
  const dockerignore = await readAtCommit(repo, commit, posix.join(contextDir || '.', '.dockerignore').replace(/^\.\//, ''));
  const ignore = dockerignorePathspecs(dockerignore?.toString('utf8') ?? '');
  if (ignore.unsupported.length) deps.log.warn('.dockerignore patterns not applied', { patterns: ignore.unsupported });

  hooks.signal?.throwIfAborted();
  const work = await mkdtemp(join(tmpdir(), 'airlock-build-'));
  try {
    const tar = join(work, 'context.tar');
    await archiveTree(repo, commit, contextDir, ignore.pathspecs, tar);
    hooks.heartbeat?.({ phase: 'build', step: 'sending context' });
    await runBuild(deps, image, dockerfile, labels, tar, hooks);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  hooks.signal?.throwIfAborted();
  const pushed = await push(deps, image, releaseId, hooks);
  const stored = await registry.lookup(manifest.service, releaseId);
  if (!stored) throw new RegistryError(`${image} was pushed but the registry does not list it`, { image });
  if (pushed && pushed !== stored.digest) deps.log.warn('push digest differs from the registry', { pushed, stored: stored.digest });
  const result: BuildResult = {
    image,
    digest: stored.digest,
    releaseId,
    sizeBytes: stored.sizeBytes,
    durationMs: Date.now() - started,
    reused: false,
    revision: commit,
    ...(baseImage ? { baseImage } : {}),
  };
  deps.log.info('image built', { image, digest: result.digest, durationMs: result.durationMs });
  return result;
}

async function runBuild(
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
      hooks,
      () => ({ phase: 'build', step: log.step }),
      () =>
        readEngineStream(stream as unknown as Readable, (e) => {
          const { newStep } = log.add(e);
          if (newStep) {
            hooks.heartbeat?.({ phase: 'build', step: newStep });
            deps.log.debug('build step', { image, step: newStep });
          }
        }),
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
async function push(deps: BuildDeps, image: string, tag: string, hooks: StageHooks): Promise<string | undefined> {
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
      hooks,
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

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type Docker from 'dockerode';
import type { BuildResult } from '../../model/build';
import type { BuildSettings } from '../../model/manifest';
import { ImageBuildError, RegistryError } from '../errors';
import { pushImage, runBuild } from './engine-ops';
import { resolveBuild } from './resolve-build';
import { dockerignorePathspecs } from './dockerfile';
import { ensureDocker } from './engine';
import { archiveTree, readAtCommit, sourceOf, type StageHooks, type StageLogger } from '../shared';
import { RegistryClient } from './registry';

/** What to build: the committed tree of a service directory. */
interface BuildSource {
  /** The git repository (a path on the worker's machine). */
  repo: string;
  /** The service directory: relative to the repository root, or an absolute path inside it. */
  serviceDir: string;
  /** Commit to build (any revision git understands; resolved to the full id). */
  commit: string;
}

export type BuildRequest = BuildSource &
  (
    | {
        /** Environment for the release id; default: the manifest's first environment. */
        environment?: string;
        /** Overrides the release id derived from service, environment and commit. */
        releaseId?: string;
        /** When given (the pipeline's service), the manifest must name the same service. */
        service?: string;
        build?: undefined;
      }
    | {
        /** airlock.yaml's build settings, already read at the commit (the pipeline reads it once): not read again. */
        build: BuildSettings;
        service: string;
        releaseId: string;
      }
  );

export interface BuildDeps {
  docker: Docker;
  registry: string;
  log: StageLogger;
  /**
   * Whether `image` (repo@digest) carries a build provenance link for `commit` signed by this worker
   * (activities/evidence/record.ts). Given (the pipeline): an existing tag without it is rebuilt, not reused.
   */
  hasProvenance?: (image: string, commit: string) => Promise<boolean>;
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
  const { commit, service, releaseId, contextDir, dockerfile, baseImage } = await resolveBuild(req);
  const image = `${deps.registry}/${service}:${releaseId}`;
  const registry = new RegistryClient(deps.registry);
  const existing = await registry.lookup(service, releaseId);
  // A tag is reused only when the worker's own signed provenance says it built this digest from this commit:
  // labels are written by whoever pushed the tag (anyone who can reach the registry). Else it is rebuilt.
  const ours = existing && deps.hasProvenance ? await deps.hasProvenance(`${deps.registry}/${service}@${existing.digest}`, commit) : undefined;
  if (existing && ours === false) deps.log.warn('image tag exists without the worker\'s provenance for this commit: rebuilding it', { image, digest: existing.digest });
  else if (existing) {
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
    [LABELS.title]: service,
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
  const pushed = await pushImage(deps, image, releaseId, hooks);
  const stored = await registry.lookup(service, releaseId);
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

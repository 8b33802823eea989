import { posix } from 'node:path';
import { MANIFEST_FILE, type BuildSettings } from '../../model/manifest';
import { releaseId as releaseIdOf } from '../../model/names';
import { InvalidInputError } from '../../model/parse';
import type { BuildRequest } from './build-image';
import { finalBaseImage } from './dockerfile';
import { pathInRepo, readAtCommit, requireManifestAtCommit, resolveCommit } from '../shared';

/** What to build, read from the commit (never the work tree). */
export interface ResolvedBuild {
  /** Full commit id. */
  commit: string;
  service: string;
  releaseId: string;
  /** Build context inside the repository ('' = its root). */
  contextDir: string;
  /** Dockerfile path inside the context. */
  dockerfile: string;
  /** The final stage's FROM. */
  baseImage?: string;
}

/**
 * Resolves the commit, takes the build settings (from airlock.yaml at the commit, unless the request
 * carries them), reads the Dockerfile at the commit, derives the release id.
 */
export async function resolveBuild(req: BuildRequest): Promise<ResolvedBuild> {
  const { repo } = req;
  const commit = await resolveCommit(repo, req.commit);
  const serviceDir = await pathInRepo(repo, req.serviceDir);
  const at = (p: string) => posix.join(serviceDir || '.', p).replace(/^\.\//, '');
  const source = `${MANIFEST_FILE} at ${serviceDir || '.'} at ${commit.slice(0, 12)}`;
  const { service, build, releaseId } = req.build ? req : await fromManifest(req, commit, serviceDir, source);

  const contextDir = posix.normalize(at(build.context)).replace(/^\.$/, '');
  const dockerfileInRepo = posix.normalize(at(build.dockerfile));
  const dockerfile = posix.relative(contextDir || '.', dockerfileInRepo);
  if (dockerfile.startsWith('..')) throw new InvalidInputError(source, ['build.dockerfile: must be inside build.context']);
  const dockerfileText = await readAtCommit(repo, commit, dockerfileInRepo);
  if (!dockerfileText) throw new InvalidInputError(source, [`build.dockerfile: ${dockerfileInRepo} is not in the commit`]);
  const baseImage = finalBaseImage(dockerfileText.toString('utf8'));

  return { commit, service, releaseId, contextDir, dockerfile, ...(baseImage ? { baseImage } : {}) };
}

/** Service, build settings and release id from airlock.yaml at the commit. */
async function fromManifest(
  req: BuildRequest & { build?: undefined },
  commit: string,
  serviceDir: string,
  source: string,
): Promise<{ service: string; build: BuildSettings; releaseId: string }> {
  const { manifest } = await requireManifestAtCommit(req.repo, commit, serviceDir);
  if (req.service !== undefined && req.service !== manifest.service)
    throw new InvalidInputError(source, [`service: is ${manifest.service}, but the pipeline deploys ${req.service}`]);
  const environments = Object.keys(manifest.environments);
  const environment = req.environment ?? environments[0]!;
  if (!environments.includes(environment))
    throw new InvalidInputError('environment', [`${environment}: not an environment of ${manifest.service} (${environments.join(', ')})`]);
  return { service: manifest.service, build: manifest.build, releaseId: req.releaseId ?? releaseIdOf(manifest.service, environment, commit) };
}

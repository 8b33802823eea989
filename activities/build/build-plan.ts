import { posix } from 'node:path';
import { MANIFEST_FILE, type Manifest } from '../../model/manifest';
import { releaseId as releaseIdOf } from '../../model/names';
import { InvalidInputError } from '../../model/parse';
import type { BuildRequest } from './build-image';
import { finalBaseImage } from './dockerfile';
import { manifestAtCommit, missingManifest, pathInRepo, readAtCommit, resolveCommit } from '../shared';

/** What to build, read from the commit (never the work tree). */
export interface BuildPlan {
  /** Full commit id. */
  commit: string;
  manifest: Manifest;
  releaseId: string;
  /** Build context inside the repository ('' = its root). */
  contextDir: string;
  /** Dockerfile path inside the context. */
  dockerfile: string;
  /** The final stage's FROM. */
  baseImage?: string;
}

/** Resolves the commit, reads and validates airlock.yaml and the Dockerfile at it, derives the release id. */
export async function planBuild(req: BuildRequest): Promise<BuildPlan> {
  const { repo } = req;
  const commit = await resolveCommit(repo, req.commit);
  const serviceDir = await pathInRepo(repo, req.serviceDir);
  const at = (p: string) => posix.join(serviceDir || '.', p).replace(/^\.\//, '');
  const where = `${serviceDir || '.'} at ${commit.slice(0, 12)}`;
  const source = `${MANIFEST_FILE} at ${where}`;

  const manifest = (await manifestAtCommit(repo, commit, serviceDir))?.manifest;
  if (!manifest) throw missingManifest(`service directory ${where}`);
  if (req.service !== undefined && req.service !== manifest.service)
    throw new InvalidInputError(source, [`service: is ${manifest.service}, but the pipeline deploys ${req.service}`]);
  const environments = Object.keys(manifest.environments);
  const environment = req.environment ?? environments[0]!;
  if (!environments.includes(environment))
    throw new InvalidInputError('environment', [`${environment}: not an environment of ${manifest.service} (${environments.join(', ')})`]);

  const contextDir = posix.normalize(at(manifest.build.context)).replace(/^\.$/, '');
  const dockerfileInRepo = posix.normalize(at(manifest.build.dockerfile));
  const dockerfile = posix.relative(contextDir || '.', dockerfileInRepo);
  if (dockerfile.startsWith('..')) throw new InvalidInputError(source, ['build.dockerfile: must be inside build.context']);
  const dockerfileText = await readAtCommit(repo, commit, dockerfileInRepo);
  if (!dockerfileText) throw new InvalidInputError(source, [`build.dockerfile: ${dockerfileInRepo} is not in the commit`]);
  const baseImage = finalBaseImage(dockerfileText.toString('utf8'));

  return {
    commit,
    manifest,
    releaseId: req.releaseId ?? releaseIdOf(manifest.service, environment, commit),
    contextDir,
    dockerfile,
    ...(baseImage ? { baseImage } : {}),
  };
}

import { z } from 'zod';
import { sha256Digest, sha256Hex } from '../statement';

// SLSA Provenance v1 (https://slsa.dev/spec/v1.0/provenance) of an image airlock built.

export const SLSA_PROVENANCE_TYPE = 'https://slsa.dev/provenance/v1';

/**
 * airlock's build type: what externalParameters mean. A URI we own that documents the build (docs/evidence.md
 * "Build type"): the Dockerfile in `serviceDir` of `repository` at `commit`, built by the worker's Docker
 * with the manifest (airlock.yaml) whose digest is recorded.
 */
export const AIRLOCK_BUILD_TYPE = 'https://airlock.dev/build/v1';

const gitCommit = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a full commit id');

const resourceDescriptor = z.object({ uri: z.string().min(1), digest: z.record(z.string(), z.string()) }).loose();

export const buildPredicateSchema = z.object({
  buildDefinition: z.object({
    buildType: z.literal(AIRLOCK_BUILD_TYPE),
    externalParameters: z
      .object({ repository: z.string().min(1), commit: gitCommit, serviceDir: z.string(), manifestDigest: sha256Digest })
      .loose(),
    internalParameters: z.record(z.string(), z.unknown()).optional(),
    resolvedDependencies: z.array(resourceDescriptor),
  }),
  runDetails: z.object({
    builder: z.object({ id: z.string().min(1) }).loose(),
    metadata: z.object({ invocationId: z.string().min(1), startedOn: z.iso.datetime({ offset: true }), finishedOn: z.iso.datetime({ offset: true }) }).loose(),
  }),
});
export type BuildPredicate = z.output<typeof buildPredicateSchema>;

export interface BuildProvenanceInput {
  /** The repository URL the worker fetched (no credentials). */
  repository: string;
  commit: string;
  serviceDir: string;
  /** sha256 of airlock.yaml at the commit. */
  manifestDigest: string;
  /** The final stage's base image and its digest (sha256:<hex>), when known. */
  baseImage?: { ref: string; digest: string };
  /** Who built it, e.g. `https://airlock.dev/worker/<host>` (the worker's identity, not the trigger's). */
  builderId: string;
  pipelineId: string;
  runId: string;
  startedOn: string;
  finishedOn: string;
}

export function buildPredicate(i: BuildProvenanceInput): BuildPredicate {
  const resolvedDependencies: BuildPredicate['buildDefinition']['resolvedDependencies'] = [{ uri: `git+${i.repository}@${i.commit}`, digest: { gitCommit: i.commit } }];
  if (i.baseImage) resolvedDependencies.push({ uri: i.baseImage.ref, digest: { sha256: sha256Hex.parse(i.baseImage.digest.replace(/^sha256:/, '')) } });
  return {
    buildDefinition: {
      buildType: AIRLOCK_BUILD_TYPE,
      externalParameters: { repository: i.repository, commit: i.commit, serviceDir: i.serviceDir, manifestDigest: i.manifestDigest },
      resolvedDependencies,
    },
    runDetails: {
      builder: { id: i.builderId },
      metadata: { invocationId: `${i.pipelineId}/${i.runId}`, startedOn: i.startedOn, finishedOn: i.finishedOn },
    },
  };
}

import type Docker from 'dockerode';
import type { BuildResult } from '../../model/build';
import type { AirlockConfig } from '../../infra/config';
import { buildImage, type BuildDeps, type BuildRequest } from './build-image';
import { stageActivity, type StageLogger } from '../shared';

export { buildImage, LABELS, type BuildRequest } from './build-image';

export interface BuildActivityDeps {
  docker: Docker;
  config: Pick<AirlockConfig, 'registry'>;
  /** Default: the activity logger. */
  log?: StageLogger;
  /** See BuildDeps.hasProvenance: the pipeline reuses only images its worker signed provenance for. */
  hasProvenance?: BuildDeps['hasProvenance'];
}

/** The build stage as an activity: heartbeats the current Dockerfile step, cancellable. */
export function createBuildActivities(deps: BuildActivityDeps) {
  return {
    buildImage: stageActivity(deps.log, (req: BuildRequest, hooks, log): Promise<BuildResult> =>
      buildImage({ docker: deps.docker, registry: deps.config.registry, log, ...(deps.hasProvenance ? { hasProvenance: deps.hasProvenance } : {}) }, req, hooks),
    ),
  };
}

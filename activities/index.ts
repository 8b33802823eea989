import { dockerClient } from '../infra/local/probes';
import type { AirlockConfig } from '../infra/config';
import { createDriftActivities } from './drift';
import { createScheduleActivities } from './drift/schedule';
import { createNotifyActivities } from './notify';
import { createPipelineActivities } from './pipeline';
import { createFlagActivities } from './flags';
import { createRoutingActivities } from './routing';

/**
 * Every activity the worker registers, built from injected clients (style.md): the pipeline's stages
 * from each stage folder, adapted to the workflow's contract in ./pipeline.ts.
 */
export function createActivities(config: AirlockConfig) {
  // webhook secrets are read by the NAME the protected policy gives, from the worker's environment, at send time
  const docker = dockerClient(config);
  return {
    ...createPipelineActivities({ config, docker }),
    ...createNotifyActivities({ env: process.env }),
    ...createDriftActivities({ config, docker }),
    ...createScheduleActivities(),
    ...createFlagActivities({ config }),
    ...createRoutingActivities(config),
  };
}

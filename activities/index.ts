import { dockerClient } from '../infra/local/probes';
import type { AirlockConfig } from '../infra/config';
import { createPipelineActivities } from './pipeline';

/**
 * Every activity the worker registers, built from injected clients (style.md): the pipeline's stages
 * from each stage folder, adapted to the workflow's contract in ./pipeline.ts.
 */
export function createActivities(config: AirlockConfig) {
  return createPipelineActivities({ config, docker: dockerClient(config) });
}

import type { AirlockConfig } from '../worker/config';

/**
 * Every activity the worker registers, built from injected clients. Each stage folder contributes a
 * factory (createBuildActivities, createScanActivities, ...); they are wired in here.
 */
export function createActivities(_config: AirlockConfig): Record<string, (...args: never[]) => Promise<unknown>> {
  return {};
}

import type { RolloutSettings } from './manifest';

// Zod-free (workflow code imports it): the steps a rollout goes through, for the pipeline and deployRelease.

export interface RolloutStep {
  /** candidate's share of user traffic at this step */
  weight: number;
  analyze: boolean;
}

/**
 * Canary: analyze at every weight (the last is 100). Blue-green: analyze the idle colour at weight 0 (the
 * candidate is reached through the preview port only), then switch at once.
 */
export function rolloutSteps(r: RolloutSettings): RolloutStep[] {
  if (r.strategy === 'canary') return r.steps.map((weight) => ({ weight, analyze: true }));
  return [
    { weight: 0, analyze: true },
    { weight: 100, analyze: false },
  ];
}

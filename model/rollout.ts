import type { RolloutSettings } from './manifest';

// Zod-free (workflow code imports it): the traffic weights a rollout goes through.

/** Canary: its steps; blue-green: one analysis at 0% user traffic, then the switch. */
export function rolloutSteps(rollout: RolloutSettings): number[] {
  return rollout.strategy === 'canary' ? [...rollout.steps] : [0];
}

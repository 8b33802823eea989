import { defineQuery } from '@temporalio/workflow';
import type { FlagRolloutState } from '../model/flag-activities';

// Wire names of the flag workflows' messages (issue 18): names only ever get added.

/** A flag rollout's live state: share, steps, per-variant analysis, outcome. */
export const flagRolloutStateQuery = defineQuery<FlagRolloutState>('flagRolloutState');

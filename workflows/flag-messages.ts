import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { FlagRolloutState } from '../model/flag-activities';
import type { FlagApproval } from '../model/flag-approval';

// Wire names of the flag workflows' messages (issue 18): names only ever get added.

/** A flag rollout's live state: share, steps, per-variant analysis, outcome. */
export const flagRolloutStateQuery = defineQuery<FlagRolloutState>('flagRolloutState');

/** A signed approval of a medium/high-risk flag rollout (model/flag-approval.ts); the validator refuses bad ones. */
export const flagApproveUpdate = defineUpdate<{ approvals: number; needed: number; missingGroups: string[] }, [FlagApproval]>('flagApprove');

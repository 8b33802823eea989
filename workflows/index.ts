// The workflow bundle's entry (every exported function is a workflow type) and what clients import.
export { deploymentPipeline } from './pipeline';
export { environmentLock, type LockInit } from './lock';
export { deployRelease, rollbackRelease } from './deploy-release';
export { rescanRelease, type RescanResult } from './rescan';
export { deliverNotification } from './deliver-notification';
export { driftCheck, type DriftCheckInput } from './drift-check';
export * from './messages';
export { type LockRequest, type LockState, type LockRunRef } from './lock-queue';
export { SEARCH_KEYS, searchAttributeKeys, initialSearchAttributes } from './search-attributes';
export { flagRollout } from './flag-rollout';
export { flagKill } from './flag-kill';
export { flagApproveUpdate, flagRolloutStateQuery } from './flag-messages';

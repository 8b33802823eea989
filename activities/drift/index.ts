export { createDriftActivities, type DriftActivities, type DriftDeps } from './detect-drift';
export { diffEnvironment, expectedEnvironment } from './drift-diff';

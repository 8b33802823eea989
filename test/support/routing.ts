import { createRoutingActivities } from '../../activities/routing';

/**
 * The `taskQueues` activity as a worker without roles answers it (every queue is the workflow's own), for a
 * test worker with an activity set of its own: the run routes as a one-process worker's does, and the SDK
 * logs no "taskQueues is not registered" error before the workflow falls back to one queue.
 */
export const oneQueueRouting = () => createRoutingActivities({ roles: { split: false, pipeline: true, build: true, deploy: [] }, environmentTargets: {} });

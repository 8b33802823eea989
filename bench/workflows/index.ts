import { proxyActivities } from '@temporalio/workflow';

// The benchmark's baseline round trip: a one-activity workflow, bundled alone for a worker of its own (the
// pipeline workers run airlock's prebuilt bundle, as production does).

const { benchPing } = proxyActivities<{ benchPing(): Promise<number> }>({ startToCloseTimeout: '1m' });

export async function benchOneActivity(): Promise<number> {
  return benchPing();
}

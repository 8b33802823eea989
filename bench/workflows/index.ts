import { proxyActivities } from '@temporalio/workflow';

// The pipeline workflows plus a one-activity workflow: the benchmark's baseline round trip.
export * from '../../workflows';

const { benchPing } = proxyActivities<{ benchPing(): Promise<number> }>({ startToCloseTimeout: '1m' });

export async function benchOneActivity(): Promise<number> {
  return benchPing();
}

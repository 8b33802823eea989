import type { RescanTarget } from '../../../model/compliance';
import { rescanRelease, type RescanResult } from '../../../workflows/rescan';
import { withWorker, type Harness } from './harness';
import { digestOf, mockActivities, type MockOptions, type Mocks } from './mock-activities';

// rescanRelease (the scheduled rescan, docs/compliance.md) on the real dev server with mocked activities:
// record-histories.ts saves their histories so that later changes to the rescan keep replaying.

export interface RescanRun {
  result: RescanResult;
  mocks: Mocks;
  recorded: { name: string; workflowId: string }[];
}

const CVE = { id: 'CVE-2026-4242', pkg: 'zlib1g', installed: '1:1.2.13', severity: 'CRITICAL' as const, target: 'debian 12' };
const imageOf = (service: string, releaseId: string) => `127.0.0.1:5000/${service}@${digestOf(releaseId)}`;

export function rescanTarget(service: string): RescanTarget {
  const releaseId = `${service}-prod-${'c'.repeat(12)}`;
  return { service, environment: 'prod', releaseId, image: imageOf(service, releaseId), source: { repo: '/repos/shop', commit: 'c'.repeat(40), serviceDir: '.' }, pipelineId: `airlock/${service}/prod/${'c'.repeat(40)}` };
}

async function single(h: Harness, name: string, opts: MockOptions): Promise<RescanRun> {
  const mocks = mockActivities(opts);
  const workflowId = `airlock-rescan/${name}/prod-recorded`;
  const result = await withWorker(h, mocks, name, (taskQueue) => h.env.client.workflow.execute(rescanRelease, { taskQueue, workflowId, args: [rescanTarget(name)] }));
  return { result, mocks, recorded: [{ name, workflowId }] };
}

export const complianceScenarios = {
  'rescan-clean': (h: Harness) => single(h, 'rescan-clean', {}),
  'rescan-rollback-newest-compliant': (h: Harness) => {
    const name = 'rescan-rollback-newest-compliant';
    const running = rescanTarget(name);
    const older = [`${name}-prod-older`, `${name}-prod-clean`].map((releaseId) => ({ releaseId, image: imageOf(name, releaseId) }));
    return single(h, name, {
      compliance: { onViolation: 'rollback' },
      history: [{ releaseId: running.releaseId, image: running.image }, ...older],
      scanFindingsFor: (image) => (image === older[1]!.image ? [] : [CVE]),
    });
  },
};

import { readCompliance } from '../../activities/compliance/status';
import { upsertRescanSchedule } from '../../activities/compliance/schedule';
import { rescanScheduleId, type ComplianceEntry, type RescanTarget } from '../../model/compliance';
import { runMain } from '../support/cli-main';
import { createWorker, uniqueQueue, useHarness, type Harness } from './support/harness';
import { digestOf, mockActivities } from './support/mock-activities';

// The schedule half of scheduled rescans on the dev server's real Temporal Schedules (the scan is mocked;
// test/integration/compliance-rescan.test.ts runs real Trivy): the schedule every 10 s starts rescanRelease
// for the release in its action, `airlock compliance` reads the newest result, `rescan` triggers one now.

let h: Harness;
useHarness((x) => (h = x));

const CVE = { id: 'CVE-2026-4242', pkg: 'zlib1g', installed: '1:1.2.13', severity: 'CRITICAL' as const, target: 'debian 12' };
const service = `sched-${process.pid}`;
const target: RescanTarget = {
  service,
  environment: 'prod',
  releaseId: `${service}-prod-${'c'.repeat(12)}`,
  image: `127.0.0.1:5000/${service}@${digestOf(service)}`,
  source: { repo: '/repos/shop', commit: 'c'.repeat(40), serviceDir: '.' },
  pipelineId: `airlock/${service}/prod/${'c'.repeat(40)}`,
};

async function waitForEntry(until: (e: ComplianceEntry) => boolean, what: string): Promise<ComplianceEntry> {
  const deadline = Date.now() + 60_000;
  let last: ComplianceEntry | undefined;
  while (Date.now() < deadline) {
    [last] = await readCompliance(h.env.client, { service, environment: 'prod' });
    if (last && until(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

test('a 10 s schedule rescans the running release; airlock compliance reports it, `rescan` runs one now', async () => {
  const opts: { scanFindings?: (typeof CVE)[] } = {};
  const mocks = mockActivities(opts);
  const taskQueue = uniqueQueue('schedule');
  const worker = await createWorker(h, mocks, taskQueue);
  const env = { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS };
  process.env.TEMPORAL_ADDRESS = h.env.address;
  try {
    await worker.runUntil(async () => {
      const deps = { client: () => h.env.client, taskQueue: () => taskQueue };
      expect(await upsertRescanSchedule(deps, target, { rescanEvery: '10s', onViolation: 'alert' })).toEqual({ scheduleId: rescanScheduleId(service, 'prod'), created: true, rescanEvery: '10s' });
      expect((await upsertRescanSchedule(deps, target, { rescanEvery: '10s', onViolation: 'alert' })).created).toBe(false);
      const d = await h.env.client.schedule.getHandle(rescanScheduleId(service, 'prod')).describe();
      expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'rescanRelease', taskQueue, args: [target] });

      const clean = await waitForEntry((e) => e.last !== undefined, 'the first scheduled rescan');
      expect(clean).toMatchObject({ releaseId: target.releaseId, image: target.image, compliant: true, rescanEvery: '10s', last: { compliant: true } });
      expect((await runMain(['compliance', '--service', service, '--env', 'prod'])).code).toBe(0);

      opts.scanFindings = [CVE]; // a new advisory
      const now = await runMain(['compliance', 'rescan', service, '--env', 'prod', '--json']);
      expect(now.code).toBe(3);
      expect(JSON.parse(now.stdout)).toMatchObject({ releaseId: target.releaseId, compliant: false, action: 'alerted' });
      const report = await runMain(['compliance', '--service', service, '--env', 'prod']);
      expect(report.code).toBe(3);
      expect(report.stdout).toContain('CVE-2026-4242');
      const all = await runMain(['compliance', '--json']);
      expect(JSON.parse(all.stdout).compliant).toBe(false);
      expect((await runMain(['compliance', '--service', 'nope', '--env', 'prod'])).code).toBe(2);
    });
  } finally {
    process.env.TEMPORAL_ADDRESS = env.TEMPORAL_ADDRESS;
    await h.env.client.schedule.getHandle(rescanScheduleId(service, 'prod')).delete().catch(() => undefined);
  }
}, 180_000);

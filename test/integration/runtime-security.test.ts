import { join } from 'node:path';
import { createProbeActivities, sendProbes, planProbes } from '../../activities/probe';
import { loadManifest } from '../../activities/shared/manifest';
import { projectRoot } from '../../infra/local/tools';
import { releaseIdForImage, type DeployTarget } from '../../model/deploy';
import type { SecurityRequirements } from '../../model/policy';
import type { SecuritySurface } from '../../model/runtime-security';
import { freePort } from '../support/ports';
import { buildDemoImage, demoTarget, deployTestKit, destroyEnvironment, uniqueService, type DeployTestKit } from './deploy-helpers';

// The runtime security stage on real Docker behind the real HAProxy router: each demo build is deployed
// as the candidate (no user traffic), probed through the preview port, its containers' logs read, then
// destroyed. The demo that enforces its token passes; one that drops the check (fault no-auth) fails
// naming GET /api/entries; one that answers bad JSON with a stack trace (fault stack-trace) fails.
const ENV = 'production';
const service = uniqueService('probe');
const STRICT: SecurityRequirements = { authentication: 'mandatory', encryption_in_transit: 'required', input_validation: 'strict', error_handling: 'secure', logging: 'comprehensive' };
let kit: DeployTestKit;
let target: DeployTarget;
let surface: SecuritySurface;
let probe: ReturnType<typeof createProbeActivities>;
const ref = (image: string) => ({ releaseId: releaseIdForImage(service, ENV, image), service, environment: ENV });

beforeAll(async () => {
  kit = await deployTestKit();
  target = demoTarget(service, ENV, await freePort(), { replicas: 2 });
  surface = (await loadManifest(join(projectRoot(), 'examples', 'demo-service'))).security!;
  probe = createProbeActivities({ config: kit.config, driver: kit.driver, docker: kit.docker, heartbeat: () => {}, log: { info: () => {}, warn: () => {} } });
});

afterAll(async () => {
  if (kit) await destroyEnvironment(kit, service, ENV);
});

/** Deploys `image` as the candidate, probes it, destroys it; returns the report. */
async function probeCandidate(image: string) {
  const deployed = await kit.activities.deployCandidate({ ...ref(image), image, target });
  expect(deployed.containers).toHaveLength(2);
  try {
    return await probe.verifyRuntimeSecurity({ ...ref(image), surface, requirements: STRICT, exceptions: [] });
  } finally {
    await kit.activities.rollback({ ...ref(image), reason: 'runtime security test' });
  }
}

test('the demo service that enforces its token passes, with every probe in its logs', async () => {
  const report = await probeCandidate(await buildDemoImage(kit, '1.0.0', 'none'));
  expect(report.findings).toEqual([]);
  expect(report.passed).toBe(true);
  expect(report.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/); // the preview port, on loopback
  expect(report.checks).toMatchObject({
    authentication: { status: 'verified' },
    input_validation: { status: 'verified' },
    error_handling: { status: 'verified' },
    logging: { status: 'verified' },
    encryption_in_transit: { status: 'not-served' },
  });
  expect(report.durationMs).toBeLessThan(3000);
});

test('a release that drops the auth check on GET /api/entries fails, naming it', async () => {
  const report = await probeCandidate(await buildDemoImage(kit, '2.0.0', 'no-auth'));
  expect(report.passed).toBe(false);
  expect(report.checks.authentication.status).toBe('violated');
  const blocking = report.findings.filter((f) => f.blocking);
  expect(new Set(blocking.map((f) => `${f.check} ${f.endpoint}`))).toEqual(new Set(['authentication GET /api/entries']));
  expect(blocking.map((f) => f.probe.split(' ')[0])).toEqual(['no-credentials', 'malformed-token', 'expired-token']);
});

test('a release that answers bad JSON with a stack trace fails', async () => {
  const report = await probeCandidate(await buildDemoImage(kit, '3.0.0', 'stack-trace'));
  expect(report.passed).toBe(false);
  expect(report.checks.error_handling.status).toBe('violated');
  expect(report.findings).toContainEqual(expect.objectContaining({ check: 'error_handling', endpoint: 'POST /api/entries', blocking: true, detail: expect.stringContaining('a JavaScript stack trace') }));
  expect(report.findings).toContainEqual(expect.objectContaining({ check: 'input_validation', endpoint: 'POST /api/entries', blocking: true, detail: expect.stringContaining('malformed-json answered 500') }));
});

test('probes never leave loopback', async () => {
  await expect(sendProbes('http://172.17.0.1:8080', planProbes(surface.endpoints, 'abcd'))).rejects.toThrow('only goes to loopback addresses');
  await expect(sendProbes('http://example.com', planProbes(surface.endpoints, 'abcd'))).rejects.toThrow(RangeError);
});

import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import Docker from 'dockerode';
import { createActivities } from '../../activities';
import { buildImage } from '../../activities/build/build-image';
import { readCompliance } from '../../activities/compliance/status';
import { upsertRescanSchedule } from '../../activities/compliance/schedule';
import { RegistryAttestations } from '../../activities/evidence/registry-attestations';
import { loadSigningKey } from '../../activities/evidence/signing-key';
import { verifySignature } from '../../activities/notify';
import { lineLogger } from '../../activities/shared';
import { trivyCacheDir } from '../../activities/scan/trivy-db';
import type { AirlockConfig } from '../../infra/config';
import { projectRoot, resolveTool } from '../../infra/local/tools';
import { connectClient } from '../../infra/temporal/connection';
import { pinned } from '../../model/build';
import { rescanScheduleId, type ComplianceEntry, type RescanTarget } from '../../model/compliance';
import { RESCAN_TYPE, verifyChain, type RescanPredicate } from '../../model/evidence';
import { createAirlockWorker } from '../../worker/worker';
import { bundleWorkflows } from '../../worker/workflow-source';
import { runMain } from '../support/cli-main';
import { commitChange, fixtureRepo, requireScanComponents, testConfig, uniqueService, useBuildComponents } from '../support/fixture-repo';
import { freePort } from '../support/ports';

// Scheduled rescans on the real stack (docs/compliance.md): a real Temporal Schedule every 10 s, real Trivy,
// real registry. The release is scanned clean with a DB in which GHSA-xvch-5gv4-984h does not concern
// minimist yet; then the worker's DB is replaced by one where it does (the fixture DB: minimist 1.2.5 is in
// the image), and the next
// scheduled rescan makes the release non-compliant: the policy's webhook (a real receiver on loopback) gets
// release.noncompliant, signed; each rescan is a signed `rescan` link next to the image in the registry;
// `airlock compliance` exits 3 and names the finding.

const base = testConfig();
const docker = new Docker();
const service = uniqueService('comply');
const environment = 'prod';
const log = lineLogger(() => undefined);
// the worker's own Trivy cache: its fixture DB is swapped during the test
const config: AirlockConfig = { ...base, trivy: { ...base.trivy, cacheDir: mkdtempSync(join(tmpdir(), 'airlock-trivy-rescan-')) } };
const taskQueue = `it-compliance-${process.pid}`;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let target: RescanTarget;
// the alert receiver: the worker signs with the secret named by the policy's secretEnv, read from its environment
const SECRET_ENV = 'AIRLOCK_IT_RESCAN_HOOK_SECRET';
const SECRET = 'rescan-hook-secret-not-real-0001';
const received: { type: string; subject?: string; data: Record<string, unknown>; verified: boolean }[] = [];
let hook: Server;

useBuildComponents(base, docker);

/**
 * The DB as it was before the advisory was published: trivy-db's own build (as scripts/build-trivy-fixture-db.sh
 * does) over the fixture advisories, with the one for minimist moved to a package the image does not have
 * (trivy-db refuses to build from no advisory at all).
 */
function buildDbBeforeAdvisory(out: string): void {
  const src = mkdtempSync(join(tmpdir(), 'airlock-trivy-src-'));
  mkdirSync(join(src, 'cocoapods-specs', 'Specs'), { recursive: true });
  cpSync(join(projectRoot(), 'test', 'fixtures', 'trivy-db', 'ghsa'), join(src, 'ghsa'), { recursive: true });
  const advisory = join(src, 'ghsa', 'advisories', 'github-reviewed', '2022', '03', 'GHSA-xvch-5gv4-984h', 'GHSA-xvch-5gv4-984h.json');
  const doc = JSON.parse(readFileSync(advisory, 'utf8')) as { affected: { package: { name: string } }[] };
  for (const a of doc.affected) a.package.name = 'airlock-decoy-package';
  writeFileSync(advisory, JSON.stringify(doc));
  const r = spawnSync(resolveTool(base, 'trivy-db'), ['build', '--cache-dir', src, '--output-dir', out, '--update-interval', '8760h', '--only-update', 'ghsa'], {
    encoding: 'utf8',
    timeout: 120_000,
    // trivy-db's GHSA source asks `go list std` for the standard library's packages
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` },
  });
  rmSync(src, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`trivy-db build failed: ${r.stderr}${r.stdout}`);
}

async function waitForEntry(until: (e: ComplianceEntry) => boolean, what: string, ms = 120_000): Promise<ComplianceEntry> {
  const deadline = Date.now() + ms;
  let last: ComplianceEntry | undefined;
  while (Date.now() < deadline) {
    [last] = await readCompliance(client, { service, environment });
    if (last && until(last)) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

beforeAll(async () => {
  requireScanComponents(base); // the standard fixture DB, with the advisory
  buildDbBeforeAdvisory(join(trivyCacheDir(config), 'db'));
  const port = await freePort();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const verified = verifySignature(body, req.headers['x-airlock-signature'] as string | undefined, SECRET);
      received.push({ ...(JSON.parse(body) as { type: string; subject?: string; data: Record<string, unknown> }), verified });
      res.writeHead(verified ? 204 : 401).end();
    });
  });
  await new Promise<void>((r) => hook.listen(port, '127.0.0.1', () => r()));
  process.env[SECRET_ENV] = SECRET;
  const f = fixtureRepo('vulnerable-package', { service });
  const policy = [
    'compliance:',
    '  rescanEvery: 10s',
    '  onViolation: alert',
    'notifications:',
    '  webhooks:',
    '    - name: security',
    `      url: http://127.0.0.1:${port}/airlock`,
    '      events: [release.noncompliant]',
    `      secretEnv: ${SECRET_ENV}`,
    '',
  ].join('\n');
  const commit = commitChange(f, 'airlock.policy.yaml', policy, 'policy: rescan every 10 s, alert the security webhook');
  const built = await buildImage({ docker, registry: config.registry, log }, { repo: f.repo, serviceDir: f.serviceDir, commit });
  target = { service, environment, releaseId: `${service}-${environment}-${commit.slice(0, 12)}`, image: pinned(built.image, built.digest), source: { repo: f.repo, commit, serviceDir: f.serviceDir }, pipelineId: `airlock/${service}/${environment}/${commit}` };
  client = await connectClient(config.temporal);
  worker = await createAirlockWorker({ ...config, temporal: { ...config.temporal, taskQueue } }, { workflowBundle: await bundleWorkflows() }, createActivities({ ...config, temporal: { ...config.temporal, taskQueue } }));
  running = worker.run();
}, 600_000);

afterAll(async () => {
  await client?.schedule.getHandle(rescanScheduleId(service, environment)).delete().catch(() => undefined);
  worker?.shutdown();
  await running;
  await client?.connection.close();
  await new Promise((r) => hook?.close(r));
  delete process.env[SECRET_ENV];
  rmSync(config.trivy.cacheDir, { recursive: true, force: true });
});

test('a release scanned clean becomes non-compliant at the next scheduled rescan once the DB knows a new advisory', async () => {
  const scheduled = await upsertRescanSchedule({ client: () => client, taskQueue: () => taskQueue }, target, { rescanEvery: '10s', onViolation: 'alert' });
  expect(scheduled).toEqual({ scheduleId: rescanScheduleId(service, environment), created: true, rescanEvery: '10s' });
  // idempotent: the same release again replaces the action, no second schedule
  expect((await upsertRescanSchedule({ client: () => client, taskQueue: () => taskQueue }, target, { rescanEvery: '10s', onViolation: 'alert' })).created).toBe(false);

  const clean = await waitForEntry((e) => e.last !== undefined, 'the first scheduled rescan');
  expect(clean).toMatchObject({ releaseId: target.releaseId, compliant: true, rescanEvery: '10s', last: { compliant: true, findings: [], dbMode: 'fixture' } });
  expect((await runMain(['compliance', '--service', service, '--env', environment])).code).toBe(0);

  // the advisory is published: the worker's DB is now the fixture DB that has it
  const db = join(trivyCacheDir(config), 'db');
  rmSync(db, { recursive: true, force: true });
  cpSync(join(trivyCacheDir(base), 'db'), db, { recursive: true });
  const flagged = await waitForEntry((e) => !e.compliant, 'a rescan with the new DB');
  expect(flagged.last!.findings.join('\n')).toMatch(/CVE-2021-44906|GHSA-xvch-5gv4-984h/);
  expect(flagged.last!.action).toBe('alerted');

  // the policy's webhook got release.noncompliant, signed with the secret it names (CloudEvents, structured mode)
  const deadline = Date.now() + 60_000;
  while (!received.some((e) => e.type === 'dev.airlock.release.noncompliant') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  const alert = received.find((e) => e.type === 'dev.airlock.release.noncompliant');
  expect(alert).toMatchObject({ verified: true, subject: `${service}/${environment}`, data: { releaseId: target.releaseId, image: target.image } });
  expect(JSON.stringify(alert!.data)).toMatch(/CVE-2021-44906|GHSA-xvch-5gv4-984h/);
  expect(JSON.stringify(received)).not.toContain(SECRET);

  // every rescan is a signed link next to the image: the clean ones and the one that found the advisory
  const { envelopes } = await new RegistryAttestations(config.registry).list(target.image);
  const chain = verifyChain(envelopes, { digest: target.image.split('@')[1]!, trustedKeys: [(await loadSigningKey(config)).trusted], required: [] });
  const rescans = chain.links.filter((l) => l.link === 'rescan');
  expect(rescans.length).toBeGreaterThanOrEqual(2);
  expect(rescans.every((l) => l.ok)).toBe(true);
  const predicates = rescans.map((l) => (JSON.parse(Buffer.from((envelopes[l.index] as { payload: string }).payload, 'base64').toString('utf8')) as { predicateType: string; predicate: RescanPredicate }));
  expect(predicates.every((p) => p.predicateType === RESCAN_TYPE)).toBe(true);
  expect(predicates.map((p) => p.predicate.compliance.compliant)).toEqual(expect.arrayContaining([true, false]));

  const cli = await runMain(['compliance', '--service', service, '--env', environment]);
  expect(cli.code).toBe(3);
  expect(cli.stdout).toMatch(/NO/);
  expect(cli.stdout).toMatch(/CVE-2021-44906|GHSA-xvch-5gv4-984h/);
  const json = await runMain(['compliance', '--service', service, '--env', environment, '--json']);
  expect(JSON.parse(json.stdout)).toMatchObject({ compliant: false, releases: [{ service, environment, image: target.image, compliant: false }] });

  // `airlock compliance rescan` runs one now, through the schedule, and waits for it
  const now = await runMain(['compliance', 'rescan', service, '--env', environment, '--json']);
  expect(now.code).toBe(3);
  expect(JSON.parse(now.stdout)).toMatchObject({ releaseId: target.releaseId, compliant: false });
}, 600_000);

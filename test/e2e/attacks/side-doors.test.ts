// Attack (issue 11, item 6): side doors to production. `airlock deploy` deployed any image (no scan,
// policy, approval or lock); the lock's messages (lockGranted, superseded, lockRelease) were plain signals
// anyone who reaches Temporal could send; break-glass did not exist. Through the built CLI on the real
// stack, forged signals with a raw Temporal client. Needs the whole local stack (`airlock dev up`).
import type { Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCENARIOS } from '../../../cli/demo/scenarios';
import { connectClient } from '../../../infra/temporal/connection';
import { lockWorkflowId } from '../../../model/names';
import { lockGrantedSignal, lockReleaseSignal, lockStateQuery, supersededSignal } from '../../../workflows/messages';
import { E2eWorld, PIPELINE_TIMEOUT_MS, SERVICE, sleep, useE2eWorld } from '../../support/e2e-world';

const endpoint = SCENARIOS[1]!;
const PIPELINE = PIPELINE_TIMEOUT_MS + 60_000;
let world: E2eWorld;
let client: Client;
let unscanned: string; // an image no pipeline ever judged
let pipelineId: string;

useE2eWorld({ name: 'sidedoors' }, (w) => (world = w));
beforeAll(async () => {
  client = await connectClient(world.config.temporal);
}, 300_000);
afterAll(async () => client?.connection.close());

const deployArgs = (image: string, ...extra: string[]) => ['deploy', '--service-dir', world.repo.dir, '--env', world.environment, '--image', image, ...extra];

test('(1) airlock deploy of an image that never passed the gate: refused, exit 3, nothing deployed', () => {
  const build = world.cli(['build', '--service-dir', world.repo.dir, '--commit', world.repo.head(), '--json']);
  expect({ code: build.code, stderr: build.code === 0 ? '' : build.stderr }).toEqual({ code: 0, stderr: '' });
  unscanned = (JSON.parse(build.stdout) as { pinned: string }).pinned;
  const r = world.cli(deployArgs(unscanned, '--wait'), PIPELINE_TIMEOUT_MS);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 3, stderr: expect.stringContaining('does not verify: the build link is missing') });
}, PIPELINE);

test('(4) forged superseded, lockGranted and lockRelease (raw Temporal client): no effect on a pipeline holding the lock', async () => {
  // the policy this environment will be judged by also names a break-glass group (test 5)
  world.repo.edit('airlock.policy.yaml', (t) => `${t.replace('approverGroups:\n', `approverGroups:\n  oncall:\n    members:\n${oncallMembers()}\n`)}breakGlass: { group: oncall, approvals: 2 }\n`);
  world.repo.commit('policy: break-glass group');
  const head = world.repo.commit(endpoint.change(world.repo));
  pipelineId = world.pipelineId(head);
  expect(world.trigger().code).toBe(0);
  const waiting = await world.waitForState(pipelineId, (s) => s.stage === 'approval' || s.status !== 'RUNNING', 'waiting for approval');
  expect(waiting).toMatchObject({ status: 'RUNNING', stage: 'approval' });
  const runId = (await client.workflow.getHandle(pipelineId).describe()).runId;
  const lock = client.workflow.getHandle(lockWorkflowId(SERVICE, world.environment));
  await client.workflow.getHandle(pipelineId).signal(supersededSignal, { by: 'airlock/demo/attacker' });
  await client.workflow.getHandle(pipelineId).signal(lockGrantedSignal);
  await lock.signal(lockReleaseSignal, { pipelineId, runId });
  await sleep(3000);
  const after = await world.status(pipelineId);
  expect(after).toMatchObject({ status: 'RUNNING', stage: 'approval' });
  expect((await lock.query(lockStateQuery)).holder?.pipelineId).toBe(pipelineId);
}, PIPELINE);

test('the approved pipeline is promoted; airlock deploy of its image is accepted (it passed the gate)', async () => {
  // the change edits the policy (a gate file): high risk, alice (developers) and sam (security)
  for (const who of ['alice', 'sam']) expect(world.cli(['approve', pipelineId, '--as', who]).code).toBe(0);
  const done = await world.waitForState(pipelineId, (s) => s.status !== 'RUNNING', 'finished');
  expect(done.outcome).toMatchObject({ kind: 'promoted' });
  const r = world.cli(deployArgs(done.image!, '--wait'), PIPELINE_TIMEOUT_MS);
  // accepted: a release id of its own (from the digest), rolled out again under the lock
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0, stderr: expect.stringMatching(/\npromoted demo-/) });
}, PIPELINE);

test('(2) airlock rollback to a release never promoted in the environment: refused', () => {
  const r = world.cli(['rollback', '--service', SERVICE, '--env', world.environment, '--to', `${SERVICE}-${world.environment}-0123456789ab`]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('is not in the history');
}, PIPELINE);

test('(5) break-glass: 1 of 2 signatures refused (exit 3); 2 of 2 deployed and marked BREAK-GLASS with reason and signers', () => {
  const expires = new Date(Date.now() + 3600_000).toISOString();
  const reason = 'INC-7: checkout is down';
  const glass = (nonce: string) => ['--break-glass', '--reason', reason, '--nonce', nonce, '--expires', expires];
  const sign = (nonce: string, who: string) => {
    const r = world.cli([...deployArgs(unscanned), ...glass(nonce), '--sign-as', who]);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    const file = join(world.dir, `${nonce}-${who}.sig.json`);
    writeFileSync(file, r.stdout);
    return ['--signature', file];
  };
  const one = `one-${randomBytes(4).toString('hex')}`;
  const refused = world.cli([...deployArgs(unscanned), ...glass(one), ...sign(one, 'alice'), '--wait'], PIPELINE_TIMEOUT_MS);
  expect({ code: refused.code, stderr: refused.stderr }).toMatchObject({ code: 3, stderr: expect.stringContaining('break-glass needs 2 valid signatures of group oncall, got 1') });
  const two = `two-${randomBytes(4).toString('hex')}`;
  const ok = world.cli([...deployArgs(unscanned), ...glass(two), ...sign(two, 'alice'), ...sign(two, 'sam'), '--wait', '--json'], PIPELINE_TIMEOUT_MS);
  expect({ code: ok.code, stderr: ok.code === 0 ? '' : ok.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(ok.stdout)).toMatchObject({ outcome: { kind: 'promoted', gate: { kind: 'break-glass', reason, signers: ['alice', 'sam'], group: 'oncall' } } });
}, 2 * PIPELINE);

/** alice and sam (their keys from the world), as members of the oncall group. */
function oncallMembers(): string {
  return ['alice', 'sam'].map((id) => `      - { id: ${id}, publicKey: ${world.keys[id]} }`).join('\n');
}

// Attacks on signed decisions (issue 11, items 5, 6 (abort) and 13), on the real stack through the CLI
// and a raw Temporal client (anyone who reaches Temporal):
//  (5) a Temporal reset of an approved, promoted pipeline to just after the approval: the new run replays
//      the approval events without validators; it must not deploy a second time;
//  (1) an approval captured from a finished run of the same pipeline id, replayed against a new run with
//      the same image digest: refused;
//  (2) a signature in the old v1 format: refused, with how to re-sign;
//  (4) an unsigned `abort` signal: the pipeline carries on; a signed `airlock abort` still stops it.
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes } from '@noble/curves/utils';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { keyFile } from '../../../cli/keys';
import type { Timeline } from '../../../cli/history/timeline';
import { SCENARIOS } from '../../../cli/demo/scenarios';
import { connectClient } from '../../../infra/temporal/connection';
import { approvalMessageV1 } from '../../../model/approval';
import type { PipelineState } from '../../../model/pipeline';
import { approveUpdate } from '../../../workflows/messages';
import { E2eWorld, useE2eWorld, PIPELINE_TIMEOUT_MS, sleep } from '../../support/e2e-world';

let world: E2eWorld;
let client: Client;
useE2eWorld({ name: 'approvals' }, (w) => (world = w));
beforeAll(async () => {
  client = await connectClient(world.config.temporal);
});
afterAll(async () => client?.connection.close());

const PIPELINE = PIPELINE_TIMEOUT_MS + 60_000;
let id: string;
let firstRun: PipelineState;
let captured: { approver: string; signature: string };

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { cause?: { message?: string }; message?: string };
    return e.cause?.message ?? e.message ?? String(err);
  }
  return 'ACCEPTED';
}

async function describeRun(runId?: string) {
  return client.workflow.getHandle(id, runId).describe();
}

test(
  'setup: a medium change is approved by alice and promoted (run 1)',
  async () => {
    id = world.pipelineId(world.repo.commit(SCENARIOS[1]!.change(world.repo)));
    expect(world.trigger().code).toBe(0);
    await world.waitForState(id, (s) => s.stage === 'approval' || s.status !== 'RUNNING', 'waiting for approval');
    const approved = world.cli(['approve', id, '--as', 'alice', '--comment', 'run 1']);
    expect({ code: approved.code, stderr: approved.stderr }).toMatchObject({ code: 0 });
    firstRun = await world.waitForState(id, (s) => s.status !== 'RUNNING', 'finished');
    expect(firstRun.outcome).toMatchObject({ kind: 'promoted' });
    const d = firstRun.approval!.decisions.find((x) => x.approver === 'alice')!;
    captured = { approver: 'alice', signature: d.signature! };
  },
  PIPELINE,
);

test(
  '(5) a Temporal reset to the workflow task that took the approval does not deploy again',
  async () => {
    const before = await describeRun();
    const history = await client.workflow.getHandle(id, before.runId).fetchHistory();
    const events = history.events ?? [];
    const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'approve');
    expect(accepted).toBeGreaterThan(0);
    // the approval and the deploy it allowed were recorded by the same workflow task: reset to its completion;
    // Temporal re-applies the approve update to the new run (UpdateAdmitted)
    const at = events.slice(0, accepted).reverse().find((e) => e.workflowTaskCompletedEventAttributes)!;
    const reset = await client.workflowService.resetWorkflowExecution({
      namespace: world.config.temporal.namespace,
      workflowExecution: { workflowId: id, runId: before.runId },
      reason: 'attack: run the approved deploy again',
      workflowTaskFinishEventId: at.eventId,
      requestId: randomUUID(),
    });
    const newRun = reset.runId!;
    expect(newRun).not.toBe(before.runId);
    await sleep(15_000);
    const newHistory = await client.workflow.getHandle(id, newRun).fetchHistory();
    const deploys = (newHistory.events ?? []).filter((e) => Number(e.eventId) > Number(at.eventId) && e.activityTaskScheduledEventAttributes?.activityType?.name === 'deployCandidate');
    const state = await world.status(id);
    expect({ deploys: deploys.length, stage: state?.stage, decisions: state?.approval?.decisions }).toEqual({ deploys: 0, stage: 'approval', decisions: [] });
    // clean up: the reset run waits for a fresh approval; a signed abort ends it
    expect(world.cli(['abort', id, '--as', 'sam', '--reason', 'reset by the attack test']).code).toBe(0);
    await world.waitForState(id, (s) => s.status !== 'RUNNING', 'aborted');
  },
  PIPELINE,
);

describe('run 2 of the same pipeline id (the same commit triggered again, the same image)', () => {
  test(
    'run 2 waits for approval with the same image digest as run 1',
    async () => {
      // the environment goes back to its first release (run 1's release is rolled back), so the same commit
      // is again a change the environment does not run: run 2 judges the same range and waits for approval
      const back = world.cli(['rollback', '--service', 'demo', '--env', world.environment, '--reason', 'attack test: back to the first release']);
      expect({ code: back.code, stderr: back.stderr }).toMatchObject({ code: 0 });
      const ended = await describeRun();
      expect(world.trigger().code).toBe(0);
      expect((await describeRun()).runId).not.toBe(ended.runId);
      const s = await world.waitForState(id, (x) => x.status === 'RUNNING' && x.stage === 'approval', 'run 2 waiting for approval');
      expect(s.image).toBe(firstRun.image);
    },
    PIPELINE,
  );

  test('(1) alice\'s approval captured from run 1 is refused by run 2', async () => {
    const why = await refusal(client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [captured] }));
    expect(why).toMatch(/signature of "alice" does not verify over airlock-approval-v2 \{pipeline .*, run [0-9a-f-]+, .*signed for another run/);
  });

  test('(2) a v1 signature (pipeline, image, decision) is refused with how to re-sign', async () => {
    const key = readFileSync(keyFile(world.config.dirs.keys, 'alice'), 'utf8').trim();
    const message = approvalMessageV1({ pipelineId: id, imageDigest: firstRun.image!.split('@')[1]!, decision: 'approve' });
    const signature = bytesToHex(ed25519.sign(message, hexToBytes(key)));
    const why = await refusal(client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ approver: 'alice', signature }] }));
    expect(why).toContain('retired format airlock-approval-v1');
    expect(why).toContain(`\`airlock approve ${id} --as <identity>\``);
  });

  test('(4) an unsigned abort signal from a raw client is ignored; a signed `airlock abort` stops the pipeline', async () => {
    await client.workflow.getHandle(id).signal('abort', { by: 'alice', reason: 'forged: anyone who reaches Temporal' });
    await sleep(3000);
    const still = await world.status(id);
    expect(still).toMatchObject({ status: 'RUNNING', stage: 'approval', ignoredAborts: [expect.objectContaining({ reason: 'forged: anyone who reaches Temporal' })] });
    const r = world.cli(['abort', id, '--as', 'sam', '--reason', 'wrong branch']);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    const done = await world.waitForState(id, (s) => s.status !== 'RUNNING', 'aborted');
    expect(done.outcome).toEqual({ kind: 'failed', stage: 'approval', cause: { type: 'PipelineAborted', message: 'aborted by sam: wrong branch' } });
    const tl = JSON.parse(world.cli(['history', id, '--json']).stdout) as Timeline;
    expect(tl.decisions).toEqual([expect.objectContaining({ decision: 'abort', approver: 'sam', signature: 'verified' })]);
  }, PIPELINE);
});

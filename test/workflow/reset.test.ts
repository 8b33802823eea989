import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { input } from './support/fixtures';
import { startPipeline, useHarness, waitForStage, waitForState, withWorker, type Harness } from './support/harness';
import { mockActivities } from './support/mock-activities';
import { abort, approve } from './support/scenarios';

// Issue 11 item 13 (b): a Temporal reset of an approved pipeline must not deploy it a second time. The
// approval is signed over the run id; a reset starts a new run.

let h: Harness;
useHarness((x) => (h = x));

type Event = temporal.api.history.v1.IHistoryEvent;
const activity = (e: Event) => e.activityTaskScheduledEventAttributes?.activityType?.name;

async function resetTo(workflowId: string, runId: string, pick: (events: Event[], accepted: number) => Event | undefined): Promise<{ runId: string; at: number }> {
  const history = await h.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'approve');
  const at = pick(events, accepted)!;
  const r = await h.env.client.workflowService.resetWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId, runId },
    reason: 'attack: run the approved deploy again',
    workflowTaskFinishEventId: at.eventId,
    requestId: randomUUID(),
  });
  return { runId: r.runId!, at: Number(at.eventId) };
}

test('reset to the workflow task that took the approval: the new run does not deploy again', async () => {
  const mocks = mockActivities({ risk: 'medium' });
  await withWorker(h, mocks, 'reset-approval', async (taskQueue) => {
    const p = await startPipeline(h, taskQueue, input({ service: 'reset-approval' }));
    await waitForStage(p, 'approval');
    await approve(p, 'alice');
    expect((await p.result()).outcome).toMatchObject({ kind: 'promoted' });
    const deploysBefore = mocks.names().filter((n) => n === 'deployCandidate').length;
    // the task whose completion recorded the approval (and scheduled the deploy)
    const reset = await resetTo(p.workflowId, p.firstExecutionRunId, (events, accepted) =>
      events.slice(0, accepted).reverse().find((e) => e.workflowTaskCompletedEventAttributes),
    );
    const again = h.env.client.workflow.getHandle(p.workflowId, reset.runId);
    const state = await waitForState(again as never, (s) => s.stage === 'done' || (s.stage === 'approval' && (s.approval?.decisions.length ?? 0) === 0));
    const deploysAfter = mocks.names().filter((n) => n === 'deployCandidate').length;
    const history = await again.fetchHistory();
    expect({ deploys: deploysAfter - deploysBefore, scheduled: (history.events ?? []).filter((e) => Number(e.eventId) > reset.at && activity(e) === 'deployCandidate').length }).toEqual({
      deploys: 0,
      scheduled: 0,
    });
    // Temporal re-applied the approve update (UpdateAdmitted); its validator refused it: signed for the old run
    expect((history.events ?? []).some((e) => e.workflowExecutionUpdateAdmittedEventAttributes)).toBe(true);
    expect(state).toMatchObject({ stage: 'approval', approval: { decisions: [] } });
    if (state.stage !== 'done') await abort(again as never, 'sam', 'clean up after the reset');
    await again.result();
  });
});

test('reset to the first workflow task after the approval (the deploy already recorded): the new run goes no further', async () => {
  const mocks = mockActivities({ risk: 'medium' });
  await withWorker(h, mocks, 'reset-after', async (taskQueue) => {
    const p = await startPipeline(h, taskQueue, input({ service: 'reset-after' }));
    await waitForStage(p, 'approval');
    await approve(p, 'alice');
    expect((await p.result()).outcome).toMatchObject({ kind: 'promoted' });
    const n = mocks.names().length;
    const reset = await resetTo(p.workflowId, p.firstExecutionRunId, (events, accepted) => events.slice(accepted).find((e) => e.workflowTaskCompletedEventAttributes));
    const again = h.env.client.workflow.getHandle(p.workflowId, reset.runId);
    await new Promise((r) => setTimeout(r, 8000));
    const history = await again.fetchHistory();
    // replaying the kept events, the re-verification before deployCandidate now fails for the new run id: the
    // workflow task fails (nondeterminism), so the run stops where it is, failing closed; nothing more runs
    const failures = (history.events ?? []).map((e) => e.workflowTaskFailedEventAttributes?.failure?.message ?? '').filter((m) => m.includes('Nondeterminism'));
    expect({ activities: mocks.names().slice(n), stuck: failures.length > 0 }).toEqual({ activities: [], stuck: true });
    await again.terminate('test over');
  });
});

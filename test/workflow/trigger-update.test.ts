import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startPipelineOf, type TriggerDeps } from '../../cli/commands/trigger';
import { MAX_TRIGGER_ANSWERS, triggerUpdate } from '../../workflows';
import { input } from './support/fixtures';
import { startPipeline, useHarness, waitForStage, withWorker, type Harness } from './support/harness';
import { mockActivities } from './support/mock-activities';

// Issue 13: `airlock trigger --wait` starts the pipeline with Update-with-Start (one call: the start, the
// run id and its first state), and the read-only trigger Update cannot be used to grow a run's history.

let h: Harness;
useHarness((x) => (h = x));

const deps = (taskQueue: string): TriggerDeps => ({ env: {}, withClient: (fn) => fn(h.env.client, { temporal: { taskQueue } as never }) });

const { EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: UPDATE_ACCEPTED } = temporal.api.enums.v1.EventType;

/** The run's history event types. */
async function eventTypes(workflowId: string): Promise<number[]> {
  const history = await h.env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).map((e) => e.eventType ?? 0);
}

test('trigger --wait: one Update-with-Start call starts the run and answers with its state; the outcome follows', async () => {
  const mocks = mockActivities({ risk: 'low' });
  const inp = input({ service: 'uws' });
  const out: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await withWorker(h, mocks, 'uws', (taskQueue) => startPipelineOf(inp, { json: true, wait: true }, deps(taskQueue)));
  } finally {
    write.mockRestore();
    err.mockRestore();
  }
  const printed = JSON.parse(out.join('')) as { runId: string; attached: boolean; outcome: { kind: string }; pipelineId: string };
  expect(printed).toMatchObject({ attached: false, outcome: { kind: 'promoted' } });
  const handle = h.env.client.workflow.getHandle(printed.pipelineId);
  expect((await handle.describe()).runId).toBe(printed.runId);
  // the trigger Update was accepted and completed in the run's history (with its start: one run only)
  const types = await eventTypes(printed.pipelineId);
  expect(types.filter((t) => t === UPDATE_ACCEPTED)).toHaveLength(1);
});

test(`attack: the read-only trigger Update is refused after ${MAX_TRIGGER_ANSWERS} answers and then writes nothing to the history`, async () => {
  const mocks = mockActivities({ risk: 'medium' });
  await withWorker(h, mocks, 'uws-cap', async (taskQueue) => {
    const inp = input({ service: 'uws-cap' });
    const handle = await startPipeline(h, taskQueue, inp);
    await waitForStage(handle, 'approval');
    for (let i = 0; i < MAX_TRIGGER_ANSWERS; i++) expect((await handle.executeUpdate(triggerUpdate)).stage).toBe('approval');
    const before = (await eventTypes(handle.workflowId)).length;
    await expect(handle.executeUpdate(triggerUpdate)).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(handle.executeUpdate(triggerUpdate)).rejects.toThrow(WorkflowUpdateFailedError);
    expect((await eventTypes(handle.workflowId)).length).toBe(before);
    // and `trigger --wait` still attaches: its refused Update falls back to a plain start and the state query
    const said: string[] = [];
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (said.push(String(chunk)), true));
    try {
      const following = startPipelineOf(inp, { json: false, wait: true }, deps(taskQueue)).catch((e: unknown) => e);
      for (let i = 0; i < 200 && !said.some((l) => l.includes('waiting for 1 approval')); i++) await new Promise((r) => setTimeout(r, 50));
      expect(said.join('')).toContain(`attached to running pipeline ${handle.workflowId}`);
      expect(said.join('')).toContain('waiting for 1 approval');
      await handle.terminate('test done');
      expect(String(await following)).toMatch(/WorkflowFailedError: test done/);
    } finally {
      err.mockRestore();
    }
  });
});

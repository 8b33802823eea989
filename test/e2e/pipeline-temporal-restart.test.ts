// The Temporal dev server restarted while a pipeline waits for approval (its SQLite file keeps the
// state): the pipeline is still waiting afterwards, the approval is accepted and it completes, promoted;
// the `airlock trigger --wait` of a CI job that waited through the restart exits 0.
// Only Temporal is restarted (registry and Prometheus keep running for other users of the stack).
import { processDirs } from '../../infra/local/stack';
import { stopProcess } from '../../infra/local/processes';
import type { Timeline } from '../../cli/history/timeline';
import { SCENARIOS } from '../../cli/demo/scenarios';
import { airlock } from '../support/cli';
import { E2eWorld, useE2eWorld, PIPELINE_TIMEOUT_MS } from '../support/e2e-world';

let world: E2eWorld;

useE2eWorld({ name: 'restart' }, (w) => (world = w));

test(
  'a pipeline waiting for approval survives a Temporal restart, then is approved and promoted',
  async () => {
    const id = world.pipelineId(world.repo.commit(SCENARIOS[1]!.change(world.repo)));
    const started = world.trigger();
    expect({ code: started.code, stderr: started.stderr }).toMatchObject({ code: 0 });
    await world.waitForState(id, (s) => s.stage === 'approval' || s.status !== 'RUNNING', 'waiting for approval');
    // a CI job waits on it meanwhile: it must ride out the restart
    let attached: () => void = () => {};
    const attaching = new Promise<void>((resolve) => (attached = resolve));
    const ci = world.cliAsync(world.triggerArgs('--wait'), undefined, (stderr) => stderr.includes('waiting for 1 approval') && attached());
    await Promise.race([attaching, ci]);

    const stopped = await stopProcess(processDirs(world.config), 'temporal');
    if (!stopped) throw new Error('Temporal was not started by `airlock dev up` (an external server): this test restarts the local one');
    expect(airlock(['dev', 'status']).code).not.toBe(0);
    const up = airlock(['dev', 'up', '--skip-bootstrap']);
    expect({ code: up.code, stderr: up.stderr }).toMatchObject({ code: 0 });
    expect(up.stderr).toMatch(/temporal: started/);

    // the worker reconnects on its own (the SDK retries polls); it is the same process as before
    const waiting = await world.waitForState(id, () => true, 'queryable', 120_000);
    expect(waiting).toMatchObject({ status: 'RUNNING', stage: 'approval', approval: { needed: 1, decisions: [] } });
    expect(world.worker!.alive).toBe(true);

    const approved = world.cli(['approve', id, '--as', 'alice', '--comment', 'after the restart']);
    expect({ code: approved.code, stderr: approved.stderr }).toMatchObject({ code: 0 });
    expect(approved.stdout).toBe('approve by alice accepted (1/1 approvals)\n');

    const r = await ci;
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stderr).toContain(`attached to running pipeline ${id}`);
    expect(r.stderr).toMatch(/outcome: promoted/);

    const tl = JSON.parse(world.cli(['history', id, '--json']).stdout) as Timeline;
    expect(tl.decisions).toEqual([expect.objectContaining({ approver: 'alice', signature: 'verified', comment: 'after the restart' })]);
  },
  2 * PIPELINE_TIMEOUT_MS,
);

// Issue 11 item 13 (a): `airlock dev up` runs the Temporal dev server headless and, beside it, the standalone
// Temporal UI server with every write action disabled (infra/local/stack.ts temporalArgs, temporalUiProcess).
// A second dev server and UI on free ports, in a temp home; the shared stack is not touched.
// The attack: through the UI's HTTP API, terminate / signal / cancel / reset / update / start a workflow, or run a
// batch, without going through the gate. Each must get 405 and the workflow must still be running, untouched.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, WorkflowClient } from '@temporalio/client';
import { loadConfig, type AirlockConfig } from '../../infra/config';
import { probeTemporalUi } from '../../infra/local/probes';
import { temporalArgs, temporalUiProcess } from '../../infra/local/stack';
import { resolveTool } from '../../infra/local/tools';
import { freePort } from '../support/ports';

const home = mkdtempSync(join(tmpdir(), 'airlock-temporal-ui-'));
const children: ChildProcess[] = [];
let connection: Connection | undefined;
afterAll(async () => {
  await connection?.close();
  for (const c of children) c.kill();
  rmSync(home, { recursive: true, force: true });
});

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

let config: AirlockConfig;
let ui: string;
let port: number;

beforeAll(async () => {
  port = await freePort();
  const uiPort = await freePort();
  const installed = loadConfig(process.env);
  // the installed binaries (cache or AIRLOCK_*_BIN); resolveTool throws with how to build them when missing
  config = loadConfig({ ...process.env, HOME: home, AIRLOCK_HOME: join(home, 'airlock'), AIRLOCK_CACHE: installed.cache, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, AIRLOCK_TEMPORAL_UI_PORT: String(uiPort), AIRLOCK_TEMPORAL_UI: '' });
  const temporal = resolveTool(config, 'temporal');
  const uiProc = temporalUiProcess(config); // writes the UI config under the temp home
  mkdirSync(join(config.home, 'temporal'), { recursive: true });
  children.push(spawn(temporal, temporalArgs(config), { stdio: 'ignore' }));
  await until(`the dev server did not listen on ${port}`, () => accepts(port));
  children.push(spawn(uiProc.command, uiProc.args, { stdio: 'ignore' }));
  ui = `http://127.0.0.1:${uiPort}`;
  await until(`the UI server did not answer on ${ui} (${uiProc.command} ${uiProc.args.join(' ')})`, () =>
    fetch(`${ui}/api/v1/settings`).then((r) => r.ok, () => false),
  );
});

test('the dev server itself has no UI (headless), only the read-only UI server answers', async () => {
  expect(await accepts(port + 1000)).toBe(false); // the dev server's default UI port
  expect((await fetch(`${ui}/`)).status).toBe(200); // the UI page
});

test('the UI reports every write action disabled, and dev status says so', async () => {
  const settings = (await (await fetch(`${ui}/api/v1/settings`)).json()) as Record<string, unknown>;
  expect(settings).toMatchObject({
    DisableWriteActions: true,
    WorkflowTerminateDisabled: true,
    WorkflowCancelDisabled: true,
    WorkflowSignalDisabled: true,
    WorkflowUpdateDisabled: true,
    WorkflowResetDisabled: true,
    BatchActionsDisabled: true,
    StartWorkflowDisabled: true,
    ActivityCommandsDisabled: true,
  });
  expect(await probeTemporalUi(config)).toMatchObject({ name: 'temporal-ui', ok: true, detail: 'read-only' });
});

test('attack: terminate, signal, cancel, reset, update, start and batch through the UI API all get 405; the workflow runs on', async () => {
  connection = await Connection.connect({ address: config.temporal.address });
  const client = new WorkflowClient({ connection, namespace: config.temporal.namespace });
  const id = `ui-attack-${Date.now()}`;
  const handle = await client.start('deploy', { taskQueue: 'nobody-polls-this', workflowId: id, args: [] });
  const ns = `${ui}/api/v1/namespaces/${config.temporal.namespace}`;
  // Any Authorization header skips the UI server's CSRF check (ui-server server/csrf/skipper.go) when it runs
  // without auth, as locally: a plain curl reaches the API handlers. Only disableWriteActions stands between.
  const post = (path: string, body: unknown) =>
    fetch(`${ns}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer anything' }, body: JSON.stringify(body) }).then((r) => r.status);
  const statuses = {
    terminate: await post(`/workflows/${id}/terminate`, { reason: 'around the gate' }),
    signal: await post(`/workflows/${id}/signal/approve`, { input: { payloads: [] } }),
    cancel: await post(`/workflows/${id}/cancel`, {}),
    reset: await post(`/workflows/${id}/reset`, { workflowExecution: { runId: handle.firstExecutionRunId }, workflowTaskFinishEventId: '2', reason: 'x' }),
    update: await post(`/workflows/${id}/update/approve`, { request: { input: { name: 'approve' } } }),
    start: await post(`/workflows/${id}-forged`, { workflowType: { name: 'deploy' }, taskQueue: { name: 'airlock' } }),
    batch: await post(`/batch-operations/b-${id}`, { visibilityQuery: `WorkflowId = '${id}'`, terminationOperation: {}, reason: 'x' }),
  };
  expect(statuses).toEqual({ terminate: 405, signal: 405, cancel: 405, reset: 405, update: 405, start: 405, batch: 405 });
  const d = await handle.describe();
  expect(d.status.name).toBe('RUNNING');
  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.filter((e) => e.workflowExecutionSignaledEventAttributes || e.workflowExecutionCancelRequestedEventAttributes)).toEqual([]);
  await expect(client.getHandle(`${id}-forged`).describe()).rejects.toThrow();
  await handle.terminate('test cleanup');
});

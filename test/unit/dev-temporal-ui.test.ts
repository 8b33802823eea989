// Issue 11 item 13 (a): `airlock dev up` runs the Temporal dev server headless and the standalone Temporal UI
// server beside it with every write action disabled; AIRLOCK_TEMPORAL_UI=off runs no UI. No writable mode.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../infra/config';
import { probeTemporalUi } from '../../infra/local/probes';
import { servicesToStart, temporalArgs, temporalUiArgs, temporalUiConfig, TEMPORAL_UI_WRITE_SWITCHES } from '../../infra/local/stack';

test('the dev server is always headless: its built-in UI cannot be made read-only', () => {
  for (const ui of ['', 'off', 'read-only']) {
    const args = temporalArgs(loadConfig({ HOME: '/h', AIRLOCK_TEMPORAL_UI: ui }));
    expect(args).toContain('--headless');
    expect(args).not.toContain('--ui-port');
  }
});

test('the dev server dispatches activities eagerly (issue 13: one matching round trip less per activity)', () => {
  const args = temporalArgs(loadConfig({ HOME: '/h' }));
  const i = args.indexOf('system.enableActivityEagerExecution=true');
  expect(args[i - 1]).toBe('--dynamic-config-value');
});

test('the dev server hands tasks to matching without the transfer queue\'s 20-polls-a-second wait (issue 13: ~35 ms per task)', () => {
  const args = temporalArgs(loadConfig({ HOME: '/h' }));
  const i = args.indexOf('history.transferProcessorMaxPollRPS=1000');
  expect(i).toBeGreaterThan(0);
  expect(args[i - 1]).toBe('--dynamic-config-value');
});

test('by default dev up starts the read-only UI server after Temporal', () => {
  expect(servicesToStart(loadConfig({ HOME: '/h' }))).toEqual(['temporal', 'temporal-ui', 'registry', 'prometheus']);
  expect(servicesToStart(loadConfig({ HOME: '/h', AIRLOCK_TEMPORAL_UI: 'off' }))).toEqual(['temporal', 'registry', 'prometheus']);
});

test('the UI config: loopback, AIRLOCK_TEMPORAL_UI_PORT, the Temporal address, write actions and every switch off', () => {
  const config = loadConfig({ HOME: '/h', TEMPORAL_ADDRESS: '127.0.0.1:7299', TEMPORAL_NAMESPACE: 'ns1', AIRLOCK_TEMPORAL_UI_PORT: '9000' });
  expect(temporalUiConfig(config)).toEqual({
    temporalGrpcAddress: '127.0.0.1:7299',
    host: '127.0.0.1',
    port: 9000,
    enableUi: true,
    defaultNamespace: 'ns1',
    notifyOnNewVersion: false,
    disableWriteActions: true,
    workflowTerminateDisabled: true,
    workflowCancelDisabled: true,
    workflowSignalDisabled: true,
    workflowUpdateDisabled: true,
    workflowResetDisabled: true,
    batchActionsDisabled: true,
    startWorkflowDisabled: true,
    activityCommandsDisabled: true,
  });
  expect(TEMPORAL_UI_WRITE_SWITCHES).toHaveLength(8);
  expect(temporalUiArgs(config)).toEqual(['--root', '/h/.local/state/airlock/temporal-ui', '--config', 'config', '--env', 'airlock', 'start']);
});

test('there is no writable UI: `on`, `writable` and anything else are bad input', () => {
  for (const ui of ['on', 'writable', 'yes']) expect(() => loadConfig({ HOME: '/h', AIRLOCK_TEMPORAL_UI: ui })).toThrow(/AIRLOCK_TEMPORAL_UI/);
});

describe('probeTemporalUi: a UI with any write action on is not ok', () => {
  const serve = (settings: Record<string, unknown>): Promise<[Server, number]> =>
    new Promise((resolve) => {
      const server = createServer((_req, res) => res.end(JSON.stringify(settings)));
      server.listen(0, '127.0.0.1', () => resolve([server, (server.address() as AddressInfo).port]));
    });
  const readOnly = Object.fromEntries(['DisableWriteActions', 'WorkflowTerminateDisabled', 'WorkflowCancelDisabled', 'WorkflowSignalDisabled', 'WorkflowUpdateDisabled', 'WorkflowResetDisabled', 'BatchActionsDisabled', 'StartWorkflowDisabled', 'ActivityCommandsDisabled'].map((k) => [k, true]));
  const probe = async (settings: Record<string, unknown>) => {
    const [server, port] = await serve(settings);
    try {
      return await probeTemporalUi(loadConfig({ HOME: '/h', AIRLOCK_TEMPORAL_UI_PORT: String(port) }));
    } finally {
      server.close();
    }
  };

  test('every switch true: ok, read-only', async () => {
    expect(await probe({ ...readOnly, Version: '2.42.1' })).toMatchObject({ ok: true, version: '2.42.1', detail: 'read-only' });
  });
  test("the dev server's own UI (all false): not ok, naming the switches", async () => {
    const s = await probe(Object.fromEntries(Object.keys(readOnly).map((k) => [k, false])));
    expect(s.ok).toBe(false);
    expect(s.detail).toMatch(/write actions on \(DisableWriteActions, WorkflowTerminateDisabled/);
  });
  test('one switch off or missing: not ok', async () => {
    expect((await probe({ ...readOnly, WorkflowResetDisabled: false })).detail).toMatch(/\(WorkflowResetDisabled not true\)/);
    const { ActivityCommandsDisabled: _, ...missing } = readOnly;
    expect((await probe(missing)).ok).toBe(false);
  });
  test('AIRLOCK_TEMPORAL_UI=off: nothing to probe', async () => {
    expect(await probeTemporalUi(loadConfig({ HOME: '/h', AIRLOCK_TEMPORAL_UI: 'off' }))).toMatchObject({ ok: true });
  });
});

// Issue 11 item 13 (a): the dev server `airlock dev up` starts (infra/local/stack.ts temporalArgs) serves
// gRPC and no web UI. A second dev server on free ports, in a temp home; the shared stack is not touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../infra/config';
import { temporalArgs } from '../../infra/local/stack';
import { resolveTool } from '../../infra/local/tools';
import { freePort } from '../support/ports';

const home = mkdtempSync(join(tmpdir(), 'airlock-headless-'));
let server: ChildProcess | undefined;
afterAll(() => {
  server?.kill();
  rmSync(home, { recursive: true, force: true });
});

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

test('dev up\'s Temporal serves gRPC and has no UI to reset, signal or terminate from', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const config = loadConfig({ ...process.env, HOME: home, AIRLOCK_HOME: join(home, 'airlock'), TEMPORAL_ADDRESS: `127.0.0.1:${port}`, AIRLOCK_TEMPORAL_UI_PORT: String(uiPort), AIRLOCK_TEMPORAL_UI: '' });
  mkdirSync(join(config.home, 'temporal'), { recursive: true });
  const temporal = resolveTool(loadConfig(process.env), 'temporal'); // the installed binary; throws with how to install it when missing
  server = spawn(temporal, temporalArgs(config), { stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) throw new Error(`the dev server did not listen on ${port} within 60 s (args: ${temporalArgs(config).join(' ')})`);
    await new Promise((r) => setTimeout(r, 300));
  }
  await new Promise((r) => setTimeout(r, 2000)); // the UI, if any, starts next to the frontend
  expect({ ui: await accepts(uiPort), defaultUi: await accepts(port + 1000) }).toEqual({ ui: false, defaultUi: false });
});

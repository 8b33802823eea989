// `airlock dev up | status | down` as a user runs them, against the real local stack.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { connectClient } from '../../infra/temporal/connection';
import { loadConfig } from '../../infra/config';
import type { ComponentStatus } from '../../infra/local/probes';
import { airlock } from '../support/cli';

const config = loadConfig();
const pidOf = (name: string) => readFileSync(join(config.dirs.run, `${name}.pid`), 'utf8').trim();

test('dev status --json reports every component ok', () => {
  const r = airlock(['dev', 'status', '--json']);
  const status = JSON.parse(r.stdout) as ComponentStatus[];
  expect(status.map((s) => s.name)).toEqual(['docker', 'registry', 'temporal', 'temporal-ui', 'prometheus', 'pulumi', 'trivy', 'base-image', 'router-image']);
  expect(status.filter((s) => !s.ok)).toEqual([]);
  expect(r.code).toBe(0);
});

test('a second dev up restarts nothing', () => {
  const before = ['temporal', 'prometheus'].map(pidOf);
  const started = Date.now();
  const r = airlock(['dev', 'up']);
  const seconds = (Date.now() - started) / 1000;
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/temporal: already-running/);
  expect(['temporal', 'prometheus'].map(pidOf)).toEqual(before);
  process.stderr.write(`warm dev up took ${seconds.toFixed(1)}s\n`);
});

test('dev down then dev up keeps Temporal state', async () => {
  const workflowId = `dev-stack-test/${randomUUID()}`;
  let client = await connectClient(config.temporal);
  // Nothing polls this queue: the workflow stays open across the restart.
  await client.workflow.start('neverRuns', { taskQueue: `nobody-${randomUUID()}`, workflowId });
  await client.connection.close();

  const down = airlock(['dev', 'down']);
  expect(down.code).toBe(0);
  expect(down.stderr).toMatch(/temporal: stopped/);
  expect(airlock(['dev', 'status']).code).not.toBe(0);

  const up = airlock(['dev', 'up', '--skip-bootstrap']);
  expect(up.code).toBe(0);
  client = await connectClient(config.temporal);
  try {
    const handle = client.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test done');
  } finally {
    await client.connection.close();
  }
});

test('a bad config value is a one-line error naming the variable, exit 2', () => {
  const r = airlock(['dev', 'status'], { TEMPORAL_ADDRESS: 'nope' });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/TEMPORAL_ADDRESS: expected host:port/);
});

test('an unknown subcommand or flag is exit 2', () => {
  expect(airlock(['dev', 'sideways']).code).toBe(2);
  const r = airlock(['dev', 'status', '--bogus']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/Unknown option '--bogus'/);
});

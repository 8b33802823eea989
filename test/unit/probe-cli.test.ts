import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { runMain } from '../support/cli-main';

// `airlock probe` as a user runs it, against the demo service started from examples/ (no Docker needed).

const DEMO_SERVICE = join(__dirname, '..', '..', 'examples', 'demo-service');

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function startDemo(fault: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['server.js'], { cwd: DEMO_SERVICE, env: { PATH: process.env.PATH, PORT: String(port), DEMO_FAULT: fault, DEMO_TOKEN: 'demo-secret' }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  child.stdout!.resume();
  return { url: `http://127.0.0.1:${port}`, child };
}

describe('airlock probe', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.kill()));

  it('passes the demo service (exit 0) and reports TLS as not served', async () => {
    const { url, child } = await startDemo('none');
    children.push(child);
    const r = await runMain(['probe', '--service-dir', DEMO_SERVICE, '--url', url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/authentication\s+verified/);
    expect(r.stdout).toMatch(/encryption_in_transit\s+not-served/);
    expect(r.stdout.trimEnd().endsWith('passed')).toBe(true);
  });

  it('exits 3 naming the endpoint whose auth check was dropped', async () => {
    const { url, child } = await startDemo('no-auth');
    children.push(child);
    const r = await runMain(['probe', '--service-dir', DEMO_SERVICE, '--url', url, '--json']);
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout);
    expect(report.passed).toBe(false);
    expect(report.findings[0]).toMatchObject({ check: 'authentication', endpoint: 'GET /api/entries', blocking: true });
  });

  it('exits 3 on a stack trace for bad JSON', async () => {
    const { url, child } = await startDemo('stack-trace');
    children.push(child);
    const r = await runMain(['probe', '--service-dir', DEMO_SERVICE, '--url', url]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/BLOCKING\s+error_handling\s+POST \/api\/entries\s+a JavaScript stack trace/);
  });

  it('refuses a non-loopback URL and a service without a declared surface (exit 2)', async () => {
    const far = await runMain(['probe', '--service-dir', DEMO_SERVICE, '--url', 'http://192.0.2.10:8080']);
    expect(far.code).toBe(2);
    expect(far.stderr).toContain('only goes to loopback addresses, not 192.0.2.10');
    const none = await runMain(['probe', '--service-dir', join(__dirname, '..', 'fixtures'), '--url', 'http://127.0.0.1:1']);
    expect(none.code).toBe(2);
    const bad = await runMain(['probe', '--service-dir', DEMO_SERVICE, '--url', 'ftp://127.0.0.1/']);
    expect(bad.code).toBe(2);
  });
});

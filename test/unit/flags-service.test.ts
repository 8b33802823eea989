import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServed, kill, setShare } from '../../activities/flags/store';
import { vendorDemoDependencies } from '../../cli/demo/vendor';
import { projectRoot } from '../../infra/local/tools';
import { variantAt, type FlagDefinition } from '../../model/flags';

// The demo service with the real OpenFeature SDK and flagd provider (in-process, file source), vendored the
// way the demo's image gets them, driven by airlock's flag store: how fast a change reaches the instance,
// sticky buckets across steps, and the per-variant counters the analysis reads.
// The packages come from airlock's node_modules (AIRLOCK_VENDOR_FROM: another node_modules directory).

jest.setTimeout(60_000);

const root = projectRoot();
const work = mkdtempSync(join(tmpdir(), 'airlock-flag-service-'));
const serviceDir = join(work, 'svc');
const flagsDir = join(work, 'flags');
const port = 20000 + (process.pid % 5000);
const def: FlagDefinition = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' };
let child: ChildProcess | undefined;

function get(path: string, user: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { 'x-user-id': user } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

beforeAll(async () => {
  cpSync(join(root, 'examples', 'demo-service'), serviceDir, { recursive: true });
  vendorDemoDependencies(serviceDir, process.env.AIRLOCK_VENDOR_FROM ?? join(root, 'node_modules'));
  await ensureServed(flagsDir);
  child = spawn(process.execPath, ['server.js'], { cwd: serviceDir, env: { PATH: process.env.PATH, PORT: String(port), AIRLOCK_FLAGS_FILE: join(flagsDir, 'flags.json') }, stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await get('/healthz', 'x').then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the demo service did not start');
});
afterAll(() => child?.kill());

const isNew = (body: string) => body.includes('"new"') || body.includes('new flow');

async function msUntil(check: () => Promise<boolean>): Promise<number> {
  const t = Date.now();
  while (!(await check())) {
    if (Date.now() - t > 10_000) throw new Error('no switch within 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - t;
}

test('a share set and a kill reach the instance well within 2 s', async () => {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    await setShare({ dir: flagsDir, flag: 'new-checkout', definition: def, share: 100, workflowId: `w${i}`, fresh: true });
    times.push(await msUntil(async () => isNew((await get('/checkout', 'u1')).body)));
    await kill({ dir: flagsDir, flag: 'new-checkout', by: 'alice', reason: 'test', workflowId: `k${i}` });
    times.push(await msUntil(async () => !isNew((await get('/checkout', 'u1')).body)));
  }
  // the provider alone polls every 5 s; the service's 100 ms watcher brings it to a few hundred ms
  expect(Math.max(...times)).toBeLessThan(2000);
});

test('users keep their bucket across steps (same user id, same variant), about share% are on', async () => {
  const users = Array.from({ length: 300 }, (_, i) => `user-${i}`);
  const onAt = async (share: number): Promise<Set<string>> => {
    await setShare({ dir: flagsDir, flag: 'new-greeting', definition: def, share, workflowId: 'sticky', fresh: share === 5 });
    await new Promise((r) => setTimeout(r, 500));
    const on = new Set<string>();
    for (const u of users) if ((await get('/', u)).body.includes('new greeting')) on.add(u);
    return on;
  };
  const at5 = await onAt(5);
  const at25 = await onAt(25);
  // airlock computes the same buckets as the provider (its own view of which variant a user gets)
  for (const u of users) expect({ u, on: at25.has(u) }).toEqual({ u, on: variantAt('new-greeting', u, 25) === 'on' });
  const at50 = await onAt(50);
  for (const u of at5) expect(at25.has(u)).toBe(true);
  for (const u of at25) expect(at50.has(u)).toBe(true);
  expect(at25.size).toBeGreaterThan(40);
  expect(at25.size).toBeLessThan(110);
  expect(at50.size).toBeGreaterThan(110);
  expect(at50.size).toBeLessThan(190);
});

test('/metrics counts answers by flag, variant and status code (the new checkout fails one in five)', async () => {
  await setShare({ dir: flagsDir, flag: 'new-checkout', definition: def, share: 100, workflowId: 'm', fresh: true });
  await msUntil(async () => isNew((await get('/checkout', 'u1')).body));
  for (let i = 0; i < 50; i++) await get('/checkout', `m-${i}`);
  const metrics = (await get('/metrics', 'x')).body;
  const count = (labels: string) => Number(new RegExp(`flag_requests_total\\{${labels}\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  expect(count('flag="new-checkout",variant="on",code="500"')).toBeGreaterThanOrEqual(10);
  expect(count('flag="new-checkout",variant="on",code="200"')).toBeGreaterThanOrEqual(40);
  expect(count('flag="new-checkout",variant="off",code="200"')).toBeGreaterThan(0);
});

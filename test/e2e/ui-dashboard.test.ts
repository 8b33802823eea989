// The dashboard (`airlock ui`) in headless Chromium against the real stack and a real worker: the list
// shows a running pipeline and follows it without a reload; on its page the author's approval and a wrong
// key are refused with the validator's words; an approver's key, loaded in the page, signs an approval
// that lets the pipeline proceed to promotion; and no request ever carries a private key.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import type { BrowserContext, Page } from 'playwright-core';
import { SCENARIOS } from '../../cli/demo/scenarios';
import { keyFile } from '../../cli/keys';
import { allowedHosts, createUiApp } from '../../cli/ui';
import { connectClient } from '../../infra/temporal/connection';
import { launchChromium } from '../support/browser';
import { E2eWorld, PIPELINE_TIMEOUT_MS, useE2eWorld } from '../support/e2e-world';
import { freePort } from '../support/ports';

const endpoint = SCENARIOS[1]!;
const OUT = join(__dirname, '..', '..', 'test-output', 'ui-dashboard');
const DOCS = join(__dirname, '..', '..', 'docs', 'ui');
const PIPELINE = PIPELINE_TIMEOUT_MS + 60_000;

let world: E2eWorld;
let client: Client;
let server: ServerType;
let base: string;
let browser: { context: BrowserContext; close: () => Promise<void> };
let list: Page;
let id: string;
/** Every request the browser sent: URL, method and body. */
const requests: { url: string; method: string; body: string }[] = [];
const wrongKeyDir = () => join(world.dir, 'wrong-key');

useE2eWorld({ name: 'ui', authorIsDeveloper: true }, (w) => (world = w));

beforeAll(async () => {
  client = await connectClient(world.config.temporal);
  const port = await freePort();
  server = serve({ fetch: createUiApp({ client, hosts: allowedHosts('127.0.0.1', port) }).fetch, port, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${(await new Promise<AddressInfo>((r) => server.once('listening', () => r(server.address() as AddressInfo)))).port}`;
  browser = await launchChromium();
  browser.context.on('request', (req) => requests.push({ url: req.url(), method: req.method(), body: req.postData() ?? '' }));
  mkdirSync(OUT, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
  await client?.connection.close();
});

/** Desktop and phone screenshots of `path`, saved in the test output (and the docs' copies refreshed). */
async function screenshots(path: string, name: string, ready: (p: Page) => Promise<unknown>): Promise<void> {
  for (const [size, viewport] of [
    ['desktop', { width: 1280, height: 800 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewport);
    await page.goto(`${base}${path}`);
    await ready(page);
    // nothing wider than the screen: a phone user scrolls tables, never the page
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
    const file = join(OUT, `${name}-${size}.png`);
    await page.screenshot({ path: file, fullPage: true });
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, join(DOCS, `${name}-${size}.png`));
    await page.close();
  }
}

const stageCell = (p: Page) => p.locator(`tr[data-pipeline="${id}"] td:nth-child(4)`);

test('the list shows the running pipeline and follows it without a reload', async () => {
  list = await browser.context.newPage();
  const response = await list.goto(`${base}/?env=${world.environment}`);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  expect(response?.headers()['x-frame-options']).toBe('DENY');
  let navigations = 0;
  list.on('framenavigated', () => (navigations += 1));
  id = world.pipelineId(world.repo.commit(endpoint.change(world.repo)));
  const started = await world.cliAsync(world.triggerArgs());
  expect({ code: started.code, stderr: started.stderr }).toMatchObject({ code: 0 });
  const seen: string[] = [];
  const deadline = Date.now() + PIPELINE_TIMEOUT_MS;
  while (seen.at(-1) !== 'awaiting approval') {
    if (Date.now() > deadline) throw new Error(`stages seen in the list: ${seen.join(', ')}`);
    const text = (await stageCell(list).count()) ? (await stageCell(list).innerText()).trim() : '';
    if (text && text !== seen.at(-1)) seen.push(text);
    await list.waitForTimeout(250);
  }
  expect(seen.length).toBeGreaterThanOrEqual(2); // it moved on the screen
  expect(navigations).toBe(0);
  await expect(list.locator(`tr[data-pipeline="${id}"]`).innerText()).resolves.toMatch(/medium/);
  await screenshots(`/?env=${world.environment}`, 'pipelines', (p) => p.locator(`tr[data-pipeline="${id}"]`).waitFor());
}, PIPELINE);

describe('deciding on the pipeline page', () => {
  let page: Page;
  const result = () => page.locator('#decide-result');

  async function decide(file: string, approver: string, button: 'Approve' | 'Reject', comment = ''): Promise<string> {
    // the status line says when this key (not the one loaded before) is ready
    await page.locator('#key-status').evaluate((el) => ((el.textContent = ''), (el.className = '')));
    await page.getByLabel('Key file').setInputFiles(file);
    await page.locator('#key-status.ok').waitFor();
    await page.getByLabel('Approver id').fill(approver);
    await page.getByLabel(/^Comment/).fill(comment);
    await result().evaluate((el) => (el.textContent = ''));
    await page.getByRole('button', { name: button }).click();
    await page.locator('#decide-result:not(:empty)').waitFor({ timeout: 60_000 });
    return (await result().innerText()).trim();
  }

  beforeAll(async () => {
    page = await browser.context.newPage();
    await page.goto(`${base}/pipeline?id=${encodeURIComponent(id)}`);
  });

  test('the page shows the waiting pipeline: risk reasons, findings, policy verdict, the controls', async () => {
    await expect(page.locator('#live .waiting').innerText()).resolves.toMatch(/waiting for 1 approval/);
    const text = await page.locator('#live').innerText();
    expect(text).toMatch(/Risk: medium/);
    expect(text).toMatch(/vulnerabilities:/);
    expect(text).toMatch(/Policy: allowed/);
    await expect(page.getByRole('button', { name: 'Approve' }).isEnabled()).resolves.toBe(true);
    await screenshots(`/pipeline?id=${encodeURIComponent(id)}`, 'pipeline-waiting', (p) => p.locator('#live .waiting').waitFor());
  }, 120_000);

  test("the author's approval is refused with the validator's message", async () => {
    const said = await decide(keyFile(world.config.dirs.keys, 'dana@example.com'), 'dana@example.com', 'Approve');
    expect(said).toBe('approve refused: "dana@example.com" is an author of this change and cannot approve it');
    await expect(result().getAttribute('class')).resolves.toBe('bad');
  }, 120_000);

  test('a wrong key is refused: the signature does not verify', async () => {
    mkdirSync(wrongKeyDir(), { recursive: true });
    const wrong = join(wrongKeyDir(), 'alice.ed25519');
    writeFileSync(wrong, `${randomBytes(32).toString('hex')}\n`);
    const said = await decide(wrong, 'alice', 'Approve');
    expect(said).toMatch(/^approve refused: signature of "alice" does not verify over airlock-approval-v2 \{pipeline /);
  }, 120_000);

  test('an approver loads their key and approves: the pipeline proceeds to promotion', async () => {
    const said = await decide(keyFile(world.config.dirs.keys, 'alice'), 'alice', 'Approve', 'approved in the dashboard');
    expect(said).toBe('approve by alice accepted (1/1 approvals)');
    await page.locator('#live .outcome-promoted').waitFor({ timeout: PIPELINE_TIMEOUT_MS });
    const text = await page.locator('#live').innerText();
    expect(text).toMatch(/approve by alice \(developers\) .*signature verified: “approved in the dashboard”/);
    expect(text).toMatch(/Canary analysis/);
    await expect(page.locator('#decide').isHidden()).resolves.toBe(true);
    // the list, open all along, shows the outcome too
    await list.locator(`tr[data-pipeline="${id}"] .outcome-promoted`).waitFor({ timeout: 60_000 });
    await screenshots(`/pipeline?id=${encodeURIComponent(id)}`, 'pipeline-promoted', (p) => p.locator('#live .outcome-promoted').waitFor());
  }, PIPELINE);
});

test('releases: what the environment runs, and its pipelines', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${base}/releases?env=${world.environment}`);
  const section = page.locator('section.env', { hasText: world.environment });
  await expect(section.innerText()).resolves.toMatch(/runs 127\.0\.0\.1:5000\/demo@sha256:[0-9a-f]{64}/);
  await page.close();
  await screenshots(`/releases?env=${world.environment}`, 'releases', (p) => p.locator('section.env').first().waitFor());
}, 120_000);

test('metrics: the DORA and security numbers of airlock metrics, charted over time', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${base}/metrics?env=${world.environment}&days=7`);
  const text = await page.locator('main').innerText();
  expect(text).toMatch(/\b[2-9]\d* pipelines \(.*promoted [2-9]/); // the first release and the approved change
  expect(await page.locator('figure.chart svg').count()).toBe(6);
  await page.close();
  await screenshots(`/metrics?env=${world.environment}&days=7`, 'metrics', (p) => p.locator('figure.chart').first().waitFor());
}, 120_000);

test('no request carries a private key: only signatures go on the wire', () => {
  const secrets = [
    ...['alice', 'dana@example.com', 'sam'].map((who) => readFileSync(keyFile(world.config.dirs.keys, who), 'utf8').trim()),
    readFileSync(join(wrongKeyDir(), 'alice.ed25519'), 'utf8').trim(),
  ];
  const forms = secrets.flatMap((hex) => {
    const bytes = Buffer.from(hex, 'hex');
    return [hex, hex.toUpperCase(), bytes.toString('base64'), bytes.toString('base64url'), `302e020100300506032b657004220420${hex}`, Buffer.from(`302e020100300506032b657004220420${hex}`, 'hex').toString('base64')];
  });
  const decisions = requests.filter((r) => r.method === 'POST');
  expect(decisions.length).toBe(3);
  for (const r of requests) for (const f of forms) expect(`${r.url}\n${r.body}`).not.toContain(f);
  for (const r of decisions) expect(Object.keys(JSON.parse(r.body) as object).sort()).toEqual(expect.arrayContaining(['approver', 'decision', 'pipelineId', 'signature']));
  for (const r of decisions) expect(Object.keys(JSON.parse(r.body) as object).every((k) => ['approver', 'decision', 'pipelineId', 'signature', 'comment'].includes(k))).toBe(true);
});

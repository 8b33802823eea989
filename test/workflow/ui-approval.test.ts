// Decisions signed in the dashboard, on the real dev server with mocked activities: the page signs with
// the key file it is given (WebCrypto, in headless Chromium), the server forwards the signature as the
// CLI's Update, and the pipeline's validator decides. The same flow runs on the full stack in
// test/e2e/ui-dashboard.test.ts; this one needs no shared stack, so it runs with the workflow tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Page } from 'playwright-core';
import { allowedHosts, createUiApp } from '../../cli/ui';
import { launchChromium } from '../support/browser';
import { freePort } from '../support/ports';
import { input, PEOPLE } from './support/fixtures';
import { startPipeline, useHarness, waitForStage, withWorker, type Harness } from './support/harness';
import { mockActivities } from './support/mock-activities';

let h: Harness;
useHarness((x) => (h = x));

test('in the browser: the author and a wrong key are refused, an approver promotes; no key on the wire', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-ui-keys-'));
  const keyFileOf = (name: string, key: string) => {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, `${name.replace(/-wrong$/, '')}.ed25519`), `${key}\n`);
    return join(dir, name, `${name.replace(/-wrong$/, '')}.ed25519`);
  };
  const wrongKey = 'ee'.repeat(32);
  const files = { dana: keyFileOf('dana', PEOPLE.dana.key), alice: keyFileOf('alice', PEOPLE.alice.key), wrong: keyFileOf('alice-wrong', wrongKey) };
  const browser = await launchChromium();
  const bodies: string[] = [];
  browser.context.on('request', (r) => bodies.push(`${r.url()}\n${r.postData() ?? ''}`));
  try {
    await withWorker(h, mockActivities({ risk: 'medium' }), 'ui-approval', async (taskQueue) => {
      const handle = await startPipeline(h, taskQueue, input({ service: 'ui-approval' }));
      await waitForStage(handle, 'approval');
      const port = await freePort();
      const server = serve({ fetch: createUiApp({ client: h.env.client, hosts: allowedHosts('127.0.0.1', port) }).fetch, port, hostname: '127.0.0.1' });
      await new Promise((r) => server.once('listening', r));
      try {
        const page = await browser.context.newPage();
        await page.goto(`http://127.0.0.1:${port}/pipeline?id=${encodeURIComponent(handle.workflowId)}`);
        expect(await decide(page, files.dana, 'dana')).toBe('approve refused: "dana" is an author of this change and cannot approve it');
        expect(await decide(page, files.wrong, 'alice')).toMatch(/^approve refused: signature of "alice" does not verify over airlock-approval-v2 /);
        expect(await decide(page, files.alice, 'alice')).toBe('approve by alice accepted (1/1 approvals)');
        const result = await handle.result();
        expect(result.outcome.kind).toBe('promoted');
        await page.locator('#live .outcome-promoted').waitFor({ timeout: 20_000 });
        await expect(page.locator('#live').innerText()).resolves.toMatch(/approve by alice \(dev\) .*signature verified/);
      } finally {
        await new Promise((r) => server.close(r));
      }
    });
    const keys = [PEOPLE.dana.key, PEOPLE.alice.key, wrongKey];
    const forms = keys.flatMap((k) => [k, Buffer.from(k, 'hex').toString('base64'), Buffer.from(k, 'hex').toString('base64url')]);
    expect(bodies.filter((b) => b.includes('/api/decide')).length).toBe(3);
    for (const b of bodies) for (const f of forms) expect(b).not.toContain(f);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

async function decide(page: Page, file: string, approver: string): Promise<string> {
  await page.locator('#key-status').evaluate((el) => ((el.textContent = ''), (el.className = '')));
  await page.getByLabel('Key file').setInputFiles(file);
  await page.locator('#key-status.ok').waitFor();
  await page.getByLabel('Approver id').fill(approver);
  await page.locator('#decide-result').evaluate((el) => (el.textContent = ''));
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.locator('#decide-result:not(:empty)').waitFor({ timeout: 30_000 });
  return (await page.locator('#decide-result').innerText()).trim();
}

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createNotifyActivities, verifySignature } from '../../activities/notify';
import { loadConfig } from '../../infra/config';
import { resolveTool } from '../../infra/local/tools';
import { deliveryWorkflowId, eventId, type AirlockEvent, type Webhook } from '../../model/notifications';
import { bundleWorkflows } from '../../worker/workflow-source';
import { deliverNotification } from '../../workflows/deliver-notification';
import { searchAttributeKeys } from '../../workflows/search-attributes';
import { freePort } from '../support/ports';

// Alerts over real HTTP on loopback: the deliverNotification workflow on a real Temporal dev server with the
// real deliverEvent activity. The receiver checks the HMAC with its own copy of the secret; a receiver that
// is down when the event is raised gets it once it comes up (short retry intervals for the test).

const SECRET = 'integration-secret-not-real-0001';
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  verified: boolean;
}

/** A webhook receiver on 127.0.0.1:port that verifies the signature and answers 204 (or 401 when it does not verify). */
function receiver(port: number, got: Received[]): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const verified = verifySignature(body, req.headers['x-airlock-signature'] as string | undefined, SECRET);
      got.push({ headers: req.headers, body, verified });
      res.writeHead(verified ? 204 : 401).end();
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

const event = (type: AirlockEvent['type'], workflowId: string): AirlockEvent => ({
  type,
  subject: 'shop/production',
  id: eventId(workflowId, type),
  time: new Date().toISOString(),
  data: { drift: ['container shop-production-abc-1 stopped'] },
});

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    /* installed already */
  }
  [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: resolveTool(loadConfig(), 'temporal') }, searchAttributes: searchAttributeKeys() } }),
    bundleWorkflows(),
  ]);
}, 180_000);
afterAll(async () => env?.teardown());

async function withNotifyWorker<T>(queue: string, fn: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: queue,
    workflowBundle: bundle,
    activities: createNotifyActivities({ env: { HOOK_SECRET: SECRET }, timeoutMs: 2000 }),
  });
  return worker.runUntil(fn());
}

test('a CloudEvent reaches a real receiver, signed with the secret the policy names', async () => {
  const port = await freePort();
  const got: Received[] = [];
  const server = await receiver(port, got);
  try {
    const webhook: Webhook = { name: 'ops', url: `http://127.0.0.1:${port}/airlock`, events: ['drift.detected'], format: 'cloudevents', secretEnv: 'HOOK_SECRET' };
    const ev = event('drift.detected', `it-${port}`);
    const result = await withNotifyWorker(`notify-${port}`, () =>
      env.client.workflow.execute(deliverNotification, { workflowId: deliveryWorkflowId(ev, webhook), taskQueue: `notify-${port}`, args: [{ webhook, event: ev }] }),
    );
    expect(result).toEqual({ status: 204 });
    expect(got).toHaveLength(1);
    expect(got[0]!.verified).toBe(true);
    expect(got[0]!.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(got[0]!.headers['idempotency-key']).toBe(ev.id);
    expect(JSON.parse(got[0]!.body)).toMatchObject({ specversion: '1.0', id: ev.id, type: 'dev.airlock.drift.detected', source: 'urn:airlock', subject: 'shop/production', data: ev.data });
    expect(got[0]!.body).not.toContain(SECRET);
  } finally {
    await close(server);
  }
});

test('a receiver that is down when the event is raised receives it, once, after it comes back', async () => {
  const port = await freePort(); // nothing listens yet: connection refused
  const got: Received[] = [];
  const webhook: Webhook = { name: 'late', url: `http://127.0.0.1:${port}/airlock`, events: ['pipeline.rolled_back'], format: 'slack', secretEnv: 'HOOK_SECRET' };
  const ev = event('pipeline.rolled_back', `it-${port}`);
  const queue = `notify-${port}`;
  let server: Server | undefined;
  try {
    const result = await withNotifyWorker(queue, async () => {
      const handle = await env.client.workflow.start(deliverNotification, {
        workflowId: deliveryWorkflowId(ev, webhook),
        taskQueue: queue,
        args: [{ webhook, event: ev, retry: { initialIntervalMs: 300, maximumIntervalMs: 1000 } }],
      });
      // wait until a few attempts have failed against the closed port
      const deadline = Date.now() + 30_000;
      let attempt = 0;
      let lastFailure = '';
      while (attempt < 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        const pending = (await handle.describe()).raw.pendingActivities?.[0];
        attempt = pending?.attempt ?? 0;
        lastFailure = pending?.lastFailure?.message ?? lastFailure;
      }
      expect(attempt).toBeGreaterThanOrEqual(3);
      expect(lastFailure).toMatch(/webhook late .* unreachable/);
      expect(got).toHaveLength(0);
      server = await receiver(port, got); // the receiver comes back
      return handle.result();
    });
    expect(result).toEqual({ status: 204 });
    expect(got).toHaveLength(1);
    expect(got[0]!.verified).toBe(true);
    expect(got[0]!.headers['idempotency-key']).toBe(ev.id);
    expect(JSON.parse(got[0]!.body)).toEqual({ text: '[airlock] shop/production rolled back' });
  } finally {
    if (server) await close(server);
  }
});

test('a receiver that refuses (401: wrong secret) fails the delivery at once, with a clear error', async () => {
  const port = await freePort();
  const got: Received[] = [];
  const server = await receiver(port, got);
  try {
    const webhook: Webhook = { name: 'strict', url: `http://127.0.0.1:${port}/airlock`, events: ['drift.detected'], format: 'cloudevents', secretEnv: 'HOOK_SECRET' };
    const ev = event('drift.detected', `it-refused-${port}`);
    const queue = `notify-${port}`;
    const failure = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: queue,
      workflowBundle: bundle,
      activities: createNotifyActivities({ env: { HOOK_SECRET: 'not-the-receivers-secret' } }),
    }).then((w) =>
      w.runUntil(env.client.workflow.execute(deliverNotification, { workflowId: deliveryWorkflowId(ev, webhook), taskQueue: queue, args: [{ webhook, event: ev }] }).then(() => undefined, (e: Error) => e)),
    );
    expect(got).toHaveLength(1);
    const cause = (failure as { cause?: { cause?: { type?: string; message?: string } } } | undefined)?.cause?.cause;
    expect(cause).toMatchObject({ type: 'WebhookRejectedError', message: expect.stringMatching(/refused drift\.detected .* with 401: not retried/) });
  } finally {
    await close(server);
  }
});

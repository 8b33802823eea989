import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP } from 'cloudevents';
import { createNotifyActivities, retryableStatus, signBody, slackText, verifySignature, webhookRequest } from '../../activities/notify';
import { approvalRequestedData, approveCommand, outcomeEvent } from '../../model/pipeline-events';
import { deliveryWorkflowId, eventId, webhooksFor, type AirlockEvent, type Webhook } from '../../model/notifications';
import { notificationsSchema } from '../../model/notifications-schema';
import { parseWith, InvalidInputError } from '../../model/parse';
import { policySchema } from '../../model/policy';
import type { PipelineState } from '../../model/pipeline';

const hook = (over: Partial<Webhook> = {}): Webhook => ({ name: 'ops', url: 'http://127.0.0.1:1/hook', events: ['pipeline.blocked'], format: 'cloudevents', ...over });
const event = (over: Partial<AirlockEvent> = {}): AirlockEvent => ({
  type: 'pipeline.blocked',
  subject: 'airlock/shop/prod/abc',
  id: eventId('airlock/shop/prod/abc', 'pipeline.blocked'),
  time: '2026-12-03T10:00:00.000Z',
  data: { violations: ['CVE-2026-1 (critical) in openssl'] },
  ...over,
});
const SECRET = 'k3y-for-tests-only';

describe('notifications policy section', () => {
  it('parses webhooks with defaults and rejects bad ones', () => {
    const p = policySchema.parse({ notifications: { webhooks: [{ name: 'ops', url: 'https://hooks.example/x', events: ['drift.detected'], secretEnv: 'OPS_HOOK_SECRET' }] } });
    expect(p.notifications!.webhooks[0]).toEqual({ name: 'ops', url: 'https://hooks.example/x', events: ['drift.detected'], format: 'cloudevents', secretEnv: 'OPS_HOOK_SECRET' });
    expect(policySchema.parse({}).notifications).toBeUndefined();
    const lines = (v: unknown) => {
      try {
        parseWith(notificationsSchema, v, 'policy');
        return [];
      } catch (err) {
        return (err as InvalidInputError).lines;
      }
    };
    expect(lines({ webhooks: [{ name: 'a', url: 'ftp://x', events: ['drift.detected'] }] })).toEqual([expect.stringMatching(/^webhooks\.0\.url: must be an http\(s\) URL/)]);
    expect(lines({ webhooks: [{ name: 'a', url: 'https://u:p@x/y', events: ['drift.detected'] }] })).toEqual([expect.stringMatching(/must not carry credentials/)]);
    expect(lines({ webhooks: [{ name: 'a', url: 'https://x', events: ['deploy.done'] }] })[0]).toMatch(/^webhooks\.0\.events\.0:/);
    expect(lines({ webhooks: [{ name: 'a', url: 'https://x', events: ['drift.detected'], secretEnv: 'sk_live_abc=1' }] })[0]).toMatch(/environment variable NAME/);
    expect(lines({ webhooks: [hook({ name: 'a' }), hook({ name: 'a' })] })).toEqual(['webhooks.1.name: duplicate webhook name a']);
  });

  it('filters webhooks by event and derives stable ids', () => {
    const hooks = [hook({ name: 'a', events: ['pipeline.blocked', 'drift.detected'] }), hook({ name: 'b', events: ['approval.requested'] })];
    expect(webhooksFor(hooks, 'drift.detected').map((w) => w.name)).toEqual(['a']);
    expect(webhooksFor(hooks, 'breakglass.used')).toEqual([]);
    expect(webhooksFor(undefined, 'drift.detected')).toEqual([]);
    expect(eventId('wf/1', 'drift.detected', 2)).toBe('wf/1/drift.detected/2');
    expect(deliveryWorkflowId({ id: 'wf/1/drift.detected/0' }, { name: 'a' })).toBe('airlock-notify/wf/1/drift.detected/0/a');
  });
});

describe('webhook body', () => {
  it('is a CloudEvents 1.0 structured-mode event a CloudEvents SDK reads back, signed and keyed', () => {
    const req = webhookRequest(hook({ secretEnv: 'S' }), event(), SECRET);
    expect(req.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(req.headers['idempotency-key']).toBe('airlock/shop/prod/abc/pipeline.blocked/0');
    const back = HTTP.toEvent({ headers: req.headers, body: req.body });
    expect(back).toMatchObject({ specversion: '1.0', id: 'airlock/shop/prod/abc/pipeline.blocked/0', type: 'dev.airlock.pipeline.blocked', source: 'urn:airlock', subject: 'airlock/shop/prod/abc' });
    expect((back as { data: unknown }).data).toEqual({ violations: ['CVE-2026-1 (critical) in openssl'] });
    expect(verifySignature(req.body, req.headers['x-airlock-signature'], SECRET)).toBe(true);
    expect(req.headers['x-airlock-signature']).toBe(signBody(req.body, SECRET));
    expect(verifySignature(req.body + ' ', req.headers['x-airlock-signature'], SECRET)).toBe(false);
    expect(verifySignature(req.body, req.headers['x-airlock-signature'], 'other')).toBe(false);
    expect(verifySignature(req.body, undefined, SECRET)).toBe(false);
    expect(req.body).not.toContain(SECRET);
  });

  it('has no signature header without a secret', () => {
    expect(webhookRequest(hook(), event()).headers['x-airlock-signature']).toBeUndefined();
  });

  it('redacts secrets that slipped into the data', () => {
    const leaky = event({ data: { reason: 'rolled back: api_key = "Zx9Qw8Er7Ty6Ui5Op4As3Df2"', token: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' } });
    for (const format of ['cloudevents', 'slack'] as const) {
      const { body } = webhookRequest(hook({ format }), leaky);
      expect(body).not.toContain('Zx9Qw8Er7Ty6Ui5Op4As3Df2');
      expect(body).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
    }
  });

  it('slack format: a { text } body a person can act on', () => {
    const state = { pipelineId: 'airlock/shop/prod/abc', service: 'shop', environment: 'prod', headCommit: 'abc', author: 'dana', risk: { level: 'high', score: 80, reasons: [] } } as unknown as PipelineState;
    const data = approvalRequestedData(state, { groups: { security: [{ id: 'sam', publicKey: 'x', aliases: [] }] } }, { approvals: 1, groups: ['security'], require: [] }, ['dana']);
    const { body, headers } = webhookRequest(hook({ format: 'slack', events: ['approval.requested'] }), event({ type: 'approval.requested', data }));
    expect(headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(body)).toEqual({ text: '[airlock] approval requested for airlock/shop/prod/abc (risk high); may approve: security\n`airlock approve airlock/shop/prod/abc --as <your-id>`' });
    expect(slackText(event({ type: 'drift.detected', subject: 'shop/prod', data: { drift: ['container shop-prod-1 stopped'] } }))).toBe('[airlock] drift in shop/prod: container shop-prod-1 stopped');
  });
});

describe('pipeline events', () => {
  const state = { pipelineId: 'airlock/shop/prod/abc', releaseId: 'shop-prod-abc', service: 'shop', environment: 'prod', headCommit: 'abc', author: 'dana' } as PipelineState;
  it('approval.requested names the groups, the eligible approvers (not the authors) and the command', () => {
    const groups = {
      dev: [
        { id: 'dana', publicKey: 'a', aliases: [] },
        { id: 'alice', publicKey: 'b', aliases: ['alice@x'] },
      ],
      security: [{ id: 'sam', publicKey: 'c', aliases: ['dana@x'] }],
      ops: [{ id: 'olga', publicKey: 'd', aliases: [] }],
    };
    const d = approvalRequestedData(state, { groups }, { approvals: 2, groups: ['dev', 'security'], require: ['security'] }, ['dana', 'DANA@x']);
    expect(d).toMatchObject({ groups: ['dev', 'security'], requireGroups: ['security'], approvers: ['alice'], approvalsNeeded: 2, command: 'airlock approve airlock/shop/prod/abc --as <your-id>' });
    expect(approvalRequestedData(state, { groups }, { approvals: 1, groups: [], require: [] }, []).groups).toEqual(['dev', 'security', 'ops']);
    expect(approveCommand('airlock/a/b/c')).toBe('airlock approve airlock/a/b/c --as <your-id>');
  });
  it('maps outcomes to events', () => {
    expect(outcomeEvent(state, { kind: 'blocked_by_policy', violations: ['v'] })).toMatchObject({ type: 'pipeline.blocked', data: { violations: ['v'], service: 'shop' } });
    expect(outcomeEvent(state, { kind: 'rolled_back', reason: 'analysis failed', step: 10 })).toMatchObject({ type: 'pipeline.rolled_back', data: { reason: 'analysis failed', step: 10 } });
    expect(outcomeEvent(state, { kind: 'expired', afterMs: 1000 })).toMatchObject({ type: 'pipeline.expired', data: { afterMs: 1000 } });
    expect(outcomeEvent(state, { kind: 'promoted', releaseId: 'r', image: 'i' })).toBeUndefined();
    expect(outcomeEvent(state, { kind: 'rejected', by: 'x' })).toBeUndefined();
  });
});

describe('deliverEvent', () => {
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(status).end('receiver says hi');
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    received.length = 0;
    status = 200;
  });

  const failureOf = async (p: Promise<unknown>) => p.then(() => undefined, (e: { type?: string; nonRetryable?: boolean; message: string }) => e);

  it('posts a signed body the receiver verifies with the same secret', async () => {
    const { deliverEvent } = createNotifyActivities({ env: { HOOK_SECRET: SECRET } });
    await expect(deliverEvent({ webhook: hook({ url, secretEnv: 'HOOK_SECRET' }), event: event() })).resolves.toEqual({ status: 200, webhook: 'ops', eventId: event().id });
    expect(received).toHaveLength(1);
    expect(verifySignature(received[0]!.body, received[0]!.headers['x-airlock-signature'] as string, SECRET)).toBe(true);
    expect(received[0]!.headers['idempotency-key']).toBe(event().id);
  });

  it('refuses to send unsigned when the named secret variable is missing', async () => {
    const { deliverEvent } = createNotifyActivities({ env: {} });
    const err = await failureOf(deliverEvent({ webhook: hook({ url, secretEnv: 'HOOK_SECRET' }), event: event() }));
    expect(err).toMatchObject({ type: 'WebhookSecretMissingError', nonRetryable: true });
    expect(err!.message).toMatch(/\$HOOK_SECRET, which is not set on the worker; refusing to send the event unsigned/);
    expect(received).toHaveLength(0);
  });

  it('4xx is final, 5xx/408/429 and connection refused are retried', async () => {
    const { deliverEvent } = createNotifyActivities({ env: {} });
    status = 403;
    expect(await failureOf(deliverEvent({ webhook: hook({ url }), event: event() }))).toMatchObject({ type: 'WebhookRejectedError', nonRetryable: true });
    for (const s of [500, 503, 408, 429]) {
      status = s;
      expect(await failureOf(deliverEvent({ webhook: hook({ url }), event: event() }))).toMatchObject({ type: 'WebhookUnavailableError', nonRetryable: false });
    }
    const down = await failureOf(deliverEvent({ webhook: hook({ url: 'http://127.0.0.1:1/hook' }), event: event() }));
    expect(down).toMatchObject({ type: 'WebhookUnavailableError', nonRetryable: false });
    expect(down!.message).toMatch(/unreachable/);
    expect([200, 204, 299].map(retryableStatus)).toEqual([false, false, false]);
  });
});

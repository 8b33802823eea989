import { createHmac, timingSafeEqual } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import { cloudEventType, EVENT_SOURCE, type AirlockEvent, type Webhook } from '../../model/notifications';
import { redactDeep, redactText } from '../../model/redact';

// What one delivery sends, built without I/O: the body (CloudEvents 1.0 structured mode, or Slack's
// `{ text }`), its headers and its HMAC. Receivers verify `X-Airlock-Signature` over the exact body bytes.

export const SIGNATURE_HEADER = 'X-Airlock-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export interface WebhookRequest {
  headers: Record<string, string>;
  body: string;
}

/** `sha256=<hex>` of HMAC-SHA256(secret, body): GitHub's webhook signature form, which receivers know. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** True when `header` is the signature of `body` under `secret` (constant-time compare): what a receiver runs. */
export function verifySignature(body: string, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const want = Buffer.from(signBody(body, secret));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** One line a person reads in a chat channel; the event's fields that say what to do come first. */
export function slackText(event: AirlockEvent): string {
  const d = event.data;
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  const list = (k: string) => (Array.isArray(d[k]) ? (d[k] as unknown[]).map(String).join(', ') : undefined);
  const what: Record<AirlockEvent['type'], string> = {
    'approval.requested': `approval requested for ${event.subject}${str('riskLevel') ? ` (risk ${str('riskLevel')})` : ''}${list('groups') ? `; may approve: ${list('groups')}` : ''}${str('command') ? `\n\`${str('command')}\`` : ''}`,
    'pipeline.blocked': `${event.subject} blocked by policy${list('violations') ? `: ${list('violations')}` : ''}`,
    'pipeline.rolled_back': `${event.subject} rolled back${str('reason') ? `: ${str('reason')}` : ''}`,
    'pipeline.expired': `${event.subject} expired waiting for approval`,
    'release.noncompliant': `${event.subject} is not compliant${list('violations') ? `: ${list('violations')}` : ''}`,
    'drift.detected': `drift in ${event.subject}${list('drift') ? `: ${list('drift')}` : ''}`,
    'breakglass.used': `BREAK-GLASS deploy to ${event.subject}${str('reason') ? `: ${str('reason')}` : ''}${list('signers') ? ` (signed by ${list('signers')})` : ''}`,
    'exception.expiring': `policy exception expiring for ${event.subject}${list('exceptions') ? `: ${list('exceptions')}` : ''}`,
  };
  return redactText(`[airlock] ${what[event.type]}`);
}

/**
 * The request for `event` to `webhook`: every string of the event redacted, the idempotency id in the
 * CloudEvent `id` and in `Idempotency-Key`, the body signed when a secret is given.
 */
export function webhookRequest(webhook: Webhook, event: AirlockEvent, secret?: string): WebhookRequest {
  const safe = redactDeep(event);
  let headers: Record<string, string>;
  let body: string;
  if (webhook.format === 'slack') {
    headers = { 'content-type': 'application/json; charset=utf-8' };
    body = JSON.stringify({ text: slackText(safe) });
  } else {
    const ce = new CloudEvent({
      specversion: '1.0',
      id: safe.id,
      source: EVENT_SOURCE,
      type: cloudEventType(safe.type),
      subject: safe.subject,
      time: safe.time,
      datacontenttype: 'application/json',
      data: safe.data,
    });
    const message = HTTP.structured(ce);
    headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    body = String(message.body);
  }
  headers[IDEMPOTENCY_HEADER.toLowerCase()] = safe.id;
  if (secret !== undefined) headers[SIGNATURE_HEADER.toLowerCase()] = signBody(body, secret);
  return { headers, body };
}

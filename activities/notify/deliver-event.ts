import type { AirlockEvent, Webhook } from '../../model/notifications';
import { redactText } from '../../model/redact';
import { withFailures, WebhookRejectedError, WebhookSecretMissingError, WebhookUnavailableError } from '../errors';
import { webhookRequest } from './body';

export interface NotifyDeps {
  /** The worker's environment: where the secret named by `secretEnv` is read at send time (tests pass an object). */
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  /** Per-attempt timeout; a slow receiver is retried like a down one. */
  timeoutMs?: number;
}

export interface DeliverEventInput {
  webhook: Webhook;
  event: AirlockEvent;
}

export interface DeliverEventResult {
  status: number;
  webhook: string;
  eventId: string;
}

/** 4xx means "this request is wrong" and is final, except 408 (timeout) and 429 (slow down), which say "later". */
export const retryableStatus = (status: number): boolean => status >= 500 || status === 408 || status === 429 || status < 200;

/**
 * deliverEvent: one POST of one event to one webhook. Thin: the body and its signature come from
 * ./body.ts; a refusal (4xx) is final, everything else that is not 2xx is thrown to be retried (the
 * deliverNotification workflow retries with backoff for up to a day).
 */
export function createNotifyActivities({ env, fetch: doFetch = fetch, timeoutMs = 10_000 }: NotifyDeps) {
  const deliverEvent = async ({ webhook, event }: DeliverEventInput): Promise<DeliverEventResult> => {
    let secret: string | undefined;
    if (webhook.secretEnv !== undefined) {
      secret = env[webhook.secretEnv];
      if (!secret)
        throw new WebhookSecretMissingError(
          `webhook ${webhook.name}: the policy signs with the secret in $${webhook.secretEnv}, which is not set on the worker; refusing to send the event unsigned`,
          { webhook: webhook.name, secretEnv: webhook.secretEnv },
        );
    }
    const { headers, body } = webhookRequest(webhook, event, secret);
    const where = `webhook ${webhook.name} (${redactText(webhook.url)})`;
    let response: Response;
    try {
      response = await doFetch(webhook.url, { method: 'POST', headers, body, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new WebhookUnavailableError(`${where} unreachable: ${cause}`, { webhook: webhook.name, eventId: event.id });
    }
    // the answer's body is not read into errors: a receiver's text is not ours to put into the history
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return { status: response.status, webhook: webhook.name, eventId: event.id };
    const details = { webhook: webhook.name, eventId: event.id, status: response.status };
    if (retryableStatus(response.status)) throw new WebhookUnavailableError(`${where} answered ${response.status}: will retry`, details);
    throw new WebhookRejectedError(`${where} refused ${event.type} ${event.id} with ${response.status}: not retried (check the URL and the receiver's secret)`, details);
  };
  return { deliverEvent: withFailures(deliverEvent) };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;

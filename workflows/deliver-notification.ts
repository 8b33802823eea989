import { log, proxyActivities } from '@temporalio/workflow';
import type { NotifyActivities } from '../activities/notify';
import type { AirlockEvent, Webhook } from '../model/notifications';

/** Errors that end a delivery at once (activities/errors.ts): a refusing receiver, a missing secret, a bad input. */
export const DELIVERY_NON_RETRYABLE = ['WebhookRejectedError', 'WebhookSecretMissingError', 'InvalidInputError'];

/** Backoff of one delivery, milliseconds; defaults: 5 s doubling to 5 min, given up after 24 h. */
export interface DeliveryRetry {
  initialIntervalMs?: number;
  maximumIntervalMs?: number;
  /** How long a receiver may stay down before the delivery fails (the failed workflow stays visible in Temporal). */
  giveUpAfterMs?: number;
}

export interface DeliverNotificationInput {
  webhook: Webhook;
  event: AirlockEvent;
  retry?: DeliveryRetry;
}

/**
 * One event to one webhook, durably: the activity retries with backoff while the receiver is down (at
 * least once; the receiver dedupes by the event id). Its own workflow, so the pipeline never waits on a
 * webhook and a worker restart does not lose the event. Workflow id: model/notifications.ts deliveryWorkflowId.
 */
export async function deliverNotification({ webhook, event, retry = {} }: DeliverNotificationInput): Promise<{ status: number }> {
  const { deliverEvent } = proxyActivities<NotifyActivities>({
    startToCloseTimeout: '1m',
    scheduleToCloseTimeout: retry.giveUpAfterMs ?? 24 * 3_600_000,
    retry: {
      initialInterval: retry.initialIntervalMs ?? 5_000,
      backoffCoefficient: 2,
      maximumInterval: retry.maximumIntervalMs ?? 300_000,
      nonRetryableErrorTypes: DELIVERY_NON_RETRYABLE,
    },
  });
  const result = await deliverEvent({ webhook, event });
  log.info('notification delivered', { webhook: webhook.name, eventId: event.id, status: result.status });
  return { status: result.status };
}

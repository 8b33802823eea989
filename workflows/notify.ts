import { ParentClosePolicy, log, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { deliveryWorkflowId, eventId, webhooksFor, type AirlockEvent, type EventType, type Webhook } from '../model/notifications';
import { redactDeep } from '../model/redact';
import { deliverNotification, type DeliveryRetry } from './deliver-notification';

/**
 * Pipelines (and other workflows) started from this patch on send alerts (issue 16). Every new command
 * that sends one is guarded by it, so saved histories replay unchanged.
 */
export const NOTIFICATIONS_PATCH = 'notifications';

export interface NotifyRequest {
  type: EventType;
  subject: string;
  data: Record<string, unknown>;
  /** Distinguishes repeated events of one type in one workflow (the idempotency id's `<n>`); default 0. */
  n?: number;
  /** Delivery retry overrides (tests use short intervals). */
  retry?: DeliveryRetry;
}

/**
 * Sends `type` to every webhook of the protected policy that subscribed to it, each delivery in its own
 * `deliverNotification` child workflow (parent-close ABANDON) that retries for up to a day: the caller
 * waits only for the children to start, never for a receiver. Returns the event (undefined: no webhook wants it).
 * The caller checks patched(NOTIFICATIONS_PATCH) before calling.
 */
export async function notify(webhooks: readonly Webhook[] | undefined, req: NotifyRequest): Promise<AirlockEvent | undefined> {
  const targets = webhooksFor(webhooks, req.type);
  if (!targets.length) return undefined;
  const event: AirlockEvent = redactDeep({
    type: req.type,
    subject: req.subject,
    id: eventId(workflowInfo().workflowId, req.type, req.n ?? 0),
    time: new Date().toISOString(),
    data: req.data,
  });
  for (const webhook of targets) {
    try {
      await startChild(deliverNotification, {
        workflowId: deliveryWorkflowId(event, webhook),
        args: [{ webhook, event, ...(req.retry ? { retry: req.retry } : {}) }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // the same event is already on its way to this webhook (a reset replayed the notify): at-least-once holds
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      log.info('notification already being delivered', { webhook: webhook.name, eventId: event.id });
    }
  }
  return event;
}

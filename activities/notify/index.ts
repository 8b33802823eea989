export { createNotifyActivities, retryableStatus, type NotifyActivities, type NotifyDeps, type DeliverEventInput, type DeliverEventResult } from './deliver-event';
export { webhookRequest, signBody, verifySignature, slackText, SIGNATURE_HEADER, IDEMPOTENCY_HEADER, type WebhookRequest } from './body';

// Alerts (issue 16): the event names, the webhook shape and the event airlock sends. Plain types and
// pure helpers only, no zod: workflow code imports this module and the bundle must stay zod-free
// (test/workflow/bundle.test.ts). The policy's schema for these lives in model/notifications-schema.ts.

/** Every event airlock emits; a webhook subscribes to some of them. Wire names: renaming one breaks receivers. */
export const EVENT_TYPES = [
  'approval.requested',
  'pipeline.blocked',
  'pipeline.rolled_back',
  'pipeline.expired',
  'release.noncompliant',
  'drift.detected',
  'breakglass.used',
  'exception.expiring',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** CloudEvents `type` of an airlock event: reverse-DNS prefixed, as the CloudEvents spec recommends. */
export const cloudEventType = (type: EventType): string => `dev.airlock.${type}`;

/** CloudEvents `source` of every event this worker sends. */
export const EVENT_SOURCE = 'urn:airlock';

export type WebhookFormat = 'cloudevents' | 'slack';

/** One endpoint of the policy's `notifications.webhooks` (read at the policy's protected anchor only). */
export interface Webhook {
  name: string;
  url: string;
  events: EventType[];
  format: WebhookFormat;
  /** NAME of the worker's environment variable holding the HMAC key; never the key itself. */
  secretEnv?: string;
}

export interface Notifications {
  webhooks: Webhook[];
}

/** What airlock sends: one event, delivered at least once to every webhook that subscribed to its type. */
export interface AirlockEvent {
  type: EventType;
  /** What it is about: a pipeline id, `<service>/<environment>`, a release id. */
  subject: string;
  /** Idempotency id, deterministic (`<workflowId>/<type>/<n>`): a redelivery carries the same id. */
  id: string;
  /** ISO date-time the event happened (the workflow's clock). */
  time: string;
  data: Record<string, unknown>;
}

/** The idempotency id of the `n`th event of `type` raised by workflow `workflowId`. */
export const eventId = (workflowId: string, type: EventType, n = 0): string => `${workflowId}/${type}/${n}`;

/** The webhooks that want `type`. */
export function webhooksFor(webhooks: readonly Webhook[] | undefined, type: EventType): Webhook[] {
  return (webhooks ?? []).filter((w) => w.events.includes(type));
}

/** Workflow id of one delivery: one per (event, webhook), so a repeated notify() does not send twice while the first retries. */
export const deliveryWorkflowId = (event: Pick<AirlockEvent, 'id'>, webhook: Pick<Webhook, 'name'>): string => `airlock-notify/${event.id}/${webhook.name}`;

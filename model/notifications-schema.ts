import { z } from 'zod';
import { EVENT_TYPES } from './notifications';

// The policy's `notifications:` section (model/policy.ts). Kept apart from model/notifications.ts, which
// workflow code imports: the workflow bundle holds no zod (test/workflow/bundle.test.ts).

export const webhookSchema = z
  .object({
    /** A slug: part of the delivery workflow's id. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'must be a lowercase slug (letters, digits, dashes)'),
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      // the URL goes into workflow histories and logs: credentials belong in secretEnv, not in the URL
      .refine((u) => !/^[a-z]+:\/\/[^/?#]*@/i.test(u), 'must not carry credentials (user:password@): sign with secretEnv instead'),
    events: z.array(z.enum(EVENT_TYPES)).min(1, 'subscribe to at least one event'),
    format: z.enum(['cloudevents', 'slack']).default('cloudevents'),
    /** Name of the worker's environment variable holding the HMAC-SHA256 key (the value never appears in the policy). */
    secretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,100}$/, 'must be an environment variable NAME (letters, digits, underscores)')
      .optional(),
  })
  .strict();

export const notificationsSchema = z
  .object({ webhooks: z.array(webhookSchema).default([]) })
  .strict()
  .superRefine((n, ctx) => {
    const seen = new Set<string>();
    n.webhooks.forEach((w, i) => {
      if (seen.has(w.name)) ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'name'], message: `duplicate webhook name ${w.name}` });
      seen.add(w.name);
    });
  });
export type NotificationsPolicy = z.output<typeof notificationsSchema>;

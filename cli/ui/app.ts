import type { Client } from '@temporalio/client';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { listFiltersSchema, listPipelines } from '../commands/inspect';
import { issueLines } from '../../model/parse';
import { ExitError } from '../errors';
import { ASSETS, asset } from './assets';
import { collectRecords, collectRescans } from '../metrics/compute';
import { loadPipeline, loadReleases } from './data';
import { metricsPage, metricsSeries, WINDOWS } from './metrics';
import { decisionRequestSchema, messageRequestSchema, messageToSign, sendDecision } from './decide';
import { errorPage, listPage, pipelineLive, pipelinePage, pipelineRows, releasesPage } from './pages';
import { hostAllowed, sameOrigin, SECURITY_HEADERS } from './security';

// The dashboard's routes. Reads go through the CLI's code (data.ts); the only write is a decision, which
// carries the approver's signature made in the page (decide.ts). Every response gets the security headers;
// a request for another Host (DNS rebinding) or a POST from another origin is refused.

export interface UiOptions {
  client: Client;
  /** Host headers this server answers (security.ts allowedHosts). */
  hosts: readonly string[];
  now?: () => number;
  /** how many pipelines the list shows */
  limit?: number;
}

const blankToUnset = (q: Record<string, string>) => Object.fromEntries(Object.entries(q).filter(([, v]) => v.trim() !== ''));

/** A user error (bad filters, unknown pipeline) is a 4xx page with the message; anything else is a bug (500, logged). */
function failure(c: Context, err: unknown, json = false) {
  const known = err instanceof ExitError || err instanceof z.ZodError;
  const message = err instanceof z.ZodError ? issueLines(err).join('; ') : (err as Error).message;
  if (!known) console.error('airlock ui:', err);
  const status = known ? (err instanceof ExitError && /unknown pipeline/.test(message) ? 404 : 400) : 500;
  return json ? c.json({ error: message }, status) : c.html(errorPage(status, known ? message : 'internal error (see the server log)'), status);
}

export function createUiApp(opts: UiOptions): Hono {
  const { client, hosts } = opts;
  const now = opts.now ?? Date.now;
  const limit = opts.limit ?? 100;
  const app = new Hono();
  const listPipelinesOf = (filters: z.output<typeof listFiltersSchema>) => listPipelines(client, filters, limit);

  app.use(async (c, next) => {
    if (!hostAllowed(c.req.header('host'), hosts)) {
      c.res = new Response('unknown Host: open the dashboard at the address `airlock ui` printed\n', { status: 421 });
    } else if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !sameOrigin(c.req.header('origin'), c.req.header('host'), hosts)) {
      c.res = new Response('cross-origin request refused\n', { status: 403 });
    } else {
      await next();
    }
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
  });

  app.get('/static/:name', (c) => {
    const name = c.req.param('name');
    const type = ASSETS[name];
    return type ? c.body(asset(name), 200, { 'Content-Type': type }) : c.notFound();
  });

  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/', async (c) => {
    try {
      const filters = listFiltersSchema.parse(blankToUnset(c.req.query()));
      return c.html(listPage(await listPipelinesOf(filters), filters, now()));
    } catch (err) {
      return failure(c, err);
    }
  });
  app.get('/fragments/pipelines', async (c) => {
    try {
      return c.html(pipelineRows(await listPipelinesOf(listFiltersSchema.parse(blankToUnset(c.req.query()))), now()));
    } catch (err) {
      return failure(c, err);
    }
  });

  const pipelineId = z.object({ id: z.string().min(1).max(300) });
  app.get('/pipeline', async (c) => {
    try {
      return c.html(pipelinePage(await loadPipeline(client, pipelineId.parse(c.req.query()).id)));
    } catch (err) {
      return failure(c, err);
    }
  });
  app.get('/fragments/pipeline', async (c) => {
    try {
      return c.html(pipelineLive(await loadPipeline(client, pipelineId.parse(c.req.query()).id)));
    } catch (err) {
      return failure(c, err);
    }
  });
  app.get('/releases', async (c) => {
    try {
      const filters = listFiltersSchema.pick({ service: true, env: true }).parse(blankToUnset(c.req.query()));
      return c.html(releasesPage(await loadReleases(client, filters), filters, now()));
    } catch (err) {
      return failure(c, err);
    }
  });

  const metricsQuery = listFiltersSchema.pick({ service: true, env: true }).extend({
    days: z.coerce
      .number()
      .refine((d) => (WINDOWS as readonly number[]).includes(d), `expected one of ${WINDOWS.join(', ')}`)
      .default(30),
  });
  app.get('/metrics', async (c) => {
    try {
      const q = metricsQuery.parse(blankToUnset(c.req.query()));
      const at = new Date(now());
      const filter = { ...(q.service ? { service: q.service } : {}), ...(q.env ? { env: q.env } : {}) };
      const [records, rescans] = await Promise.all([collectRecords(client, { ...filter, since: new Date(at.getTime() - q.days * 86_400_000) }, { now: at }), collectRescans(client, filter)]);
      return c.html(metricsPage(metricsSeries(records, at, q.days, filter, rescans), q.days, filter));
    } catch (err) {
      return failure(c, err);
    }
  });

  // The exact bytes to sign, as text (`airlock approve <id> --print-message`): identifiers only, not redacted.
  app.get('/api/message', async (c) => {
    try {
      const q = messageRequestSchema.parse(c.req.query());
      return c.json({ message: await messageToSign(client, q.id, q.decision) });
    } catch (err) {
      return failure(c, err, true);
    }
  });
  app.post('/api/decide', async (c) => {
    try {
      const req = decisionRequestSchema.parse(await c.req.json());
      const outcome = await sendDecision(client, req);
      return c.json(outcome, outcome.accepted ? 200 : 409);
    } catch (err) {
      return failure(c, err, true);
    }
  });
  return app;
}

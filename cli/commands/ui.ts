import { serve } from '@hono/node-server';
import { z } from 'zod';
import { connectClient } from '../../infra/temporal/connection';
import { loadConfig } from '../../infra/config';
import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { EXIT, ExitError } from '../errors';
import { progress } from '../output';
import { allowedHosts, createUiApp, isLoopback } from '../ui';

export const uiCommand: Command = {
  name: 'ui',
  summary: 'the web dashboard: pipelines, approvals signed in the browser, releases',
  usage: `usage: airlock ui [--port 8234] [--host 127.0.0.1]

Serves the dashboard until Ctrl-C: the pipelines list (live), each pipeline's timeline with approve,
reject and abort controls (the approver's key file is read in the page and signs there; only the
signature is sent), and what each environment runs. It binds to loopback by default: anyone who can
reach it can read what \`airlock list\` and \`airlock history\` show, and decide nothing without a key.
See docs/dashboard.md.`,
  async run(argv) {
    const args = parseCommandArgs(
      'ui',
      argv,
      { port: { type: 'string', default: '8234' }, host: { type: 'string', default: '127.0.0.1' } },
      z.object({
        port: z.coerce.number().int().min(1).max(65535),
        host: z.string().regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or an IP address'),
        positionals: z.array(z.string()).max(0),
      }),
    );
    const config = loadConfig();
    const client = await connectClient(config.temporal).catch((err: Error) => {
      throw new ExitError(EXIT.failure, `cannot reach Temporal at ${config.temporal.address}: ${err.message} (start it with \`npx airlock dev up\`)`);
    });
    if (!isLoopback(args.host)) progress(`warning: serving on ${args.host}, not loopback: put it behind TLS and access control (docs/dashboard.md)`);
    const app = createUiApp({ client, hosts: allowedHosts(args.host, args.port) });
    const server = serve({ fetch: app.fetch, port: args.port, hostname: args.host });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (err: NodeJS.ErrnoException) => reject(new ExitError(EXIT.failure, `cannot listen on ${args.host}:${args.port}: ${err.message}`)));
    });
    const shown = args.host.includes(':') ? `[${args.host}]` : args.host;
    process.stderr.write(`airlock ui: http://${shown}:${args.port}/ (Ctrl-C stops it)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => server.close(() => resolve());
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await client.connection.close();
  },
};

import { z } from 'zod';
import { jsonFlag, parseCommandArgs } from '../args';
import { withClient } from '../client';
import type { Command } from '../command';
import { collectMetrics } from '../metrics/compute';
import { renderMetrics } from '../metrics/render';
import { printJson, progress } from '../output';

const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** `--since`: a span back from now (`12h`, `30d`, `2w`) or a date (`2026-11-01`, ISO-8601). */
export function parseSince(value: string, now: Date): Date | undefined {
  const span = /^(\d{1,5})([hdw])$/.exec(value);
  if (span) return new Date(now.getTime() - Number(span[1]) * UNIT_MS[span[2] as keyof typeof UNIT_MS]);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) && t <= now.getTime() ? new Date(t) : undefined;
}

export const metricsCommand: Command = {
  name: 'metrics',
  summary: "DORA's four keys with their performance band, and security metrics, from the pipelines' histories",
  usage: `usage: airlock metrics [--service <s>] [--env <e>] [--since 30d] [--repo <dir>] [--json]

--since   the window: 12h, 30d, 2w, or a date (2026-11-01); default 30d
--repo    a clone where commit times are read for the lead time (default: the pipeline's repository when local)
Definitions: docs/metrics.md.`,
  async run(argv) {
    const now = new Date();
    const args = parseCommandArgs(
      'metrics',
      argv,
      { service: { type: 'string' }, env: { type: 'string' }, since: { type: 'string', default: '30d' }, repo: { type: 'string' }, ...jsonFlag },
      z.object({
        service: z.string().min(1).optional(),
        env: z.string().min(1).optional(),
        since: z.string().transform((v, ctx) => parseSince(v, now) ?? (ctx.addIssue({ code: 'custom', message: 'expected a span (12h, 30d, 2w) or a past date (2026-11-01)' }), z.NEVER)),
        repo: z.string().min(1).optional(),
        json: z.boolean(),
        positionals: z.array(z.string()).max(0),
      }),
    );
    await withClient(async (client) => {
      const report = await collectMetrics(
        client,
        { since: args.since, ...(args.service ? { service: args.service } : {}), ...(args.env ? { env: args.env } : {}) },
        { now, ...(args.repo ? { repo: args.repo } : {}), onProgress: (read, total) => read % 25 === 0 && progress(`read ${read}/${total} pipeline histories`) },
      );
      if (args.json) return printJson(report);
      process.stdout.write(`${renderMetrics(report)}\n`);
    });
  },
};

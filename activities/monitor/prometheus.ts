import { z } from 'zod';
import { MetricsUnavailableError } from '../errors';

/** Prometheus HTTP API: instant queries whose answer is one number (or no data). */
const answerSchema = z.object({
  status: z.enum(['success', 'error']),
  error: z.string().optional(),
  data: z
    .object({
      resultType: z.string(),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
    })
    .optional(),
});

export interface PrometheusClient {
  /** The query's single value; null when there is no sample or it is NaN (e.g. 0/0: no requests). */
  scalar(query: string): Promise<number | null>;
}

export function createPrometheusClient(baseUrl: string, timeoutMs = 5000): PrometheusClient {
  return {
    async scalar(query) {
      const url = `${baseUrl}/api/v1/query?query=${encodeURIComponent(query)}`;
      let body: unknown;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        body = await res.json();
      } catch (err) {
        throw new MetricsUnavailableError(`Prometheus at ${baseUrl} did not answer (${(err as Error).message}); start it with \`airlock dev up\``, { query });
      }
      const parsed = answerSchema.safeParse(body);
      if (!parsed.success) throw new MetricsUnavailableError(`Prometheus at ${baseUrl} answered something unexpected`, { query });
      if (parsed.data.status === 'error') throw new MetricsUnavailableError(`Prometheus rejected the query: ${parsed.data.error}`, { query });
      const first = parsed.data.data?.result[0];
      if (!first) return null;
      const n = Number(first.value[1]);
      return Number.isFinite(n) ? n : null;
    },
  };
}

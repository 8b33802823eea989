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

/** One answer to an instant query: a number, or why there is none. */
export type Reading = { value: number } | { value: null; problem: string };

/** One series of an instant vector: its labels and value (NaN and +-Inf kept as such). */
export interface Sample {
  labels: Record<string, string>;
  value: number;
  /** Unix seconds of the sample. */
  at: number;
}

export interface PrometheusClient {
  /** The query's single value; null when there is no sample or it is NaN (e.g. 0/0: no requests). */
  scalar(query: string): Promise<number | null>;
  /** The query's first value, or why there is none (no data, NaN, +-Inf are different answers). */
  read(query: string): Promise<Reading>;
  /** Every series of the answer. */
  vector(query: string): Promise<Sample[]>;
}

/** Prometheus writes non-finite values as "NaN", "+Inf", "-Inf". */
function readingOf(text: string): Reading {
  const n = Number(text);
  if (Number.isNaN(n)) return { value: null, problem: 'NaN' };
  if (n === Infinity) return { value: null, problem: '+Inf' };
  if (n === -Infinity) return { value: null, problem: '-Inf' };
  return { value: n };
}

export function createPrometheusClient(baseUrl: string, timeoutMs = 5000): PrometheusClient {
  const client: PrometheusClient = {
    async scalar(query) {
      const r = await client.read(query);
      return r.value;
    },
    async read(query) {
      const first = (await results(query))[0];
      return first ? readingOf(first.value[1]) : { value: null, problem: 'no data' };
    },
    async vector(query) {
      return (await results(query)).map((r) => ({ labels: r.metric, value: Number(r.value[1]), at: r.value[0] }));
    },
  };
  async function results(query: string) {
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
    return parsed.data.data?.result ?? [];
  }
  return client;
}

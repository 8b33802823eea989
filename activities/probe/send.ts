import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { loopbackUrl } from '../monitor/load';
import type { ProbeResponse } from './judge';
import type { Probe } from './plan';

/** Bounds of one run: per request, in total, in parallel. */
export interface SendLimits {
  timeoutMs: number;
  budgetMs: number;
  concurrency: number;
  maxRequests: number;
}

export const DEFAULT_LIMITS: SendLimits = { timeoutMs: 2000, budgetMs: 20_000, concurrency: 8, maxRequests: 1000 };
/** Bytes of each answer kept for the judge (stack traces and banners show in the first ones). */
const KEEP_BYTES = 8192;

/**
 * Sends the probes to `baseUrl` (loopback only: RangeError otherwise) with node:http(s), `concurrency` at a
 * time. A probe that does not answer within `timeoutMs` is a hang; probes left when `budgetMs` runs out,
 * or beyond `maxRequests`, are not sent and say so (the judge counts them against the check, never as passed).
 */
export async function sendProbes(baseUrl: string, probes: Probe[], limits: SendLimits = DEFAULT_LIMITS, onProgress?: (done: number) => void): Promise<ProbeResponse[]> {
  const base = loopbackUrl(baseUrl, 'security probes');
  const client = base.protocol === 'https:' ? https : http;
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new RangeError(`security probes speak http or https, not ${base.protocol}`);
  const agent = new client.Agent({ keepAlive: true, maxSockets: limits.concurrency, ...(client === https ? { rejectUnauthorized: false } : {}) });
  const deadline = Date.now() + limits.budgetMs;
  const results: ProbeResponse[] = new Array(probes.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < probes.length; i = next++) {
      const p = probes[i]!;
      results[i] = i >= limits.maxRequests || Date.now() >= deadline ? { id: p.id, status: null, headers: {}, body: '', error: 'not-sent', ms: 0 } : await sendOne(client, agent, base, p, limits.timeoutMs);
      onProgress?.(++done);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, limits.concurrency) }, worker));
  } finally {
    agent.destroy();
  }
  return results;
}

function sendOne(client: typeof http | typeof https, agent: http.Agent, base: URL, p: Probe, timeoutMs: number): Promise<ProbeResponse> {
  const started = Date.now();
  const url = new URL(p.target, base);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Omit<ProbeResponse, 'id' | 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ id: p.id, ms: Date.now() - started, ...r });
    };
    const headers = { ...p.headers, ...(p.body !== undefined ? { 'content-length': String(Buffer.byteLength(p.body)) } : {}) };
    const req = client.request(url, { method: p.method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const tls = (res.socket as TLSSocket).getProtocol?.() ?? undefined;
      res.on('data', (c: Buffer) => {
        if (kept < KEEP_BYTES) chunks.push(c.subarray(0, KEEP_BYTES - kept));
        kept += c.length;
      });
      const flat = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]));
      const reply = () => finish({ status: res.statusCode ?? null, headers: flat, body: Buffer.concat(chunks).toString('utf8'), ...(tls !== undefined ? { tls } : {}) });
      res.on('end', reply);
      res.on('error', reply);
    });
    // a hang: no complete answer in time (the socket is dropped, the next probe gets a fresh one)
    const timer = setTimeout(() => {
      finish({ status: null, headers: {}, body: '', error: 'timeout' });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ status: null, headers: {}, body: '', error: err.code ?? err.message }));
    req.end(p.body);
  });
}

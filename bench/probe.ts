import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runProbes } from '../activities/probe';
import type { SecurityEndpoint } from '../model/runtime-security';
import { report, runBench } from './support/run';

// How long the runtime security stage's probes take for 20 declared endpoints (issue 21: <= 3 s): 10
// auth-required GETs and 10 public POSTs with a strict JSON body, served by a local HTTP server that
// logs every request (the log check reads those lines). Every policy check required. Median of 3 runs.
// Run: node dist/bench/probe.js [--json]  (after npm run build). Needs no stack.

const ENDPOINTS = 20;
const RUNS = 3;
const BUDGET_MS = 3000;

const endpoints: SecurityEndpoint[] = Array.from({ length: ENDPOINTS }, (_, i) =>
  i % 2 === 0
    ? { path: `/api/r${i}`, method: 'GET', auth: 'required' }
    : { path: `/api/w${i}`, method: 'POST', auth: 'public', body: { name: 'string', count: 'number', tags: 'array' } },
);

/** A well-behaved service: 401 without the token, strict bodies, one log line per request. */
function startServer(logs: string[]): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (code: number) => {
        res.writeHead(code, { 'content-type': 'application/json' }).end('{}');
        logs.push(`${req.method} ${req.url} ${code} id=${String(req.headers['x-request-id'])}`);
      };
      if (req.method === 'GET') return answer(req.headers.authorization === 'Bearer right' ? 200 : 401);
      try {
        const v = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
        const ok = Object.keys(v).length === 3 && typeof v.name === 'string' && typeof v.count === 'number' && Array.isArray(v.tags);
        answer(ok ? 201 : 400);
      } catch {
        answer(400);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main(): Promise<void> {
  const logs: string[] = [];
  const server = await startServer(logs);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const times: number[] = [];
  let last;
  try {
    for (let run = 0; run < RUNS; run++) {
      const t = performance.now();
      last = await runProbes({
        url,
        endpoints,
        requirements: { authentication: 'mandatory', input_validation: 'strict', error_handling: 'secure', encryption_in_transit: 'required', logging: 'comprehensive' },
        exceptions: [],
        readLogs: async () => logs.join('\n'),
      });
      times.push(performance.now() - t);
      if (!last.passed) throw new Error(`the well-behaved bench service did not pass: ${JSON.stringify(last.findings.slice(0, 3))}`);
    }
  } finally {
    server.close();
  }
  const median = [...times].sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
  report({ endpoints: ENDPOINTS, requests: last!.requests, medianMs: Math.round(median), runsMs: times.map(Math.round), budgetMs: BUDGET_MS }, median <= BUDGET_MS, [
    `runtime security probes: ${ENDPOINTS} endpoints, ${last!.requests} requests, median ${Math.round(median)} ms of ${RUNS} runs (${times.map((x) => Math.round(x)).join(', ')} ms); target <= ${BUDGET_MS} ms`,
  ]);
}

if (require.main === module) runBench(main);

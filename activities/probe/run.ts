import { randomBytes } from 'node:crypto';
import type { PolicyException, SecurityRequirements } from '../../model/policy';
import type { RuntimeSecurityReport, SecurityEndpoint } from '../../model/runtime-security';
import { judgeProbes } from './judge';
import { planProbes } from './plan';
import { DEFAULT_LIMITS, sendProbes, type SendLimits } from './send';

export interface ProbeRun {
  url: string;
  endpoints: SecurityEndpoint[];
  requirements: SecurityRequirements;
  exceptions: PolicyException[];
  /** Reads the service's logs written since `sinceMs`; absent: logging is not checked. */
  readLogs?: (sinceMs: number) => Promise<string>;
  limits?: Partial<SendLimits>;
  now?: () => Date;
  onProgress?: (done: number, total: number) => void;
}

/** Lines written after the last answer can lag behind it (stdout buffering, the log driver): read again until this. */
const LOG_SETTLE_MS = 3000;
const LOG_POLL_MS = 250;

/** Plans, sends and judges one run of the probes: what the pipeline's stage and `airlock probe` both do. */
export async function runProbes(run: ProbeRun): Promise<RuntimeSecurityReport> {
  const now = run.now ?? (() => new Date());
  const probes = planProbes(run.endpoints, randomBytes(6).toString('hex'));
  const started = Date.now();
  const responses = await sendProbes(run.url, probes, { ...DEFAULT_LIMITS, ...run.limits }, (n) => run.onProgress?.(n, probes.length));
  let logs: string | undefined;
  if (run.readLogs) {
    const until = Date.now() + LOG_SETTLE_MS;
    for (;;) {
      logs = await run.readLogs(started);
      if (probes.every((p) => logs!.includes(p.id)) || Date.now() >= until) break;
      await new Promise((r) => setTimeout(r, LOG_POLL_MS));
    }
  }
  return judgeProbes({
    url: run.url,
    requirements: run.requirements,
    exceptions: run.exceptions,
    probes,
    responses,
    ...(logs !== undefined ? { logs } : {}),
    endpoints: run.endpoints.length,
    durationMs: Date.now() - started,
    now: now(),
  });
}

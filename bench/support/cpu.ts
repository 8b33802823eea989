import { readFileSync } from 'node:fs';

/**
 * The machine's busy CPU time, sampled from /proc/stat: how many core-seconds a stretch of time used, all
 * processes together (the worker, Trivy, dockerd and BuildKit, the containers, the router, Temporal,
 * Prometheus). Sizing a worker host needs exactly that sum: a scan's cost is mostly Trivy's and dockerd's,
 * not the worker's own process.
 */
export interface CpuSampler {
  /** Busy core-seconds between two times (epoch ms), interpolated between samples. */
  busyBetween(fromMs: number, toMs: number): number;
  /** Busy cores on average over the last `ms` milliseconds (the idle baseline). */
  busyCoresOver(ms: number): number;
  stop(): void;
}

const TICKS_PER_SECOND = 100; // USER_HZ: /proc/stat counts in 1/100 s on Linux (getconf CLK_TCK)

/** Busy ticks so far: user, nice, system, irq, softirq and steal of the aggregate `cpu` line. */
export function busyTicks(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no aggregate cpu line');
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return [user, nice, system, irq, softirq, steal].reduce<number>((t, x) => t + (Number.isFinite(x) ? x! : 0), 0);
}

/** Samples /proc/stat every `intervalMs` until stopped. */
export function startCpuSampler(intervalMs = 50): CpuSampler {
  const samples: { t: number; busy: number }[] = [];
  const sample = () => samples.push({ t: Date.now(), busy: busyTicks(readFileSync('/proc/stat', 'utf8')) / TICKS_PER_SECOND });
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  const at = (t: number): number => {
    if (t <= samples[0]!.t) return samples[0]!.busy;
    const i = samples.findIndex((s) => s.t >= t);
    if (i < 0) return samples.at(-1)!.busy;
    const a = samples[i - 1]!;
    const b = samples[i]!;
    return b.t === a.t ? b.busy : a.busy + ((b.busy - a.busy) * (t - a.t)) / (b.t - a.t);
  };
  return {
    busyBetween: (fromMs, toMs) => Math.max(0, at(toMs) - at(fromMs)),
    busyCoresOver(ms) {
      const now = Date.now();
      return (at(now) - at(now - ms)) / (ms / 1000);
    },
    stop: () => clearInterval(timer),
  };
}

import { cpus } from 'node:os';
import { busyTicks, startCpuSampler } from '../../bench/support/cpu';

// The lead-time bench's CPU per stage (docs/scale-out.md, worker sizing) reads /proc/stat.

test('busy ticks: user, nice, system, irq, softirq and steal; idle and iowait are not busy', () => {
  const stat = 'cpu  100 5 50 9000 40 3 2 1 0 0\ncpu0 50 2 25 4500 20 1 1 0 0 0\nintr 1\n';
  expect(busyTicks(stat)).toBe(100 + 5 + 50 + 3 + 2 + 1);
  expect(() => busyTicks('intr 1\n')).toThrow(/no aggregate cpu line/);
});

test('a busy loop shows as about one busy core; nothing is negative or past the samples', async () => {
  const cpu = startCpuSampler(20);
  try {
    const from = Date.now();
    while (Date.now() - from < 400) Math.sqrt(Math.random()); // one core busy for 0.4 s
    await new Promise((r) => setTimeout(r, 60));
    const used = cpu.busyBetween(from, from + 400);
    expect(used).toBeGreaterThan(0.2);
    expect(used).toBeLessThan(0.4 * cpus().length + 0.1); // at most every core, plus a tick of rounding
    expect(cpu.busyBetween(from + 400, from)).toBe(0);
    expect(cpu.busyCoresOver(400)).toBeGreaterThanOrEqual(0);
  } finally {
    cpu.stop();
  }
});

// The evidence store on a full disk: a tmpfs mounted over $AIRLOCK_HOME/evidence (with the store's files
// copied in, so earlier releases' evidence is still there), filled to the last byte. A pipeline that must
// write evidence then fails with the full disk named, and leaves no torn file: every file in the store
// hashes to its name and no temp file is left. With the space back, the next pipeline is promoted.
// Needs root (mount) and the stack lock (the store is shared); the tmpfs is always unmounted, and what was
// written to it is copied back first, so the store loses nothing.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChaosDriver } from './driver';
import type { FaultPlan, RunResult } from './plan';

const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
};

/** Files of the store that do not hash to their name, and temp files left behind. */
export function tornEvidence(dir: string): string[] {
  const sub = join(dir, 'sha256');
  if (!existsSync(sub)) return [];
  const bad: string[] = [];
  for (const f of readdirSync(sub)) {
    if (!/^[0-9a-f]{64}$/.test(f)) bad.push(`temp file ${f} left in the evidence store`);
    else if (createHash('sha256').update(readFileSync(join(sub, f))).digest('hex') !== f) bad.push(`evidence file ${f} does not hash to its name (torn)`);
  }
  return bad;
}

const usedBytes = (dir: string) => Number(sh('du', ['-sb', dir]).split('\t')[0]);

export async function diskFullRuns(driver: ChaosDriver, log: (line: string) => void): Promise<RunResult[]> {
  const dir = driver.world.config.dirs.evidence;
  mkdirSync(dir, { recursive: true });
  const size = Math.ceil((usedBytes(dir) * 1.1 + 16 * 2 ** 20) / 2 ** 20);
  const saved = `${dir}.chaos-${process.pid}`;
  sh('cp', ['-a', dir, saved]); // the store as it was, to copy back from if the mount cannot be removed cleanly
  sh('mount', ['-t', 'tmpfs', '-o', `size=${size}m,mode=0700`, 'airlock-chaos-evidence', dir]);
  const results: RunResult[] = [];
  try {
    sh('cp', ['-a', `${saved}/.`, dir]);
    const filler = join(dir, 'chaos-filler');
    spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { encoding: 'utf8' }); // ends with ENOSPC: the disk is full
    log(`[${driver.world.environment}] disk-full: evidence store on a ${size} MiB tmpfs, filled`);
    const full: FaultPlan = { kind: 'disk-full', stage: 'change-analysis', change: 'docs', delayMs: 0 };
    const r1 = await driver.run(full);
    if (r1.outcome === 'failed' && !/ENOSPC|no space/i.test(r1.detail ?? '')) r1.error = `the failure does not name the full disk: ${r1.detail}`;
    r1.orphans.push(...tornEvidence(dir).filter((t) => !t.includes('chaos-filler')));
    results.push(r1);
    log(`[${driver.world.environment}] -> ${r1.outcome ?? '-'} (${r1.detail ?? r1.error ?? ''})`);
    rmSync(filler, { force: true });
    const r2 = await driver.run({ ...full, recovery: true });
    r2.orphans.push(...tornEvidence(dir));
    results.push(r2);
    log(`[${driver.world.environment}] space back -> ${r2.outcome ?? '-'}`);
    // what the runs stored goes back to the real store
    sh('cp', ['-a', `${dir}/.`, saved]);
  } finally {
    const u = spawnSync('umount', [dir]);
    if (u.status !== 0) spawnSync('umount', ['-l', dir]);
    sh('cp', ['-a', `${saved}/.`, dir]);
    rmSync(saved, { recursive: true, force: true });
  }
  return results;
}

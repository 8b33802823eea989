import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

// Trivy writes its raw report (secret matches, ENV values, build commands, unredacted) to disk before
// airlock can redact it. That file lives only in a per-scan directory under one 0700 root that belongs to
// the worker's user, and a directory left by a crashed process (kill -9, power loss: no `finally` ran)
// is removed by the next scan or worker start-up on the host.

/** The root of the scans' work directories: `<AIRLOCK_HOME>/run/scan-work`. */
export const scanWorkRoot = (dirs: { run: string }): string => join(dirs.run, 'scan-work');

/** A per-scan directory (0700, under a 0700 root) named after this process, so a sweep can tell live from dead. */
export async function scanWorkDir(root: string): Promise<string> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  await chmod(root, 0o700); // an older or hand-made root may have been created with wider rights
  return mkdtemp(join(root, `scan-${process.pid}-`));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
};

/**
 * Removes the work directories of processes that are gone (a crash mid-scan) and of this process's
 * earlier life when its pid was reused; the directories of scans running in other live processes stay.
 * Returns the names removed.
 */
export async function sweepScanWork(root: string, isAlive: (pid: number) => boolean = alive): Promise<string[]> {
  const entries = await readdir(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const dead = entries.filter((name) => {
    const m = /^scan-(\d+)-/.exec(name);
    return !m || !isAlive(Number(m[1]));
  });
  await Promise.all(dead.map((name) => rm(join(root, name), { recursive: true, force: true })));
  return dead;
}

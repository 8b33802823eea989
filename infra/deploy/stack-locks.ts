import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Pulumi's file backend locks a stack with `.pulumi/locks/organization/<project>/<stack>/<id>.json`
 * ({pid, hostname, ...} of the CLI holding it). A CLI killed with its worker leaves its lock behind and
 * every later update fails as "concurrent". A lock whose process is gone on this host is stale.
 */
export interface LockContent {
  pid: number;
  hostname: string;
}

export function isStale(lock: LockContent, host: string, alive: (pid: number) => boolean): boolean {
  return lock.hostname === host && !alive(lock.pid);
}

/** Whether pid runs (a zombie, killed but not yet reaped, does not). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/**
 * Removes the stale locks of a stack; returns the lock files removed. The file backend (gocloud's fileblob)
 * writes each blob with a `<name>.attrs` sidecar: it goes with its lock, and a sidecar whose lock is gone
 * (left by an older version of this function) is removed too (found by the chaos run: kill -9 at rollback).
 */
export function clearStaleLocks(backendDir: string, project: string, stack: string): string[] {
  const dir = join(backendDir, '.pulumi', 'locks', 'organization', project, stack);
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  const files = readdirSync(dir);
  for (const file of files.filter((f) => f.endsWith('.json'))) {
    const path = join(dir, file);
    try {
      const lock = JSON.parse(readFileSync(path, 'utf8')) as LockContent;
      if (isStale(lock, hostname(), processAlive)) {
        rmSync(path, { force: true });
        rmSync(`${path}.attrs`, { force: true });
        removed.push(path);
      }
    } catch {
      /* unreadable or already gone: leave it to Pulumi */
    }
  }
  for (const file of files.filter((f) => f.endsWith('.json.attrs') && !files.includes(f.slice(0, -'.attrs'.length)))) rmSync(join(dir, file), { force: true });
  return removed;
}

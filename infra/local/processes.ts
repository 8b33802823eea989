import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A host process airlock starts and owns: its pid file and log live under AIRLOCK_HOME. */
export interface ManagedProcess {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export interface ProcessDirs {
  run: string;
  logs: string;
}

const pidFile = (dirs: ProcessDirs, name: string) => join(dirs.run, `${name}.pid`);
export const logFile = (dirs: ProcessDirs, name: string): string => join(dirs.logs, `${name}.log`);

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped by its parent) is dead: waiting for it to vanish can deadlock when
  // its parent is the one waiting (a test that restarted a service, then runs `airlock dev down` with
  // spawnSync, blocks the very event loop that would reap it).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: trust kill(0)
  }
}

/** The pid recorded for `name` if that process is still running the same program, else undefined. */
export function ownedPid(dirs: ProcessDirs, name: string, command?: string): number | undefined {
  const file = pidFile(dirs, name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  if (command) {
    // A recycled pid must not be mistaken for ours.
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes(command.split('/').pop()!)) return undefined;
    } catch {
      /* no procfs: trust the pid */
    }
  }
  return pid;
}

/** Starts `p` detached (it outlives the CLI), output appended to its log, pid recorded. */
export function startProcess(dirs: ProcessDirs, p: ManagedProcess): number {
  mkdirSync(dirs.run, { recursive: true });
  mkdirSync(dirs.logs, { recursive: true });
  const out = openSync(logFile(dirs, p.name), 'a');
  try {
    const child = spawn(p.command, p.args, {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, ...p.env },
    });
    if (child.pid === undefined) throw new Error(`${p.name}: could not start ${p.command}`);
    child.unref();
    writeFileSync(pidFile(dirs, p.name), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** Stops the process recorded for `name` (SIGTERM, then SIGKILL after `graceMs`). Returns whether one ran. */
export async function stopProcess(dirs: ProcessDirs, name: string, graceMs = 15_000): Promise<boolean> {
  const pid = ownedPid(dirs, name);
  rmSync(pidFile(dirs, name), { force: true });
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  return true;
}

/** Last lines of a process's log, for error messages. */
export function logTail(dirs: ProcessDirs, name: string, lines = 15): string {
  try {
    return readFileSync(logFile(dirs, name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

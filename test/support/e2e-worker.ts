import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { CLI } from './cli';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The last lines of a log file (for failure messages). */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The pids of a process's descendants, from ps. */
function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is none
  }
  const children = out.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
  return children.flatMap((c) => [c, ...descendants(c)]);
}

/**
 * `airlock worker` as a child process logging to `logFile`. It stays in the test's process group, so an
 * interrupted test run does not leave it polling; kill9() takes its Pulumi and Trivy children with it,
 * like a machine that dies.
 */
export class WorkerProcess {
  private exited: Promise<void>;
  private done = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => (this.done = true));
  }

  /**
   * Starts a worker with `env` (TEMPORAL_TASK_QUEUE...) and waits until it polls its task queue. `wrap`: a
   * command that execs the worker's command line given as its last arguments (e.g. `ip netns exec <ns>`).
   */
  static async start(env: Record<string, string>, logFile: string, timeoutMs = 90_000, wrap: string[] = []): Promise<WorkerProcess> {
    const fd = openSync(logFile, 'a');
    const [command, ...args] = [...wrap, process.execPath, CLI, 'worker'];
    const child = spawn(command!, args, { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const worker = new WorkerProcess(child, logFile);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (worker.done) throw new Error(`the worker exited before it ran (log ${logFile}):\n${tail(logFile)}`);
      if (/"state":"RUNNING"/.test(readFileSync(logFile, 'utf8'))) return worker;
      if (Date.now() > deadline) {
        await worker.kill9();
        throw new Error(`the worker did not start within ${timeoutMs / 1000}s (log ${logFile}):\n${tail(logFile)}`);
      }
      await sleep(250);
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return !this.done;
  }

  /** kill -9 of the worker and everything it started. */
  async kill9(): Promise<void> {
    if (this.done) return;
    for (const pid of [this.pid, ...descendants(this.pid)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await this.exited;
  }

  /** SIGTERM (the worker drains and exits); kill -9 if it takes longer than `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.done) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([this.exited.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
    clearTimeout(timer);
    if (!stopped) await this.kill9();
  }
}

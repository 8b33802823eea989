// The faults of the chaos run, on the real local stack. Each returns a `restore` that brings the
// component back (healthy) once the run has seen enough of the fault; the driver always calls it.
// Stopping Temporal, dockerd, Prometheus or the registry hurts everyone using the stack: the caller holds
// /tmp/airlock-stack.lock (scripts/test.sh and scripts/bench.sh are run under flock).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureService, processDirs, type ServiceName } from '../../../infra/local/stack';
import { isAlive, ownedPid, sleep, stopProcess } from '../../../infra/local/processes';
import { projectRoot } from '../../../infra/local/tools';
import type { AirlockConfig } from '../../../infra/config';
import type { E2eWorld } from '../e2e-world';
import type { FaultKind } from './plan';

export type Restore = () => Promise<void>;

const nothing: Restore = async () => undefined;

/** Stops a service `airlock dev up` started; refuses an external one (it is not ours to stop). */
async function stopService(config: AirlockConfig, name: ServiceName): Promise<Restore> {
  const dirs = processDirs(config);
  if (!(await stopProcess(dirs, name))) throw new Error(`${name} was not started by \`airlock dev up\` (external): the chaos run only stops the local one`);
  let restored: Promise<unknown> | undefined;
  return async () => {
    restored ??= ensureService(config, dirs, name);
    await restored;
  };
}

/**
 * dockerd stopped (SIGTERM: it stops every container, none has a restart policy) and started again the way
 * the bootstrap starts it (scripts/start-docker.sh).
 */
export async function restartDockerd(config: AirlockConfig): Promise<void> {
  const dirs = processDirs(config);
  const pid = ownedPid(dirs, 'dockerd', 'dockerd');
  if (pid === undefined) throw new Error('dockerd was not started by the bootstrap (no live pid in $AIRLOCK_HOME/run/dockerd.pid): the chaos run only restarts that one');
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) throw new Error(`dockerd (pid ${pid}) did not stop within 60 s`);
  const r = spawnSync('bash', [join(projectRoot(), 'scripts', 'start-docker.sh')], { encoding: 'utf8', env: { ...process.env, AIRLOCK_HOME: config.home }, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`scripts/start-docker.sh exited ${r.status}: ${r.stderr}`);
}

/** How long the registry stays down during a build before it comes back (the build's retries may ride it out). */
export const REGISTRY_DOWN_MS = 20_000;

/** Injects one fault now; the returned restore is called when the run is over (or earlier, for the registry). */
export async function inject(kind: FaultKind, world: E2eWorld): Promise<Restore> {
  switch (kind) {
    case 'kill-9':
      await world.worker!.kill9();
      await world.startWorker();
      return nothing;
    case 'temporal-restart': {
      const restore = await stopService(world.config, 'temporal');
      await sleep(1000);
      await restore();
      return nothing;
    }
    case 'dockerd-restart':
      await restartDockerd(world.config);
      return nothing;
    case 'prometheus-down':
      return stopService(world.config, 'prometheus');
    case 'registry-down': {
      const restore = await stopService(world.config, 'registry');
      const timer = sleep(REGISTRY_DOWN_MS).then(restore);
      return async () => {
        await timer;
      };
    }
    case 'disk-full':
      return nothing; // the disk was filled before the run (disk-full.ts): the pipeline meets it at its first evidence write
  }
}

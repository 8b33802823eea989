import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type Docker from 'dockerode';
import { redactDeep } from '../../model/redact';
import { createStackDriver, type StackDriver } from '../../infra/deploy/stack';
import { ADMIN_SOCKET } from '../../infra/haproxy/config';
import { MAX_SOCKET_PATH } from '../../infra/haproxy/runtime-api';
import { dockerClient } from '../../infra/local/probes';
import { prometheusTargetsDir } from '../../infra/local/stack';
import type { AirlockConfig } from '../../infra/config';
import { createPrometheusClient, type PrometheusClient } from '../monitor/prometheus';
import { queryLockHolder, type LockHolderLookup } from './lease';
import { deployAdmissionOf, type DeployAdmission } from './admission';

/** What deploy and monitor activities are built with (style.md: activities by a factory with injected clients). */
export interface DeployDeps {
  config: AirlockConfig;
  driver?: StackDriver;
  prometheus?: PrometheusClient;
  /** Heartbeat with progress details; defaults to the Temporal activity context when in a worker. */
  heartbeat?: (details: unknown) => void;
  /** Cancellation-aware sleep; defaults to the activity context's, else a timer. */
  sleep?: (ms: number) => Promise<void>;
  log?: { info(message: string, meta?: Record<string, unknown>): void; warn(message: string, meta?: Record<string, unknown>): void };
  now?: () => Date;
  /** Who holds an environment's lock (the fencing check, lease.ts); defaults to the lock workflow's query. */
  lockHolder?: LockHolderLookup;
  /** The Docker engine (the router's backends.cfg is written through it); defaults to the configured one. */
  docker?: Docker;
  /** The deploy host's own evidence check before a candidate is created; defaults to the configuration's (admission.ts). */
  admit?: DeployAdmission;
}

export type ResolvedDeps = Required<DeployDeps>;

const inActivity = (): Context | undefined => {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
};

export function resolveDeps(deps: DeployDeps): ResolvedDeps {
  return {
    config: deps.config,
    driver: deps.driver ?? createStackDriver(deps.config),
    prometheus: deps.prometheus ?? createPrometheusClient(deps.config.prometheusUrl),
    heartbeat: deps.heartbeat ?? ((details) => inActivity()?.heartbeat(redactDeep(details))),
    sleep: deps.sleep ?? ((ms) => inActivity()?.sleep(ms) ?? new Promise((r) => setTimeout(r, ms))),
    log: deps.log ?? {
      info: (message, meta) => inActivity()?.log.info(message, meta),
      warn: (message, meta) => inActivity()?.log.warn(message, meta),
    },
    now: deps.now ?? (() => new Date()),
    lockHolder: deps.lockHolder ?? queryLockHolder,
    docker: deps.docker ?? dockerClient(deps.config),
    admit: deps.admit ?? deployAdmissionOf(deps.config),
  };
}

/** The Prometheus file_sd file of one environment. */
export const targetsFile = (config: AirlockConfig, stack: string): string => `${prometheusTargetsDir(config)}/${stack}.json`;

/**
 * The host directory of an environment's router admin socket: run/routers/<stack>, or a digest of the
 * stack's name where that would make the socket's path too long.
 */
export function routerAdminDir(config: Pick<AirlockConfig, 'dirs'>, stack: string): string {
  const dir = join(config.dirs.run, 'routers', stack);
  if (Buffer.byteLength(join(dir, ADMIN_SOCKET)) <= MAX_SOCKET_PATH) return dir;
  return join(config.dirs.run, 'routers', createHash('sha256').update(stack).digest('hex').slice(0, 16));
}

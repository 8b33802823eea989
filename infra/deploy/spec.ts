import type { ReleaseRecord } from '../../model/deploy';
import type { Resources } from '../../model/manifest';

/** One release's containers in the stack. Settings are fixed when the release is deployed: a later
 * manifest change applies to the next release, never to running containers. */
export interface ReleaseSpec {
  releaseId: string;
  image: string; // image@digest
  replicas: number;
  port: number;
  healthPath: string;
  /** Path of the app's Prometheus metrics, or null when it has none. */
  metricsPath: string | null;
  env: Record<string, string>;
  /** Container limits; absent in specs of releases deployed before airlock set them (their containers keep running as they are). */
  resources?: Resources;
}

/**
 * Desired state of one (service, env) stack: the input of the Pulumi program. Every deploy activity
 * reads the previous spec from the stack's outputs, derives the next one with a pure plan function
 * (plan.ts) and runs `up` with it.
 */
export interface StackSpec {
  service: string;
  environment: string;
  stack: string;
  routerImage: string;
  routerPort: number;
  stable: ReleaseSpec | null;
  candidate: ReleaseSpec | null;
  /** Share of user traffic the candidate receives, 0..100. */
  candidateWeight: number;
  /** Releases that were stable, newest first. */
  history: ReleaseRecord[];
  /** Prometheus file_sd file for this environment. */
  targetsFile: string;
  /** Host directory of the router's admin socket (AIRLOCK_HOME/run/routers/...). */
  routerAdminDir: string;
  healthIntervalMs: number;
  /**
   * Host directory of the environment's feature flags (AIRLOCK_HOME/flags/<service>/<env>, issue 18), mounted
   * read-only into each release container created from now on; absent in specs from before flags.
   */
  flagsDir?: string;
}

/**
 * The path the router's health checks use for every server (one per backend in HAProxy): the stable
 * release's, else the candidate's. A candidate with another health path is still checked by Docker with
 * its own; the router switches paths when it is promoted.
 */
export function routerHealthPath(spec: Pick<StackSpec, 'stable' | 'candidate'>): string {
  return spec.stable?.healthPath ?? spec.candidate?.healthPath ?? '/';
}

/** How many past releases the stack remembers for `airlock rollback --to`. */
export const HISTORY_LIMIT = 20;

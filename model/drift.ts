// Drift (issue 16): what an environment's Pulumi state says should run, what really runs, and the
// difference. Plain types, no zod: workflow code imports them (the bundle stays zod-free).

export type DriftKind =
  | 'container-missing'
  | 'container-stopped'
  | 'container-image'
  | 'container-extra'
  | 'server-missing'
  | 'server-extra'
  | 'weight-differs'
  | 'router-unreachable';

export interface DriftItem {
  kind: DriftKind;
  /** The container (`shop-prod-abc-1`) or router server (`app/shop-prod-abc-1`) concerned. */
  resource: string;
  expected?: string;
  actual?: string;
  /** One line a person reads. */
  detail: string;
}

/** A container the recorded state holds. */
export interface ExpectedContainer {
  name: string;
  /** image@digest for releases, the router image for the router */
  image: string;
  role: 'release' | 'router';
}

/** A router server the recorded state holds, with its weight. */
export interface ExpectedServer {
  backend: string;
  name: string;
  weight: number;
}

export interface ExpectedEnvironment {
  service: string;
  environment: string;
  stack: string;
  network: string;
  containers: ExpectedContainer[];
  servers: ExpectedServer[];
}

/** A container docker reports for the environment (by its airlock labels, or attached to its network). */
export interface ObservedContainer {
  name: string;
  /** The image the container was created from, as given (Config.Image) */
  image: string;
  running: boolean;
  /** docker's state word: running, exited, created, ... */
  state: string;
}

export interface ObservedEnvironment {
  containers: ObservedContainer[];
  /** The router's servers from its runtime API; null when the router could not be asked. */
  servers: ExpectedServer[] | null;
}

/** detectDrift's answer: no drift is an empty list; `deployed: false` when the environment has no recorded state. */
export interface DriftReport {
  service: string;
  environment: string;
  deployed: boolean;
  checkedAt: string;
  drift: DriftItem[];
  /** The stable release's image (image@digest), to find the environment's protected policy. */
  stableImage?: string;
}

export interface DriftRequest {
  service: string;
  environment: string;
}

/** What a drift check did: detected, and reconciled when asked (policy `compliance.onDrift: reconcile` or `--reconcile`). */
export interface DriftCheckResult extends DriftReport {
  reconciled: boolean;
  /** Drift still there after reconciling (empty when it worked). */
  remaining?: DriftItem[];
  /** Why nothing was checked or reconciled (not deployed, ...). */
  note?: string;
}

/** Workflow id of the scheduled / on-demand drift check of one environment. */
export const driftScheduleId = (service: string, environment: string): string => `airlock-drift/${service}/${environment}`;

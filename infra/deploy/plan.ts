import { resourcesOf } from '../../model/manifest';
import { replicasOf, type DeployTarget, type ReleaseRecord, type ReleaseRef } from '../../model/deploy';
import { stackName } from '../../model/names';
import { HISTORY_LIMIT, type ReleaseSpec, type StackSpec } from './spec';

/**
 * Pure transitions of a stack's desired state, one per deploy verb. Each is idempotent by release id:
 * applied twice, the second application changes nothing and says `reused`.
 */

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

export interface Plan {
  spec: StackSpec;
  /** true when the spec already was what the verb asks for. */
  reused: boolean;
  /** Release ids whose containers this plan removes. */
  removed: string[];
}

export interface StackEnvironment {
  routerImage: string;
  targetsFile: string;
  routerAdminDir: string;
  healthIntervalMs?: number;
  flagsDir?: string;
}

/** The spec the target asks for, keeping the releases, weight and history of the previous spec. */
export function specForTarget(target: DeployTarget, previous: StackSpec | null, env: StackEnvironment): StackSpec {
  return {
    service: target.service,
    environment: target.environment,
    stack: stackName(target.service, target.environment),
    routerImage: env.routerImage,
    routerPort: target.settings.routerPort,
    stable: previous?.stable ?? null,
    candidate: previous?.candidate ?? null,
    candidateWeight: previous?.candidateWeight ?? 0,
    history: previous?.history ?? [],
    targetsFile: env.targetsFile,
    routerAdminDir: env.routerAdminDir,
    healthIntervalMs: env.healthIntervalMs ?? 1000,
    ...(env.flagsDir ? { flagsDir: env.flagsDir } : {}),
  };
}

/** A release's containers as the target's settings say today (fixed from then on). */
export function releaseSpec(release: ReleaseRef, target: DeployTarget): ReleaseSpec {
  return {
    releaseId: release.releaseId,
    image: release.image,
    replicas: replicasOf(target),
    port: target.run.port,
    healthPath: target.run.health,
    metricsPath: target.run.metrics ?? null,
    env: target.settings.env,
    resources: resourcesOf(target.run.resources),
  };
}

const sameRelease = (a: ReleaseSpec, b: ReleaseRef) => a.releaseId === b.releaseId && a.image === b.image;

function immutable(existing: ReleaseSpec, release: ReleaseRef): void {
  if (existing.releaseId === release.releaseId && existing.image !== release.image) {
    throw new PlanError(`release ${release.releaseId} is already deployed from ${existing.image}; releases are immutable, so ${release.image} needs a new release id`);
  }
}

/** Adds the candidate (no user traffic yet). The stable release, if any, keeps serving. */
export function planDeploy(spec: StackSpec, release: ReleaseRef, target: DeployTarget): Plan {
  if (spec.stable) immutable(spec.stable, release);
  if (spec.candidate) immutable(spec.candidate, release);
  if (spec.stable && sameRelease(spec.stable, release)) return { spec, reused: true, removed: [] };
  if (spec.candidate && sameRelease(spec.candidate, release)) return { spec, reused: true, removed: [] };
  if (spec.candidate) {
    throw new PlanError(
      `${spec.stack} is in the middle of rolling out ${spec.candidate.releaseId}: promote or roll it back first (airlock rollback --service ${spec.service} --env ${spec.environment})`,
    );
  }
  const candidate = releaseSpec(release, target);
  return { spec: { ...spec, candidate, candidateWeight: 0 }, reused: false, removed: [] };
}

function requireCandidate(spec: StackSpec, releaseId: string, verb: string): ReleaseSpec {
  if (spec.candidate?.releaseId === releaseId) return spec.candidate;
  const now = spec.candidate ? `the candidate is ${spec.candidate.releaseId}` : 'there is no candidate';
  throw new PlanError(`cannot ${verb} ${releaseId} in ${spec.stack}: ${now}`);
}

/** Gives the candidate `weight` percent of user traffic. */
export function planShift(spec: StackSpec, releaseId: string, weight: number): Plan {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new PlanError(`traffic weight must be an integer 0..100, got ${weight}`);
  requireCandidate(spec, releaseId, 'shift traffic to');
  if (spec.candidateWeight === weight) return { spec, reused: true, removed: [] };
  return { spec: { ...spec, candidateWeight: weight }, reused: false, removed: [] };
}

function remember(history: ReleaseRecord[], record: ReleaseRecord): ReleaseRecord[] {
  return [record, ...history.filter((h) => h.releaseId !== record.releaseId)].slice(0, HISTORY_LIMIT);
}

/** The candidate becomes the stable release; the old stable release is removed (after draining). */
export function planPromote(spec: StackSpec, releaseId: string, now: string): Plan {
  if (spec.stable?.releaseId === releaseId && !spec.candidate) return { spec, reused: true, removed: [] };
  const candidate = requireCandidate(spec, releaseId, 'promote');
  return {
    spec: {
      ...spec,
      stable: candidate,
      candidate: null,
      candidateWeight: 0,
      history: remember(spec.history, { releaseId: candidate.releaseId, image: candidate.image, promotedAt: now }),
    },
    reused: false,
    removed: spec.stable ? [spec.stable.releaseId] : [],
  };
}

/** All user traffic back to the stable release, and the candidate removed. Rolling back a release that is not there is a no-op. */
export function planRollback(spec: StackSpec, releaseId: string): Plan {
  if (spec.candidate?.releaseId !== releaseId) {
    if (spec.stable?.releaseId === releaseId) {
      throw new PlanError(`${releaseId} is the stable release of ${spec.stack}: put an earlier one back with airlock rollback --to <release id>`);
    }
    return { spec, reused: true, removed: [] };
  }
  return { spec: { ...spec, candidate: null, candidateWeight: 0 }, reused: false, removed: [releaseId] };
}

/**
 * Puts a release from the history back as the stable release, at once (no analysis: this is the manual
 * rollback, allowed during freezes). Without `releaseId`, the release before the current stable one.
 * A candidate mid-rollout is removed too. The restored release gets new containers with the settings of
 * the release serving now (port, replicas, env).
 */
export function planRestore(spec: StackSpec, releaseId: string | undefined, now: string): Plan {
  const record = releaseId ? spec.history.find((h) => h.releaseId === releaseId) : spec.history.find((h) => h.releaseId !== spec.stable?.releaseId);
  if (!record) {
    const known = spec.history.map((h) => h.releaseId).join(', ') || 'none';
    throw new PlanError(
      releaseId ? `release ${releaseId} is not in the history of ${spec.stack} (known: ${known})` : `${spec.stack} has no earlier release to put back (history: ${known})`,
    );
  }
  if (spec.stable?.releaseId === record.releaseId && !spec.candidate) return { spec, reused: true, removed: [] };
  const template = spec.stable ?? spec.candidate;
  if (!template) throw new PlanError(`${spec.stack} has no release running to take settings from`);
  const removed = [spec.stable?.releaseId, spec.candidate?.releaseId].filter((r): r is string => !!r && r !== record.releaseId);
  const existing = [spec.stable, spec.candidate].find((r) => r?.releaseId === record.releaseId);
  const stable: ReleaseSpec = existing ?? { ...template, releaseId: record.releaseId, image: record.image };
  return {
    spec: { ...spec, stable, candidate: null, candidateWeight: 0, history: remember(spec.history, { ...record, promotedAt: now }) },
    reused: false,
    removed,
  };
}

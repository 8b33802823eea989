import { specForTarget } from '../../infra/deploy/plan';
import type { StackOutputs } from '../../infra/deploy/program';
import type { StackSpec } from '../../infra/deploy/spec';
import type { DeployTarget, EnvironmentRef, EnvironmentState } from '../../model/deploy';
import { stackName } from '../../model/names';
import { keepBeating } from '../shared';
import { routerAdminDir, targetsFile, type ResolvedDeps } from './deps';
import { flagsDirOf } from '../flags/store';

export interface LoadedEnvironment {
  /** The spec to start from: the last one, with the target's settings when a target is given. */
  spec: StackSpec;
  /** The spec of the last successful update, null for a new environment. */
  previous: StackSpec | null;
  state: EnvironmentState | null;
}

/**
 * Reads the environment's stack outputs. With a target (deploy), derives the spec it asks for; without
 * (shift, promote, rollback), the last spec as it is, or null when the environment was never deployed.
 */
export async function loadEnvironment(deps: ResolvedDeps, ref: EnvironmentRef, target: DeployTarget): Promise<LoadedEnvironment>;
export async function loadEnvironment(deps: ResolvedDeps, ref: EnvironmentRef): Promise<LoadedEnvironment | null>;
export async function loadEnvironment(deps: ResolvedDeps, ref: EnvironmentRef, target?: DeployTarget): Promise<LoadedEnvironment | null> {
  const out = await deps.driver.outputs(ref.service, ref.environment);
  const previous = out?.spec ?? null;
  const stack = stackName(ref.service, ref.environment);
  // A spec from before the admin socket moved off the network has no directory: the next update moves it.
  if (!target) return previous ? { spec: { ...previous, routerAdminDir: previous.routerAdminDir ?? routerAdminDir(deps.config, stack) }, previous, state: out?.state ?? null } : null;
  const spec = specForTarget(target, previous, {
    routerImage: deps.config.images.router,
    targetsFile: targetsFile(deps.config, stack),
    routerAdminDir: routerAdminDir(deps.config, stack),
    flagsDir: flagsDirOf(deps.config.home, ref.service, ref.environment),
  });
  return { spec, previous, state: out?.state ?? null };
}

/** `pulumi up` with the spec, heartbeating the phase and Pulumi's last output line. */
export async function applySpec(deps: ResolvedDeps, spec: StackSpec, phase: string, releaseId: string): Promise<StackOutputs> {
  let last = '';
  const out = await keepBeating(
    deps.heartbeat,
    () => ({ phase, releaseId, pulumi: last }),
    () => deps.driver.up(spec, { onOutput: (line) => (last = line.trim().slice(0, 200) || last) }),
    2000, // Pulumi can be quiet while containers get healthy
  );
  deps.log.info('stack updated', { stack: spec.stack, phase, releaseId, durationMs: out.durationMs, changes: out.changes });
  return out;
}

import { specForTarget } from '../../infra/deploy/plan';
import type { StackOutputs } from '../../infra/deploy/program';
import type { StackSpec } from '../../infra/deploy/spec';
import type { DeployTarget, EnvironmentState } from '../../model/deploy';
import { stackName } from '../../model/names';
import { targetsFile, withHeartbeat, type ResolvedDeps } from './deps';

export interface LoadedEnvironment {
  /** The spec the target asks for, with the releases the stack has now. */
  spec: StackSpec;
  /** The spec of the last successful update, null for a new environment. */
  previous: StackSpec | null;
  state: EnvironmentState | null;
}

/** Reads the environment's stack outputs and derives the spec for `target`. */
export async function loadEnvironment(deps: ResolvedDeps, target: DeployTarget): Promise<LoadedEnvironment> {
  const out = await deps.driver.outputs(target.service, target.environment);
  const spec = specForTarget(target, out?.spec ?? null, {
    routerImage: deps.config.images.router,
    targetsFile: targetsFile(deps.config, stackName(target.service, target.environment)),
  });
  return { spec, previous: out?.spec ?? null, state: out?.state ?? null };
}

/** `pulumi up` with the spec, heartbeating the phase and Pulumi's last output line. */
export async function applySpec(deps: ResolvedDeps, spec: StackSpec, phase: string, releaseId: string): Promise<StackOutputs> {
  let last = '';
  const out = await withHeartbeat(
    deps,
    () => ({ phase, releaseId, pulumi: last }),
    () => deps.driver.up(spec, { onOutput: (line) => (last = line.trim().slice(0, 200) || last) }),
  );
  deps.log.info('stack updated', { stack: spec.stack, phase, releaseId, durationMs: out.durationMs, changes: out.changes });
  return out;
}

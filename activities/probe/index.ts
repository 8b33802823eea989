import type Docker from 'dockerode';
import { resolveDeps, type DeployDeps } from '../deploy/deps';
import { mapErrors } from '../deploy/errors';
import { withFailures } from '../errors';
import { verifyRuntimeSecurity } from './verify-runtime-security';

export { planProbes, type Probe, type ProbeKind } from './plan';
export { judgeProbes, leaksOf, type ProbeResponse } from './judge';
export { sendProbes, DEFAULT_LIMITS, type SendLimits } from './send';
export { runProbes, type ProbeRun } from './run';
export { containerLogs, demuxLogs } from './logs';

/** The runtime security stage's activity for the worker (wire name `verifyRuntimeSecurity`). */
export function createProbeActivities(deps: DeployDeps & { docker: Docker }) {
  const d = resolveDeps(deps);
  return { verifyRuntimeSecurity: withFailures(mapErrors(verifyRuntimeSecurity({ ...d, docker: deps.docker }))) };
}

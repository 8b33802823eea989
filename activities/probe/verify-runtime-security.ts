import type Docker from 'dockerode';
import { parseWith } from '../../model/parse';
import { runtimeSecurityInputSchema, type RuntimeSecurityInput, type RuntimeSecurityReport } from '../../model/runtime-security';
import type { ResolvedDeps } from '../deploy/deps';
import { DeployProgramError } from '../errors';
import { containerLogs } from './logs';
import { runProbes } from './run';

/**
 * The runtime security stage (docs/runtime-security.md): probes the candidate alone, through the router's
 * preview port, before it gets any user traffic, and reads its containers' logs for the probes. Returns
 * the report (blocking findings included); the workflow decides to roll back. Read-only, so a retry is safe.
 */
export function verifyRuntimeSecurity(deps: Pick<ResolvedDeps, 'driver' | 'heartbeat' | 'log' | 'now'> & { docker: Docker }) {
  return async (input: RuntimeSecurityInput): Promise<RuntimeSecurityReport> => {
    const req = parseWith(runtimeSecurityInputSchema, input, 'verifyRuntimeSecurity input');
    const state = (await deps.driver.outputs(req.service, req.environment))?.state;
    if (!state?.router) throw new DeployProgramError(`${req.service}/${req.environment} is not deployed: no candidate to probe`);
    const candidate = state.candidate?.releaseId === req.releaseId ? state.candidate : undefined;
    if (!candidate) throw new DeployProgramError(`release ${req.releaseId} is not the candidate of ${req.service}/${req.environment}: the probes reach the candidate only`);
    const report = await runProbes({
      url: state.router.previewUrl,
      endpoints: req.surface.endpoints,
      requirements: req.requirements,
      exceptions: req.exceptions,
      readLogs: (since) => containerLogs(deps.docker, candidate.containers, since),
      now: deps.now,
      onProgress: (done, total) => deps.heartbeat({ phase: 'probing', done, total }),
    });
    deps.log.info('runtime security probed', { url: report.url, requests: report.requests, passed: report.passed, findings: report.findingCount, durationMs: report.durationMs });
    return report;
  };
}

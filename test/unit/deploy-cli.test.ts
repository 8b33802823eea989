import { deployExitCode, describeDeploy } from '../../cli/commands/deploy';
import type { AnalysisVerdict } from '../../model/deploy';
import type { DeployReleaseOutcome } from '../../workflows/deploy-release';

const verdict = (step: number, v: 'pass' | 'fail'): AnalysisVerdict => ({ step, verdict: v, measurements: [] });

describe('airlock deploy outcome', () => {
  const cases: [DeployReleaseOutcome, number, string][] = [
    [{ kind: 'promoted', releaseId: 'r', image: 'i', analysis: [verdict(10, 'pass'), verdict(100, 'pass')] }, 0, 'promoted r (analysis: 10% pass, 100% pass)'],
    [{ kind: 'unchanged', releaseId: 'r', reason: 'r already is the stable release' }, 0, 'r already is the stable release'],
    [{ kind: 'rolled_back', releaseId: 'r', reason: 'success-rate 0.7 < 0.99', step: 10, analysis: [verdict(10, 'fail')] }, 6, 'rolled back r at 10%: success-rate 0.7 < 0.99'],
    [{ kind: 'failed', releaseId: 'r', stage: 'deploy', cause: { type: 'InvalidInputError', message: 'port in use' }, analysis: [] }, 2, 'failed at deploy: InvalidInputError: port in use'],
    [{ kind: 'failed', releaseId: 'r', stage: 'deploy', cause: { type: 'DeployProgramError', message: 'unhealthy' }, analysis: [] }, 1, 'failed at deploy: DeployProgramError: unhealthy'],
  ];

  it.each(cases)('%j exits %i', (outcome, code, text) => {
    expect(deployExitCode(outcome)).toBe(code);
    expect(describeDeploy(outcome)).toBe(text);
  });
});

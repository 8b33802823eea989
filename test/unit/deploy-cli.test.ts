import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { deployExitCode, describeDeploy } from '../../cli/commands/deploy';
import { EXIT, exitErrorOf } from '../../cli/errors';
import type { CanaryVerdict } from '../../model/deploy';
import type { DeployReleaseOutcome } from '../../workflows/deploy-release';
import type { CliResult } from '../support/cli';
import { runMain } from '../support/cli-main';

const verdict = (step: number, v: 'pass' | 'fail'): CanaryVerdict => ({ step, verdict: v, measurements: [] });

describe('airlock deploy outcome', () => {
  const cases: [DeployReleaseOutcome, number, string][] = [
    [{ kind: 'promoted', releaseId: 'r', image: 'i', analysis: [verdict(10, 'pass'), verdict(100, 'pass')] }, 0, 'promoted r (canary analysis: 10% pass, 100% pass)'],
    [{ kind: 'unchanged', releaseId: 'r', reason: 'r already is the stable release' }, 0, 'r already is the stable release'],
    [{ kind: 'rolled_back', releaseId: 'r', reason: 'success-rate 0.7 < 0.99', step: 10, analysis: [verdict(10, 'fail')] }, 6, 'rolled back r at 10%: success-rate 0.7 < 0.99'],
    [{ kind: 'failed', releaseId: 'r', stage: 'deploy', cause: { type: 'InvalidInputError', message: 'port in use' }, analysis: [] }, 2, 'failed at deploy: InvalidInputError: port in use'],
    [{ kind: 'failed', releaseId: 'r', stage: 'deploy', cause: { type: 'DeployProgramError', message: 'unhealthy' }, analysis: [] }, 1, 'failed at deploy: DeployProgramError: unhealthy'],
    [{ kind: 'failed', releaseId: 'r', stage: 'rollback', cause: { type: 'ConcurrentUpdateError', message: 'stack locked' }, analysis: [] }, 1, 'failed at rollback: ConcurrentUpdateError: stack locked'],
  ];

  it.each(cases)('%j exits %i', (outcome, code, text) => {
    expect(deployExitCode(outcome)).toBe(code);
    expect(describeDeploy(outcome)).toBe(text);
  });
});

// The commands as a user runs them (through cli/main.ts), up to the point where they would need Temporal.

const IMAGE = `127.0.0.1:5000/demo@sha256:${'a'.repeat(64)}`;
const DEMO_SERVICE = join(__dirname, '..', '..', 'examples', 'demo-service');

/** Bad input: exit 2, nothing on stdout, one line on stderr (more only for a manifest's `path: message` lines). */
function expectBadInput(r: CliResult, message: RegExp, oneLine = true): void {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd()).toMatch(message);
  if (oneLine) expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
}

describe('airlock deploy', () => {
  const deploy = (...argv: string[]) => runMain(['deploy', ...argv]);

  it('prints its usage with --help, exit 0', async () => {
    const r = await deploy('--help');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^usage: airlock deploy --service-dir <dir> --env <env> --image <repository@sha256:\.\.\.> \[--wait\] \[--json\]/);
    expect(r.stdout).toContain('6 rolled back, 2 bad input, 1 other failure');
  });

  it('refuses bad flags with exit 2 and the flag named', async () => {
    expectBadInput(await deploy('--env', 'production', '--image', IMAGE), /^airlock deploy: --service-dir: is required: the directory with airlock\.yaml$/);
    expectBadInput(await deploy('--service-dir', DEMO_SERVICE, '--image', IMAGE), /^airlock deploy: --env: is required: the environment to deploy to$/);
    expectBadInput(await deploy('--service-dir', DEMO_SERVICE, '--env', 'production'), /^airlock deploy: --image: is required: the image, pinned as <repository>@sha256:<digest>$/);
    expectBadInput(await deploy('--service-dir', DEMO_SERVICE, '--env', 'production', '--image', '127.0.0.1:5000/demo:latest'), /--image: must be pinned by digest: <repository>@sha256:<64 hex>/);
    expectBadInput(await deploy('--service-dir', DEMO_SERVICE, '--env', 'production', '--image', IMAGE, '--wiat'), /^airlock deploy: Unknown option '--wiat'/);
    expectBadInput(await deploy('--service-dir', DEMO_SERVICE, '--env', 'production', '--image', IMAGE, 'extra'), /positionals: takes no positional arguments/);
  });

  it('refuses a service directory without airlock.yaml, exit 2', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'airlock-deploy-cli-'));
    const r = await deploy('--service-dir', empty, '--env', 'production', '--image', IMAGE);
    expectBadInput(r, new RegExp(`^airlock deploy: service directory ${empty} is invalid:\\n {2}airlock\\.yaml: not found`), false);
  });

  it('refuses an environment the manifest does not have, exit 2', async () => {
    const r = await deploy('--service-dir', DEMO_SERVICE, '--env', 'moon', '--image', IMAGE);
    expectBadInput(r, /^airlock deploy: environment moon is not in the manifest \(known: staging, production\)$/);
  });
});

describe('airlock rollback', () => {
  const rollback = (...argv: string[]) => runMain(['rollback', ...argv]);

  it('prints its usage with --help, exit 0', async () => {
    const r = await rollback('--help');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^usage: airlock rollback --service <service> --env <env> \[--to <release id>\] \[--reason <text>\] \[--json\]/);
  });

  it('refuses bad flags with exit 2 and the flag named', async () => {
    expectBadInput(await rollback('--env', 'production'), /^airlock rollback: --service: is required$/);
    expectBadInput(await rollback('--service', 'demo'), /^airlock rollback: --env: is required$/);
    expectBadInput(await rollback('--service', 'demo', '--env', 'production', '--to', ''), /^airlock rollback: --to: /);
    expectBadInput(await rollback('--service', 'demo', '--env', 'production', '--force'), /^airlock rollback: Unknown option '--force'/);
    expectBadInput(await rollback('--service', 'demo', '--env', 'production', 'now'), /positionals: takes no positional arguments/);
  });

  it('exits by the cause of a failed rollback workflow (as cli/main.ts maps it): bad input 2, else 1', () => {
    const failed = (type: string, message: string) =>
      new WorkflowFailedError(
        'Workflow execution failed',
        new ActivityFailure('activity failed', 'restoreRelease', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', ApplicationFailure.create({ type, message, nonRetryable: true })),
        RetryState.NON_RETRYABLE_FAILURE,
      );
    expect(exitErrorOf('rollback', failed('DeployProgramError', 'demo/production was never deployed: there is nothing to roll back to'))).toMatchObject({
      code: EXIT.failure,
      message: 'airlock rollback: demo/production was never deployed: there is nothing to roll back to',
    });
    expect(exitErrorOf('rollback', failed('InvalidInputError', 'airlock.yaml is invalid'))).toMatchObject({ code: EXIT.badInput, message: 'airlock rollback: airlock.yaml is invalid' });
  });
});

import type { WorkflowHandle } from '@temporalio/client';
import { DockerUnavailableError, GitError, ImageBuildError, InvalidInputError } from '../../activities/errors';
import { EXIT, exitErrorOf, ExitError } from '../../cli/errors';
import { describeOutcome, exitCodeOf } from '../../cli/pipeline/exit-code';
import { waitForOutcome } from '../../cli/pipeline/follow';
import type { Outcome, PipelineResult, PipelineState } from '../../model/pipeline';
import { captureOutput } from '../support/cli-main';

// The documented exit codes (cli/errors.ts EXIT): pipeline outcomes, and errors as cli/main.ts maps them.

const failed = (type: string): Outcome => ({ kind: 'failed', stage: 'build', cause: { type, message: 'm' } });

describe('the exit code of a pipeline outcome (trigger --wait)', () => {
  const cases: [Outcome, number][] = [
    [{ kind: 'promoted', releaseId: 'r', image: 'i@sha256:x' }, 0],
    [{ kind: 'blocked_by_policy', violations: ['secrets.none (critical): a key'] }, 3],
    [{ kind: 'rejected', by: 'bob', comment: 'not now' }, 4],
    [{ kind: 'expired', afterMs: 1500 }, 5],
    [{ kind: 'rolled_back', reason: 'success-rate 0.7 < 0.99', step: 10 }, 6],
    [{ kind: 'superseded', by: 'airlock/demo/prod/abc' }, 1],
    [failed('InvalidInputError'), 2],
    [failed('GitError'), 2],
    [failed('ImageBuildError'), 1],
    [failed('PipelineAborted'), 1],
  ];
  it.each(cases)('%j exits %i', (outcome, code) => {
    expect(exitCodeOf(outcome)).toBe(code);
  });

  it('names the constants the README documents', () => {
    expect(EXIT).toEqual({ ok: 0, failure: 1, badInput: 2, blockedByPolicy: 3, rejected: 4, expired: 5, rolledBack: 6 });
  });
});

describe('trigger --wait ends with the outcome', () => {
  const state = { pipelineId: 'p', stage: 'done', traffic: 0, analysis: [], compensations: [] } as unknown as PipelineState;
  /** A handle on a pipeline that has ended with `outcome` (what followPipeline reads: result and state query). */
  const ended = (outcome: Outcome) =>
    ({ result: async (): Promise<PipelineResult> => ({ pipelineId: 'p', releaseId: 'r', outcome }), query: async () => state }) as unknown as WorkflowHandle;

  const wait = (outcome: Outcome, json = false) => captureOutput(() => waitForOutcome(ended(outcome), { json, runId: 'run-1', attached: false }, { pollMs: 10 }));

  it('exits 4 when rejected, saying by whom', async () => {
    const r = await wait({ kind: 'rejected', by: 'bob', comment: 'not this week' });
    expect(r.error).toBeInstanceOf(ExitError);
    expect(exitErrorOf('trigger', r.error)).toMatchObject({ code: EXIT.rejected, message: '' });
    expect(r.stderr).toContain('outcome: rejected by bob: not this week\n');
  });

  it('exits 5 when expired, saying after how long', async () => {
    const r = await wait({ kind: 'expired', afterMs: 3_600_000 });
    expect(exitErrorOf('trigger', r.error)).toMatchObject({ code: EXIT.expired, message: '' });
    expect(r.stderr).toContain('outcome: expired: no decision within 3600s\n');
  });

  it('prints the result as JSON with --json, and still exits with the outcome', async () => {
    const r = await wait({ kind: 'expired', afterMs: 1500 }, true);
    expect(exitErrorOf('trigger', r.error)).toMatchObject({ code: EXIT.expired });
    expect(JSON.parse(r.stdout)).toEqual({ runId: 'run-1', attached: false, pipelineId: 'p', releaseId: 'r', outcome: { kind: 'expired', afterMs: 1500 } });
  });

  it('returns (exit 0) when promoted', async () => {
    const r = await wait({ kind: 'promoted', releaseId: 'r', image: 'i@sha256:x' });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toContain('outcome: promoted i@sha256:x\n');
  });

  it('describes every outcome in one line', () => {
    expect(describeOutcome({ kind: 'rejected', by: 'bob' })).toBe('rejected by bob');
    expect(describeOutcome({ kind: 'expired', afterMs: 1500 })).toBe('expired: no decision within 2s');
  });
});

describe('errors a command throws, as cli/main.ts maps them (exitErrorOf)', () => {
  it('keeps an ExitError as it is', () => {
    const e = new ExitError(EXIT.blockedByPolicy, 'blocked: 1 blocking violation(s)');
    expect(exitErrorOf('policy', e)).toBe(e);
  });

  it('maps bad input to 2: InvalidInputError and GitError, with the command named', () => {
    expect(exitErrorOf('deploy', new InvalidInputError('svc/airlock.yaml', ['run.port: expected number']))).toMatchObject({
      code: EXIT.badInput,
      message: 'airlock deploy: svc/airlock.yaml is invalid:\n  run.port: expected number',
    });
    expect(exitErrorOf('build', new GitError('nope is not a commit in /repo'))).toMatchObject({ code: EXIT.badInput, message: 'airlock build: nope is not a commit in /repo' });
  });

  it('maps every other AirlockError to 1, with the last lines of output it carries', () => {
    const build = new ImageBuildError('docker build failed at Step 4/5 : RUN npm ci', { lastLines: ['npm: not found'] });
    expect(exitErrorOf('build', build)).toMatchObject({ code: EXIT.failure, message: 'airlock build: docker build failed at Step 4/5 : RUN npm ci\nlast lines of output:\n  npm: not found' });
    expect(exitErrorOf('scan', new DockerUnavailableError('docker: not reachable'))).toMatchObject({ code: EXIT.failure, message: 'airlock scan: docker: not reachable' });
  });

  it('leaves anything else to main as a bug', () => {
    expect(exitErrorOf('status', new TypeError('x is undefined'))).toBeUndefined();
    expect(exitErrorOf('status', 'a string')).toBeUndefined();
  });
});

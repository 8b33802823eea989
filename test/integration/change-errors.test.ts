import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { analyzeChange, createChangeActivities } from '../../activities/change';
import { GitError, InvalidInputError } from '../../activities/errors';
import { TempRepo } from '../support/git-repo';

// Bad input gives clear, typed errors: a missing or non-git directory, unknown or malformed revisions, a
// shallow clone that lacks the base commit.

let repo: TempRepo;
let first: string;
let last: string;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'airlock-change-errors-'));

beforeAll(() => {
  repo = TempRepo.create();
  first = repo.commit('one', { 'README.md': 'one\n' });
  repo.commit('two', { 'README.md': 'two\n' });
  last = repo.commit('three', { 'README.md': 'three\n' });
});
afterAll(() => {
  repo.remove();
  rmSync(scratch, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

test('a directory that does not exist', async () => {
  const err = await failure(analyzeChange({ repo: path.join(scratch, 'nope'), base: 'HEAD~1', head: 'HEAD' }));
  expect(err).toBeInstanceOf(InvalidInputError);
  expect(err.message).toMatch(/^repo: .*nope does not exist$/);
});

test('a file instead of a directory', async () => {
  const file = path.join(scratch, 'file.txt');
  writeFileSync(file, 'x');
  const err = await failure(analyzeChange({ repo: file, base: 'HEAD~1', head: 'HEAD' }));
  expect(err).toBeInstanceOf(InvalidInputError);
  expect(err.message).toContain('is not a directory');
});

test('a directory that is not a git repository', async () => {
  const err = await failure(analyzeChange({ repo: scratch, base: 'HEAD~1', head: 'HEAD' }));
  expect(err).toBeInstanceOf(GitError);
  expect(err.message).toBe(`${scratch} is not a git repository (point --repo at a clone of the service's repository)`);
});

test('an unknown revision', async () => {
  const err = await failure(analyzeChange({ repo: repo.dir, base: 'release-9.9', head: 'HEAD' }));
  expect(err).toBeInstanceOf(GitError);
  expect(err.message).toBe(`base: unknown revision 'release-9.9' in ${repo.dir} (no commit, branch or tag by that name; fetched?)`);
});

test('a revision that looks like an option is refused before git sees it', async () => {
  const err = await failure(analyzeChange({ repo: repo.dir, base: 'HEAD~1', head: '--output=/tmp/pwned' }));
  expect(err).toBeInstanceOf(InvalidInputError);
  expect(err.message).toContain("head: '--output=/tmp/pwned' is not a revision");
});

test('a revision that names a tree, not a commit', async () => {
  const err = await failure(analyzeChange({ repo: repo.dir, base: 'HEAD^{tree}', head: 'HEAD' }));
  expect(err).toBeInstanceOf(GitError);
  expect(err.message).toContain("base: 'HEAD^{tree}' names a git object that is not a commit");
});

describe('shallow clones', () => {
  const clone = (depth: number) => {
    const dir = path.join(scratch, `shallow-${depth}`);
    execFileSync('git', ['clone', '-q', '--depth', String(depth), `file://${repo.dir}`, dir], { stdio: 'ignore' });
    return dir;
  };

  test('a shallow clone missing the base says how to fetch it', async () => {
    const dir = clone(1);
    const err = await failure(analyzeChange({ repo: dir, base: first, head: 'HEAD' }));
    expect(err).toBeInstanceOf(GitError);
    expect(err.message).toContain(`base: commit '${first}' is not in ${dir}, which is a shallow clone`);
    expect(err.message).toContain('git fetch --unshallow');
    expect(err.message).toContain('fetch-depth: 0');
  });

  test('a shallow clone that has both commits works', async () => {
    const dir = clone(2);
    const analysis = await analyzeChange({ repo: dir, base: 'HEAD~1', head: 'HEAD' });
    expect(analysis.head.sha).toBe(last);
    expect(analysis.files.map((f) => [f.path, f.additions, f.deletions])).toEqual([['README.md', 1, 1]]);
  });
});

describe('as activities', () => {
  test('errors leave as non-retryable ApplicationFailures typed by class', async () => {
    const { analyzeChange: activity } = createChangeActivities();
    const err = await failure(activity({ repo: repo.dir, base: 'no-such-branch', head: 'HEAD' }));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'GitError', nonRetryable: true });
  });

  test('an invalid risk policy is an InvalidInputError naming the field', async () => {
    const { analyzeChange: analyze, scoreRisk } = createChangeActivities();
    const analysis = await analyze({ repo: repo.dir, base: 'HEAD~1', head: 'HEAD' });
    const err = await failure(scoreRisk(analysis, { thresholds: { medium: 80, high: 40 } }));
    expect(err).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
    expect(err.message).toContain('risk.thresholds.high: medium must be lower than high');
    expect((await scoreRisk(analysis, undefined)).level).toBe('low');
  });
});

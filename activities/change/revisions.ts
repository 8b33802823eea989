import { stat } from 'node:fs/promises';
import path from 'node:path';
import { GitError, InvalidInputError } from '../errors';
import { EMPTY_TREE } from '../../model/anchor';
import { gitRaw } from '../shared';

export interface RangeInput {
  repo: string;
  base: string;
  head: string;
}

export interface ResolvedRange {
  /** Absolute path of the directory git runs in. */
  repo: string;
  base: { ref: string; sha: string };
  head: { ref: string; sha: string };
  shallow: boolean;
}

const REV = /^[^\s\0~^:-][^\s\0]{0,255}$/;

/**
 * Checks that `repo` is a git repository and resolves `base` and `head` to commit ids. Bad input fails with
 * a message saying what is wrong and how to fix it: a missing directory or malformed revision is an
 * InvalidInputError, a directory that is not a repository, an unknown revision or a shallow clone that lacks
 * the base commit is a GitError.
 */
export async function resolveRange(input: RangeInput): Promise<ResolvedRange> {
  const repo = path.resolve(input.repo);
  const info = await stat(repo).catch(() => undefined);
  if (!info) throw InvalidInputError.line('change range', `repo: ${repo} does not exist`);
  if (!info.isDirectory()) throw InvalidInputError.line('change range', `repo: ${repo} is not a directory`);
  for (const [name, rev] of [['base', input.base], ['head', input.head]] as const) {
    if (!REV.test(rev)) {
      throw InvalidInputError.line('change range', `${name}: '${rev}' is not a revision (expected a commit id, branch or tag, e.g. origin/main or 3f2c1ab)`);
    }
  }

  const probe = await gitRaw(repo, ['rev-parse', '--is-shallow-repository']);
  if (probe.code !== 0) {
    const why = /not a git repository/i.test(probe.stderr)
      ? `${repo} is not a git repository (point --repo at a clone of the service's repository)`
      : `git cannot open ${repo}: ${probe.stderr.trim()}`;
    throw new GitError(why, { repo });
  }
  const shallow = probe.stdout.trim() === 'true';
  // the empty tree as base: a first release, judged on everything up to head
  const base = input.base === EMPTY_TREE ? EMPTY_TREE : await resolveCommit(repo, 'base', input.base, shallow);
  const head = await resolveCommit(repo, 'head', input.head, shallow);
  return { repo, base: { ref: input.base, sha: base }, head: { ref: input.head, sha: head }, shallow };
}

async function resolveCommit(repo: string, name: string, rev: string, shallow: boolean): Promise<string> {
  const commit = await gitRaw(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  const sha = commit.stdout.trim();
  if (commit.code === 0 && /^[0-9a-f]{40,64}$/.test(sha)) return sha;

  const anything = await gitRaw(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{object}`]);
  if (anything.code === 0) throw new GitError(`${name}: '${rev}' names a git object that is not a commit`, { [name]: rev, repo });
  if (shallow) {
    throw new GitError(
      `${name}: commit '${rev}' is not in ${repo}, which is a shallow clone (its history is cut off). ` +
        'Fetch the missing history (git fetch --unshallow, or actions/checkout with fetch-depth: 0) and retry.',
      { [name]: rev, repo, shallow },
    );
  }
  throw new GitError(`${name}: unknown revision '${rev}' in ${repo} (no commit, branch or tag by that name; fetched?)`, { [name]: rev, repo });
}

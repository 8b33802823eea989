import { GitError } from '../errors';
import { gitRaw } from './git';

/**
 * The first of `branches` whose head has `commit` in its history, or undefined. The ONE place that says
 * where branch heads are read: the remote's branch heads as the worker fetched them into its own copy
 * (shared/fetch.ts workerRepo with refreshBranches: `refs/remotes/origin/<branch>`).
 */
export async function protectedBranchContaining(repo: string, commit: string, branches: string[]): Promise<string | undefined> {
  for (const branch of branches) {
    const tip = await gitRaw(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `refs/remotes/origin/${branch}^{commit}`]);
    if (tip.code !== 0) continue;
    if (await isAncestor(repo, commit, tip.stdout.trim())) return branch;
  }
  return undefined;
}

/** `git merge-base --is-ancestor`: true when `ancestor` is in the history of `descendant` (or is it). */
export async function isAncestor(repo: string, ancestor: string, descendant: string): Promise<boolean> {
  const r = await gitRaw(repo, ['merge-base', '--is-ancestor', ancestor, descendant]);
  if (r.code === 0) return true;
  if (r.code === 1) return false;
  throw new GitError(`git merge-base --is-ancestor failed in ${repo}: ${r.stderr.trim()}`, { repo, ancestor, descendant });
}

import { realpath } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { GitError } from '../errors';
import { redactText } from '../../model/redact';
import { git, gitBytes, gitToFile } from './git';

// Reading the service's source as committed (never the work tree): build, deploy and the CLI's trigger.

/** The top of the git work tree containing `dir`. */
export async function gitRoot(dir: string): Promise<string> {
  const out = await git(dir, ['rev-parse', '--show-toplevel']).catch(() => {
    throw new GitError(`${dir} is not inside a git repository: airlock builds committed trees (pass --repo, or commit the service)`, { dir });
  });
  return out.trim();
}

/** The full commit id `rev` names. */
export async function resolveCommit(repo: string, rev: string): Promise<string> {
  const out = await git(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]).catch(() => {
    throw new GitError(`${rev} is not a commit in ${repo}`, { repo, rev });
  });
  return out.trim();
}

/**
 * `dir` as a path relative to the repository root, with forward slashes ('' for the root itself). An
 * absolute `dir` is a directory of the work tree (symlinks resolved); a relative one is already relative
 * to the root and only normalised, which also works in a bare repository (the worker's cache, fetch.ts).
 */
export async function pathInRepo(repo: string, dir: string): Promise<string> {
  if (!isAbsolute(dir)) {
    const rel = posix.normalize(dir.split(sep).join('/')).replace(/^\.\/?$/, '').replace(/\/$/, '');
    if (rel === '..' || rel.startsWith('../')) throw new GitError(`${dir} is outside the repository ${repo}`, { repo, dir });
    return rel;
  }
  const rel = relative(await realpath(repo), await realpath(resolve(repo, dir)));
  if (rel.startsWith('..')) throw new GitError(`${dir} is outside the repository ${repo}`, { repo, dir });
  return rel.split(sep).join('/');
}

/** A file's bytes at `commit`, or undefined when the commit has no such file. */
export async function readAtCommit(repo: string, commit: string, path: string): Promise<Buffer | undefined> {
  const listed = await gitBytes(repo, ['ls-tree', '-z', '--full-tree', commit, '--', path]);
  if (listed.length === 0) return undefined;
  return gitBytes(repo, ['cat-file', 'blob', `${commit}:${path}`]);
}

/** The URL of `origin`, else the repository path: the `org.opencontainers.image.source` label. */
export async function sourceOf(repo: string): Promise<string> {
  try {
    // The origin URL goes into an image label: never its userinfo (`https://user:token@host/...`).
    return redactText((await git(repo, ['remote', 'get-url', 'origin'])).trim());
  } catch {
    return await realpath(repo);
  }
}

/**
 * Writes the tree at `commit:dir` (exactly the committed files, nothing from the work tree) as a tar
 * file, leaving out `excludes` (git pathspecs relative to dir). Resolves when git exits successfully.
 */
export function archiveTree(repo: string, commit: string, dir: string, excludes: string[], tarFile: string): Promise<void> {
  return gitToFile(repo, ['archive', '--format=tar', `${commit}:${dir}`, '--', ...excludes], tarFile);
}

import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GitError } from '../errors';

/** Runs git in `repo`; stdout as a Buffer, GitError with git's message on failure. */
function git(repo: string, args: string[]): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    execFile('git', ['-C', repo, ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolvePromise(stdout);
      const message = stderr.toString().trim().split('\n')[0] || (err as Error).message;
      reject(new GitError(`git ${args[0]} in ${repo}: ${message}`, { repo, args }));
    });
  });
}

/** The top of the git work tree containing `dir`. */
export async function gitRoot(dir: string): Promise<string> {
  const out = await git(dir, ['rev-parse', '--show-toplevel']).catch(() => {
    throw new GitError(`${dir} is not inside a git repository: airlock builds committed trees (pass --repo, or commit the service)`, { dir });
  });
  return out.toString().trim();
}

/** The full commit id `rev` names. */
export async function resolveCommit(repo: string, rev: string): Promise<string> {
  const out = await git(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]).catch(() => {
    throw new GitError(`${rev} is not a commit in ${repo}`, { repo, rev });
  });
  return out.toString().trim();
}

/** `dir` as a path relative to the repository root, with forward slashes ('' for the root itself). */
export async function pathInRepo(repo: string, dir: string): Promise<string> {
  const rel = relative(await realpath(repo), await realpath(resolve(repo, dir)));
  if (rel.startsWith('..')) throw new GitError(`${dir} is outside the repository ${repo}`, { repo, dir });
  return rel.split(sep).join('/');
}

/** A file's bytes at `commit`, or undefined when the commit has no such file. */
export async function readAtCommit(repo: string, commit: string, path: string): Promise<Buffer | undefined> {
  const listed = await git(repo, ['ls-tree', '-z', '--full-tree', commit, '--', path]);
  if (listed.length === 0) return undefined;
  return git(repo, ['cat-file', 'blob', `${commit}:${path}`]);
}

/** The URL of `origin`, else the repository path: the `org.opencontainers.image.source` label. */
export async function sourceOf(repo: string): Promise<string> {
  try {
    return (await git(repo, ['remote', 'get-url', 'origin'])).toString().trim();
  } catch {
    return await realpath(repo);
  }
}

/**
 * Writes the tree at `commit:dir` (exactly the committed files, nothing from the work tree) as a tar
 * file, leaving out `excludes` (git pathspecs relative to dir). Resolves when git exits successfully.
 */
export async function archiveTree(repo: string, commit: string, dir: string, excludes: string[], tarFile: string): Promise<void> {
  const treeish = `${commit}:${dir}`;
  const child = spawn('git', ['-C', repo, 'archive', '--format=tar', treeish, '--', ...excludes], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolveExit, reject) => {
    child.on('error', (err) => reject(new GitError(`git archive: ${err.message}`, { repo })));
    child.on('close', resolveExit);
  });
  await pipeline(child.stdout, createWriteStream(tarFile));
  const code = await exit;
  if (code !== 0) throw new GitError(`git archive ${treeish} in ${repo}: ${stderr.trim().split('\n')[0] || `exit ${code}`}`, { repo, commit, dir });
}

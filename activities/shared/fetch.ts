import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GitError, InvalidInputError, RepoFetchError } from '../errors';
import { gitRaw } from './git';
import { keepBeating } from './heartbeat';

/**
 * The worker's own copy of a service repository (issue 11, item 3). Stages never read the repository a CI
 * job hands over in place: that job owns it and can change it between stages (`git replace`, hooks,
 * attributes). The worker fetches the commits from the repository URL into a bare repository it owns,
 * `<dirs.repos>/<sha256(url) prefix>.git`, and every stage reads only that copy:
 * - objects arrive through git's transport and are stored by content hash: the commit id names exactly
 *   the tree that was analysed, whatever the sender did to its own repository;
 * - no replace refs (only branch heads and asked-for commits are fetched; GIT_NO_REPLACE_OBJECTS=1 for every
 *   git run, git.ts), no hooks (core.hooksPath=/dev/null), no fsmonitor, no attributes from the tree where
 *   they change bytes (info/attributes below), diffs with --no-textconv --no-ext-diff (change analysis);
 * - each commit is checked to exist as a commit with that id, else a non-retryable GitError.
 * Idempotent: a commit already in the cache is not fetched again; concurrent activities take a lock.
 */

export interface RepoCacheConfig {
  dirs: { repos: string };
}

export interface FetchHooks {
  heartbeat?: (details: Record<string, unknown>) => void;
  /** Fetch the branch heads even when every commit is present (a caller about to read branchTip). */
  refreshBranches?: boolean;
}

/** Branch heads of the remote, kept in the cache for branchTip. */
const BRANCHES = '+refs/heads/*:refs/remotes/origin/*';
const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const SCHEMES = /^(?:file|https?|ssh|git):\/\//;
const SCP_LIKE = /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:[^\s]+$/;
const LOCK_STALE_MS = 120_000;
const LOCK_WAIT_MS = 15 * 60_000;
const BEAT_MS = 10_000;

/**
 * Config every git run on the cache carries: no hooks, no fsmonitor, no replace refs, no protocol but the
 * plain ones (never ext::), no credential prompts.
 */
const CACHE_CONFIG = [
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'core.fsmonitor=false',
  '-c', 'core.useReplaceRefs=false',
  '-c', 'protocol.allow=never',
  '-c', 'protocol.file.allow=always',
  '-c', 'protocol.https.allow=always',
  '-c', 'protocol.http.allow=always',
  '-c', 'protocol.ssh.allow=always',
  '-c', 'protocol.git.allow=always',
  '-c', 'credential.interactive=false',
  '--git-dir=.',
];

/**
 * Attributes that would make `git archive` (the build context) differ from the committed blobs: tree
 * `.gitattributes` can drop files (export-ignore), rewrite them (export-subst, ident), convert line ends
 * (text, eol, working-tree-encoding) or run a configured filter. $GIT_DIR/info/attributes wins over them.
 */
const INFO_ATTRIBUTES = '* -export-ignore -export-subst -ident -text !eol -filter !working-tree-encoding\n';

/** `url` without `user:password@` (safe to print, log and label an image with). */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1');
}

/** Every URL inside `text` without userinfo (git's messages can quote the URL it was given). */
const redactUrls = (text: string): string => text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');

/**
 * The URL git fetches from: `file://`, `https://`, `http://`, `ssh://`, `git://` or scp-like `user@host:path`
 * as given; an absolute path becomes its file:// URL. Anything else (relative paths, `ext::` and other
 * remote helpers, leading dashes) is bad input.
 */
export function repoUrl(repo: string): string {
  if (isAbsolute(repo)) return pathToFileURL(repo).href;
  if (SCHEMES.test(repo) || SCP_LIKE.test(repo)) return repo;
  throw InvalidInputError.line('repository', `repo: '${displayUrl(repo)}' is not a repository URL (file:///abs/path, an absolute path, https://, ssh:// or user@host:path)`);
}

/** The cache directory of a repository URL (userinfo does not count: a rotated token keeps its cache). */
export function repoCacheDir(config: RepoCacheConfig, url: string): string {
  const key = createHash('sha256').update(displayUrl(repoUrl(url))).digest('hex').slice(0, 24);
  return join(config.dirs.repos, `${key}.git`);
}

/**
 * The worker's git directory holding `commits` of the repository at `url` (see the top of this file).
 * Fetches the remote's branch heads and, if still missing, each commit by id; a commit that the remote does
 * not have is a non-retryable GitError naming the URL (userinfo stripped) and the commit; a transport
 * failure is a retryable RepoFetchError. Heartbeats while it waits or fetches.
 */
export async function workerRepo(config: RepoCacheConfig, url: string, commits: string[], hooks: FetchHooks = {}): Promise<string> {
  const source = repoUrl(url);
  const shown = displayUrl(source);
  for (const commit of commits) {
    if (!COMMIT_ID.test(commit)) throw InvalidInputError.line('repository', `commit: '${commit}' is not a full commit id`);
  }
  const dir = await ensureCache(config, source);
  const wanted = [...new Set(commits)];
  if (!hooks.refreshBranches && (await missingCommits(dir, wanted)).length === 0) return dir;

  const beat = () => ({ stage: 'fetch', repository: shown, commits: wanted.map((c) => c.slice(0, 12)) });
  await keepBeating(hooks.heartbeat, beat, () =>
    withLock(join(dir, 'airlock-fetch.lock'), async () => {
      if (hooks.refreshBranches || (await missingCommits(dir, wanted)).length > 0) await fetch(dir, source, [BRANCHES], ['--prune']);
      for (const commit of await missingCommits(dir, wanted)) {
        // Not on any branch (a detached CI head, a pull request's merge commit): ask for it by id.
        await fetch(dir, source, [`+${commit}:refs/airlock/commits/${commit}`], [], true);
      }
      const missing = await missingCommits(dir, wanted);
      if (missing.length > 0) {
        throw new GitError(
          `commit ${missing.join(', ')} is not in ${shown} (fetched its branches and asked for the commit by id): push the commit, or trigger with the URL of a repository that has it`,
          { repository: shown, commits: missing },
        );
      }
      // Keep every commit a stage read reachable from a ref of the cache.
      for (const commit of wanted) await cacheGit(dir, ['update-ref', `refs/airlock/commits/${commit}`, commit]);
    }),
  BEAT_MS);
  return dir;
}

/** The commit `branch` of the remote pointed to at the last fetch into `gitDir` (workerRepo), or undefined. */
export async function branchTip(gitDir: string, branch: string): Promise<string | undefined> {
  if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.startsWith('-') || branch.includes('..')) return undefined;
  const r = await gitRaw(gitDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `refs/remotes/origin/${branch}^{commit}`], CACHE_CONFIG);
  const tip = r.stdout.trim();
  return r.code === 0 && COMMIT_ID.test(tip) ? tip : undefined;
}

/** The commits of `wanted` that the cache does not hold as commits with exactly that id. */
async function missingCommits(dir: string, wanted: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const commit of wanted) {
    const r = await gitRaw(dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${commit}^{commit}`], CACHE_CONFIG);
    if (r.code !== 0 || r.stdout.trim() !== commit) missing.push(commit);
  }
  return missing;
}

async function fetch(dir: string, source: string, refspecs: string[], options: string[] = [], mayFail = false): Promise<void> {
  const args = ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', '--no-auto-gc', ...options, '--', source, ...refspecs];
  const r = await gitRaw(dir, args, CACHE_CONFIG);
  if (r.code === 0 || mayFail) return;
  const why = redactUrls(r.stderr).trim().split('\n').filter(Boolean).slice(0, 3).join(' / ') || `exit ${r.code}`;
  throw new RepoFetchError(`cannot fetch from ${displayUrl(source)}: ${why}`, { repository: displayUrl(source) });
}

const cacheGit = async (dir: string, args: string[]): Promise<void> => {
  const r = await gitRaw(dir, args, CACHE_CONFIG);
  if (r.code !== 0) throw new GitError(`git ${args[0]} failed in the repository cache ${dir}: ${r.stderr.trim()}`, { dir });
};

/** Creates the bare cache repository once: in a temporary directory, renamed into place (a concurrent creator's copy wins). */
async function ensureCache(config: RepoCacheConfig, source: string): Promise<string> {
  const dir = repoCacheDir(config, source);
  if (await stat(join(dir, 'airlock-ready')).then(() => true, () => false)) return dir;
  await mkdir(config.dirs.repos, { recursive: true });
  const tmp = join(config.dirs.repos, `.new-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(tmp);
    const init = await gitRaw(tmp, ['init', '--bare', '--quiet', '--template=', '.']);
    if (init.code !== 0) throw new GitError(`cannot create the repository cache ${tmp}: ${init.stderr.trim()}`, { dir: tmp });
    for (const [key, value] of [
      ['core.hooksPath', '/dev/null'],
      ['core.fsmonitor', 'false'],
      ['gc.auto', '0'],
      ['remote.origin.url', displayUrl(source)],
    ] as const) {
      await cacheGit(tmp, ['config', key, value]);
    }
    await mkdir(join(tmp, 'info'), { recursive: true });
    await writeFile(join(tmp, 'info', 'attributes'), INFO_ATTRIBUTES);
    await writeFile(join(tmp, 'airlock-ready'), `${displayUrl(source)}\n`);
    await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST' && err.code !== 'ENOTEMPTY') throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** Runs `fn` holding `lockDir` (mkdir is atomic); a lock not refreshed for LOCK_STALE_MS is a dead holder's. */
async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = await stat(lockDir).catch(() => undefined);
      if (held && Date.now() - held.mtimeMs > LOCK_STALE_MS) await rm(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new RepoFetchError(`the repository cache ${lockDir} stayed locked for ${LOCK_WAIT_MS / 60_000} minutes`, { lock: lockDir });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(lockDir, now, now).catch(() => undefined);
  }, LOCK_STALE_MS / 4);
  try {
    return await fn();
  } finally {
    clearInterval(refresh);
    await rm(lockDir, { recursive: true, force: true });
  }
}

import { resolve, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { git, gitRoot, manifestAtCommit, pathInRepo, repoUrl, resolveCommit } from '../../activities/shared';
import { EMPTY_TREE } from '../../model/anchor';
import { MANIFEST_FILE } from '../../model/manifest';
import { parseWith } from '../../model/parse';
import { pipelineInputSchema, type PipelineInput } from '../../model/pipeline';
import { badInput } from '../errors';
import type { CiContext } from './ci-context';

const hasParent = async (repo: string, commit: string): Promise<boolean> => (await git(repo, ['rev-list', '--parents', '-n', '1', commit])).trim().split(' ').length > 1;

export interface TriggerRequest {
  repo: string;
  /** Where the worker fetches the commits from (activities/shared/fetch.ts); default the file:// URL of `repo`'s root. */
  repoUrl?: string | undefined;
  serviceDir?: string;
  env?: string | undefined;
  /** The last environment of the promotion to go to (`--to`); default the promotion's last. */
  to?: string | undefined;
  commit?: string;
  base?: string;
  author?: string;
  policy?: string;
}

/**
 * The pipeline input for a trigger: identifiers only. Revisions resolved to full commit ids, the service
 * name from airlock.yaml at the head commit (the workflow checks it again), the author CI or git claims.
 * No rollout or canary analysis settings: the worker reads them from airlock.yaml at the head commit.
 * Every problem is bad input (exit 2: ExitError, InvalidInputError or GitError) naming what is wrong.
 */
export async function pipelineInputFor(req: TriggerRequest, ci: CiContext): Promise<PipelineInput> {
  if (req.policy !== undefined)
    throw badInput(
      `--policy is not accepted: the policy is read where the environment's stable release says, never where a trigger points. ` +
        `Set \`policy: <path>\` in airlock.yaml (default <service dir>/airlock.policy.yaml); it takes effect once that change is deployed`,
    );
  const repo = await gitRoot(resolve(req.repo));
  const headCommit = await resolveCommit(repo, req.commit ?? ci.sha ?? 'HEAD');
  // information only: the pipeline judges stable..head (the environment's stable release), never this base
  const baseCommit = await resolveCommit(repo, req.base ?? ci.before ?? `${headCommit}^`).catch(async () => {
    if (req.base === undefined && ci.before === undefined && !(await hasParent(repo, headCommit))) return EMPTY_TREE; // a root commit
    throw badInput(`--base: ${req.base ?? `${headCommit.slice(0, 12)}^`} is not a commit in ${repo} (a shallow clone? fetch with depth 0)`);
  });
  const serviceDir =
    (await pathInRepo(repo, resolve(repo, req.serviceDir ?? '.')).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw badInput(`--service-dir: ${req.serviceDir} is not a directory of ${repo}`);
      throw err;
    })) || '.';
  const manifestPath = posix.join(serviceDir, MANIFEST_FILE);
  const manifest = (await manifestAtCommit(repo, headCommit, serviceDir))?.manifest;
  if (!manifest) throw badInput(`${manifestPath} is not in commit ${headCommit.slice(0, 12)} of ${repo} (--service-dir names the directory that holds it)`);
  if (req.env !== undefined && req.to !== undefined && req.env !== req.to)
    throw badInput(`--env ${req.env} and --to ${req.to} disagree: --to names the last environment of the promotion (the pipeline goes through the ones before it)`);
  // the order itself is the worker's to decide (airlock.yaml at the environment's stable release): this only names the target
  const env = req.to ?? req.env ?? manifest.promotion?.at(-1);
  const flag = req.to !== undefined ? '--to' : '--env';
  if (env === undefined) throw badInput(`--env: is required (${manifestPath} has no promotion: to start from; it has: ${Object.keys(manifest.environments).join(', ')})`);
  if (!manifest.environments[env]) throw badInput(`${flag}: ${env} is not an environment of ${manifestPath} (it has: ${Object.keys(manifest.environments).join(', ')})`);
  const author = req.author ?? ci.actor ?? (await git(repo, ['log', '-1', '--format=%ae', headCommit])).trim();
  return parseWith(
    pipelineInputSchema,
    {
      service: manifest.service,
      environment: env,
      // The wire name stays `repo`; it carries a URL the worker fetches from, never a checkout it reads in place.
      repo: req.repoUrl ? credentialFree(repoUrl(req.repoUrl)) : pathToFileURL(repo).href,
      serviceDir,
      baseCommit,
      headCommit,
      author,
      trigger: { ci: ci.ci, ...(ci.runUrl ? { runUrl: ci.runUrl } : {}) },
      policyPath: posix.join(serviceDir, 'airlock.policy.yaml'),
    },
    'pipeline input',
  );
}

/**
 * The URL goes into the workflow input, and so into the history that everyone with Temporal read access
 * sees: a password or an http(s) user name (where tokens travel) is refused. Credentials belong on the
 * worker's host (a deploy key, a git credential helper), never in the trigger.
 */
export function credentialFree(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    return url; // scp-like user@host:path: a user name, no secret
  }
  if (parsed.password || (/^https?:$/.test(parsed.protocol) && parsed.username))
    throw badInput(`--repo-url: carries credentials (user:token@): configure them on the worker's host (a deploy key or a git credential helper); the URL is recorded in the pipeline's history`);
  return url;
}

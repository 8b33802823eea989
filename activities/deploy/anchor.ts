import type { Anchor } from '../../model/anchor';
import { environmentRefSchema } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import { AnchorError } from '../errors';
import { gitRaw, isAncestor } from '../shared';
import type { ResolvedDeps } from './deps';

export interface ResolveAnchorInput {
  releaseId: string;
  repo: string;
  service: string;
  environment: string;
  headCommit: string;
}

/** The 12 hex digits a release id ends with (model/names.ts releaseId), or undefined. */
export const commitPrefixOf = (releaseId: string): string | undefined => /-([0-9a-f]{12})$/.exec(releaseId)?.[1];

/**
 * The full commit of a stable release: the one it recorded, else (states written before releases recorded
 * it) the commit its release id's 12-hex prefix names in `repo`. Unknown or ambiguous: refused.
 */
export async function stableCommit(repo: string, stable: { releaseId: string; commit?: string }): Promise<string> {
  if (stable.commit) return stable.commit;
  const prefix = commitPrefixOf(stable.releaseId);
  if (!prefix) throw new AnchorError(`the stable release ${stable.releaseId} names no commit (deployed with \`airlock deploy --image\`?): its policy cannot be found`, { stable: stable.releaseId });
  const r = await gitRaw(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${prefix}^{commit}`]);
  const sha = r.stdout.trim();
  if (r.code !== 0 || !/^[0-9a-f]{40,64}$/.test(sha)) {
    const ambiguous = /ambiguous/i.test(r.stderr);
    throw new AnchorError(
      ambiguous
        ? `the stable release ${stable.releaseId}: commit prefix ${prefix} is ambiguous in ${repo}`
        : `the stable release ${stable.releaseId}: commit ${prefix} is not in ${repo} (fetch the history the environment runs)`,
      { stable: stable.releaseId, prefix },
    );
  }
  return sha;
}

/**
 * What the environment runs now, from its deploy state: the stable release and its commit (null: a first
 * release, judged as a bootstrap). Refuses a head that does not descend from that commit: the change
 * judged for an environment is everything it does not run yet, stable..head.
 */
export function resolveAnchor(deps: ResolvedDeps) {
  return async (input: ResolveAnchorInput): Promise<Anchor> => {
    const ref = parseWith(environmentRefSchema, { service: input.service, environment: input.environment }, 'resolveAnchor input');
    const out = await deps.driver.outputs(ref.service, ref.environment);
    const stable = out?.state?.stable ?? null;
    if (!stable) {
      deps.log.info('no stable release: first release (bootstrap)', { environment: ref.environment });
      return { commit: null, stableReleaseId: null };
    }
    const commit = await stableCommit(input.repo, stable as { releaseId: string; commit?: string });
    if (!(await isAncestor(input.repo, commit, input.headCommit)))
      throw new AnchorError(
        `head ${input.headCommit.slice(0, 12)} does not descend from ${commit.slice(0, 12)}, the stable release ${stable.releaseId} of ${ref.service}/${ref.environment}: ` +
          'deploy a commit built on top of what the environment runs (rebase or merge it onto that commit)',
        { head: input.headCommit, stable: stable.releaseId, stableCommit: commit },
      );
    deps.log.info('policy anchor', { environment: ref.environment, stable: stable.releaseId, commit });
    return { commit, stableReleaseId: stable.releaseId };
  };
}

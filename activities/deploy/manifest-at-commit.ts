import { deployTargetOf, serviceSettingsOf, type DeployTarget, type ServiceSettings } from '../../model/deploy';
import { manifestAtCommit } from '../build/load-manifest';
import { pathInRepo } from '../build/git-source';

/** The deploy target of `environment` from the airlock.yaml committed at `commit` (not the work tree). */
export async function targetAtCommit(repo: string, commit: string, serviceDir: string, environment: string): Promise<DeployTarget> {
  const { manifest } = await manifestAtCommit(repo, commit, await pathInRepo(repo, serviceDir));
  return deployTargetOf(manifest, environment);
}

/** What the pipeline needs from airlock.yaml at `commit`, read once: the build settings and `environment`'s deploy target. */
export async function serviceSettingsAtCommit(repo: string, commit: string, serviceDir: string, service: string, environment: string): Promise<ServiceSettings> {
  const { manifest, source } = await manifestAtCommit(repo, commit, await pathInRepo(repo, serviceDir));
  return serviceSettingsOf(manifest, service, environment, source);
}

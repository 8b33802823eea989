import { posix } from 'node:path';
import { deployTargetOf, type DeployTarget } from '../../model/deploy';
import { MANIFEST_FILE } from '../../model/manifest';
import { missingManifest, parseManifest } from '../shared/manifest';
import { pathInRepo, readAtCommit } from '../shared/source';

/** The deploy target of `environment` from the airlock.yaml committed at `commit` (not the work tree). */
export async function targetAtCommit(repo: string, commit: string, serviceDir: string, environment: string): Promise<DeployTarget> {
  const dir = await pathInRepo(repo, serviceDir);
  const path = posix.join(dir, MANIFEST_FILE);
  const text = await readAtCommit(repo, commit, path);
  if (!text) throw missingManifest(`${repo}@${commit.slice(0, 12)}:${dir || '.'}`);
  return deployTargetOf(parseManifest(text.toString('utf8'), `${path}@${commit.slice(0, 12)}`), environment);
}

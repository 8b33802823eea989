import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage } from '../../activities/build/build-image';
import { createDeployActivities } from '../../activities/deploy';
import { silentLogger } from '../../activities/shared';
import { loadConfig } from '../../infra/config';
import { createStackDriver } from '../../infra/deploy/stack';
import { dockerClient } from '../../infra/local/probes';
import { projectRoot } from '../../infra/local/tools';
import { pinned } from '../../model/build';
import { TempRepo } from '../../test/support/git-repo';

/**
 * What the deploy and analysis benchmarks share: the real stack's deploy activities, and the demo service
 * in a fresh git repository under the benchmark's own service name, with `build()` building its head.
 */
export function demoStack(prefix: string, environment: string) {
  const config = loadConfig();
  const docker = dockerClient(config);
  const driver = createStackDriver(config);
  const acts = createDeployActivities({ config, driver, log: { info: () => undefined, warn: () => undefined } });
  const service = `${prefix}-${Date.now().toString(36)}`;
  const git = TempRepo.create(`airlock-bench-${prefix}-`, { email: 'bench@airlock.invalid', name: 'bench' });
  cpSync(join(projectRoot(), 'examples', 'demo-service'), git.dir, { recursive: true });
  writeFileSync(join(git.dir, 'airlock.yaml'), readFileSync(join(git.dir, 'airlock.yaml'), 'utf8').replace(/^service: .*$/m, `service: ${service}`));
  git.commit('good');
  const build = async () => {
    const r = await buildImage({ docker, registry: config.registry, log: silentLogger }, { repo: git.dir, serviceDir: '', commit: 'HEAD', environment });
    return pinned(r.image, r.digest);
  };
  return { config, docker, driver, acts, service, git, repo: git.dir, build };
}

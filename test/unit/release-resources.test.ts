import { releaseSpec } from '../../infra/deploy/plan';
import { hostLimits } from '../../infra/providers/limits';
import type { DeployTarget } from '../../model/deploy';
import { DEFAULT_RESOURCES, environmentSchema, manifestSchema, resourcesOf } from '../../model/manifest';

const target = (resources?: DeployTarget['run']['resources']): DeployTarget => ({
  service: 'demo',
  environment: 'prod',
  run: { port: 8080, health: '/healthz', replicas: 1, ...(resources ? { resources } : {}) },
  settings: environmentSchema.parse({ routerPort: 18080 }),
});
const release = { releaseId: 'demo-prod-aaaa', image: `127.0.0.1:5000/demo@sha256:${'a'.repeat(64)}` };

describe('release container resources', () => {
  it('takes the safe defaults when airlock.yaml says nothing', () => {
    expect(releaseSpec(release, target()).resources).toEqual(DEFAULT_RESOURCES);
    expect(hostLimits(DEFAULT_RESOURCES)).toEqual({ Memory: 512 * 1024 * 1024, MemorySwap: 512 * 1024 * 1024, NanoCpus: 1e9, PidsLimit: 256 });
  });

  it('maps run.resources to the Engine API limits, filling in what is left out', () => {
    const spec = releaseSpec(release, target({ memoryMb: 128, cpus: 0.5 }));
    expect(spec.resources).toEqual({ memoryMb: 128, cpus: 0.5, pids: 256 });
    expect(hostLimits(spec.resources!)).toEqual({ Memory: 134217728, MemorySwap: 134217728, NanoCpus: 500_000_000, PidsLimit: 256 });
  });

  it('refuses limits that are not limits', () => {
    const base = { service: 'demo', build: {}, environments: { prod: { routerPort: 18080 } } };
    for (const resources of [{ memoryMb: 0 }, { cpus: 0 }, { pids: -1 }, { memoryMb: 1.5 }, { disk: 1 }]) {
      const r = manifestSchema.safeParse({ ...base, run: { port: 8080, health: '/', resources } });
      expect(r.success).toBe(false);
    }
    expect(resourcesOf(manifestSchema.parse({ ...base, run: { port: 8080, health: '/', resources: { pids: 64 } } }).run.resources)).toEqual({ ...DEFAULT_RESOURCES, pids: 64 });
  });
});

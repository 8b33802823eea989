import { renderState } from '../../cli/history/render';
import { describeProgress } from '../../cli/pipeline/follow';
import type { PipelineState } from '../../model/pipeline';

// What `airlock status` and `trigger --wait` show of a promotion.

const base = (over: Partial<PipelineState>): PipelineState => ({
  pipelineId: 'airlock/shop/production/' + 'c'.repeat(40),
  releaseId: 'shop-cccccccccccc',
  service: 'shop',
  environment: 'staging',
  headCommit: 'c'.repeat(40),
  author: 'dana',
  stage: 'analysis',
  traffic: 100,
  analysis: [],
  compensations: [],
  promotion: {
    release: 'shop-cccccccccccc',
    from: 'airlock.yaml at a0a0a0a0a0a0',
    ignored: ['environments.staging.soak: the change sets 0s; 10m of airlock.yaml at a0a0a0a0a0a0 applies'],
    current: 0,
    environments: [
      { environment: 'staging', status: 'soaking', soak: '10m', level: 'low', soakUntil: '2026-05-01T10:10:00.000Z' },
      { environment: 'production', status: 'waiting', soak: '0s' },
    ],
  },
  ...over,
});

test('status lists each environment with its status, approval level, soak, and what the change could not loosen', () => {
  const text = renderState(base({}), 'RUNNING');
  expect(text).toContain('  promotion of release shop-cccccccccccc (airlock.yaml at a0a0a0a0a0a0):');
  expect(text).toContain('    1. staging      soaking  approvals at low, soak 10m until 2026-05-01T10:10:00.000Z <-');
  expect(text).toContain('    2. production   waiting');
  expect(text).toContain('    not taken from the change: environments.staging.soak: the change sets 0s; 10m of airlock.yaml at a0a0a0a0a0a0 applies');
});

test('trigger --wait: passed in staging, then the environment change, with the per-environment parts afresh', () => {
  const soaking = base({ analysis: [{ step: 100, verdict: 'pass', measurements: [] }, { step: 100, verdict: 'pass', measurements: [] }] });
  const p = soaking.promotion!;
  const next = base({
    environment: 'production',
    stage: 'deploy',
    traffic: 0,
    analysis: [],
    promotion: { ...p, current: 1, environments: [{ ...p.environments[0]!, status: 'passed', digest: 'sha256:' + 'e'.repeat(64) }, { ...p.environments[1]!, status: 'running' }] },
  });
  const lines = describeProgress(soaking, next, 0, 1000).map((l) => l.replace(/^\[.*?\]/, ''));
  expect(lines).toEqual([
    ` environment production (2 of 2)`,
    `   passed in staging (sha256:${'e'.repeat(64)})`,
    ` stage deploy`,
  ]);
  expect(describeProgress(base({ promotion: { ...p, environments: [{ ...p.environments[0]!, status: 'running' }, p.environments[1]!] } }), soaking, 0, 1000).join('\n')).toMatch(/soaking in staging for 10m \(until 2026-05-01T10:10:00.000Z\)/);
});

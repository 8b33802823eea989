import { parseWith } from '../../model/parse';
import { pipelineInputSchema } from '../../model/pipeline';
import { lockWorkflowId } from '../../model/names';

const valid = {
  service: 'shop',
  environment: 'prod',
  repo: '/repos/shop',
  baseCommit: 'a'.repeat(40),
  headCommit: 'b'.repeat(40),
  author: 'dana@example.com',
  trigger: { ci: 'github-actions', runUrl: 'https://ci.example.com/runs/1' },
};

test('defaults: service dir, policy path, canary 10/50/100 and the manifest analysis defaults', () => {
  const input = parseWith(pipelineInputSchema, valid, 'trigger');
  expect(input).toMatchObject({ serviceDir: '.', policyPath: 'airlock.policy.yaml', rollout: { strategy: 'canary', steps: [10, 50, 100] } });
  expect(input.analysis).toMatchObject({ interval: '5s', checks: 3, minSuccessRate: 0.99 });
});

test('bad input lists every field as path: message', () => {
  const bad = { ...valid, service: 'Shop!', headCommit: 'b1', policyPath: '../elsewhere.yaml', trigger: { ci: '' }, extra: 1 };
  expect(() => parseWith(pipelineInputSchema, bad, 'trigger')).toThrow(
    /service: must be a lowercase slug[\s\S]*headCommit: must be a full git commit id[\s\S]*trigger\.ci: [\s\S]*policyPath: must be a relative path inside the repository/,
  );
  expect(() => parseWith(pipelineInputSchema, { ...valid, headCommit: valid.baseCommit }, 'trigger')).toThrow(/headCommit: head commit equals base commit/);
  expect(() => parseWith(pipelineInputSchema, { ...valid, rollout: { strategy: 'canary', steps: [50, 10] } }, 'trigger')).toThrow(/rollout\.steps: step weights must increase/);
});

test('one lock per service and environment', () => {
  expect(lockWorkflowId('shop', 'prod')).toBe('airlock-lock/shop/prod');
});

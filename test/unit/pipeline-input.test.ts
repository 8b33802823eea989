import { parseWith } from '../../model/parse';
import { pipelineInputSchema } from '../../model/pipeline';
import { lockWorkflowId } from '../../model/names';
import { credentialFree } from '../../cli/pipeline/input';

const valid = {
  service: 'shop',
  environment: 'prod',
  repo: '/repos/shop',
  baseCommit: 'a'.repeat(40),
  headCommit: 'b'.repeat(40),
  author: 'dana@example.com',
  trigger: { ci: 'github-actions', runUrl: 'https://ci.example.com/runs/1' },
};

test('defaults: service dir and policy path; identifiers only, no rollout or analysis settings added', () => {
  const input = parseWith(pipelineInputSchema, valid, 'trigger');
  expect(input).toMatchObject({ serviceDir: '.', policyPath: 'airlock.policy.yaml' });
  expect(input).not.toHaveProperty('rollout');
  expect(input).not.toHaveProperty('analysis');
});

test('the legacy rollout and analysis fields are still accepted (saved histories carry them)', () => {
  const input = parseWith(pipelineInputSchema, { ...valid, rollout: { strategy: 'canary', steps: [100] }, analysis: { minSuccessRate: 0 } }, 'trigger');
  expect(input.rollout).toEqual({ strategy: 'canary', steps: [100] });
  expect(input.analysis).toMatchObject({ minSuccessRate: 0, checks: 3 });
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

test('--repo-url with credentials is refused: the URL is recorded in the history', () => {
  for (const ok of ['https://git.example.com/shop.git', 'ssh://git@git.example.com/shop.git', 'git@git.example.com:shop.git', 'file:///repos/shop'])
    expect(credentialFree(ok)).toBe(ok);
  for (const bad of ['https://x-access-token:ghs_abc@github.com/o/r.git', 'https://glpat-abc@gitlab.example.com/o/r.git', 'ssh://git:secret@host/r.git'])
    expect(() => credentialFree(bad)).toThrow(/--repo-url: carries credentials/);
});

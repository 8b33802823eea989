import picomatch from 'picomatch';
import { z } from 'zod';
import { globToRegExp } from '../../activities/risk/glob';
import { DEFAULT_PATH_RULES, DEFAULT_WEIGHTS, GATE_FILE_GLOBS, defaultRiskPolicy, riskPolicySchema } from '../../model/change';
import { issueLines } from '../../model/parse';

// The `risk:` block of airlock.policy.yaml and the glob language of its path rules.

const errors = (value: unknown): string[] => {
  const result = riskPolicySchema.safeParse(value);
  return result.success ? [] : issueLines(result.error);
};

test('absent, empty and partial blocks are completed with the defaults', () => {
  const defaults = defaultRiskPolicy();
  expect(riskPolicySchema.parse({})).toEqual(defaults);
  expect(defaults).toMatchObject({ thresholds: { medium: 25, high: 60 }, stacking: 0.25, size: { largeLines: 500, hugeLines: 2000 }, spread: { directories: 8 } });
  expect(defaults.weights).toEqual(DEFAULT_WEIGHTS);
  const partial = riskPolicySchema.parse({ weights: { payments: 80 }, paths: { payments: ['src/billing-v2/**'] } });
  expect(partial.weights).toEqual({ ...DEFAULT_WEIGHTS, payments: 80 });
  expect(partial.paths.payments).toEqual(['src/billing-v2/**']);
  expect(partial.paths.auth).toEqual([]);
});

test('the policy owner can embed it under a risk: key', () => {
  const file = z.object({ version: z.literal(1), risk: riskPolicySchema }).strict();
  expect(file.parse({ version: 1 }).risk).toEqual(defaultRiskPolicy());
  expect(file.parse({ version: 1, risk: { thresholds: { high: 70 } } }).risk.thresholds).toEqual({ medium: 25, high: 70 });
});

test('typos and bad values are errors with path: message lines', () => {
  expect(errors({ weight: {} })).toEqual(['(root): Unrecognized key: "weight"']);
  expect(errors({ weights: { auht: 10 } })).toEqual(['weights: Unrecognized key: "auht"']);
  expect(errors({ weights: { auth: 101 } })).toEqual([expect.stringMatching(/^weights\.auth: Too big/)]);
  expect(errors({ thresholds: { medium: 70, high: 60 } })).toEqual(['thresholds.high: medium must be lower than high']);
  expect(errors({ size: { largeLines: 3000 } })).toEqual(['size.hugeLines: largeLines must be lower than hugeLines']);
  expect(errors({ stacking: 2 })).toEqual([expect.stringMatching(/^stacking: Too big/)]);
  expect(errors({ paths: { frontend: ['src/ui/**'] } })).toEqual(['paths: Unrecognized key: "frontend"']);
  expect(errors({ paths: { 'airlock-config': ['deploy/**', '!.github/workflows/**'] } })).toEqual([
    "paths.airlock-config.1: airlock's own files cannot be excluded (add globs only)",
  ]);
});

test('the built-in gate files include the airlock files and the common CI definitions', () => {
  expect(GATE_FILE_GLOBS).toEqual(expect.arrayContaining(['**/airlock.yaml', '**/airlock.policy.yaml', '.github/workflows/**', '**/.gitlab-ci.yml']));
  expect(DEFAULT_PATH_RULES['airlock-config']).toBe(GATE_FILE_GLOBS);
});

describe('globs', () => {
  test.each([
    ['**/auth/**', 'src/auth/session.ts', true],
    ['**/auth/**', 'auth/x.ts', true],
    ['**/auth/**', 'src/author/x.ts', false],
    ['**/*auth.*', 'src/OAuth.TS', true],
    ['**/*auth.*', 'src/author.ts', false],
    ['**/airlock.yaml', 'airlock.yaml', true],
    ['**/airlock.yaml', 'services/api/airlock.yaml', true],
    ['.github/workflows/**', '.github/workflows/deploy.yml', true],
    ['**/*.{yaml,yml}', '.gitlab-ci.yml', true],
    ['src/**/x.ts', 'src/x.ts', true],
    ['src/**/x.ts', 'src/a/b/x.ts', true],
    ['src/*.ts', 'src/a/x.ts', false],
    ['file?.md', 'file1.md', true],
    ['file?.md', 'file/.md', false],
    ['[ab]*.txt', 'b-notes.txt', true],
    ['[!ab]*.txt', 'b-notes.txt', false],
    ['**/*.test.*', 'src/a.test.ts', true],
    ['docs/**', 'docs/a/b.md', true],
    ['a.b', 'axb', false],
  ])('%s matches %s: %s', (glob, file, expected) => {
    expect(globToRegExp(glob).test(file)).toBe(expected);
  });

  test('the built-in rules classify like picomatch (dot files, case-insensitive)', () => {
    const paths = [
      'README.md', 'docs/AUTHORS', '.github/workflows/ci.yml', '.github/CODEOWNERS', 'src/auth/x.ts', 'src/Auth/OAuth.TS',
      '.env', 'a/b/.env.production', 'Dockerfile', 'services/api/Dockerfile.dev', 'src/author.ts', 'x/requirements-dev.txt',
      'migrations/001.sql', 'src/payments/charge.ts', 'deep/a/b/c/secrets/k.pem', 'k8s/deploy.yaml', 'src/styles/a.scss',
      'public/img/logo.PNG', 'src/csrf.ts', 'lib/cors.js', 'lib/mycors.js', 'x/.gitlab-ci.yml', 'ci/Jenkinsfile', 'test/a.test.ts',
      'x_test.go', 'test_x.py', 'src/Makefile', 'locales/de/messages.po', 'src/api/v1/orders.proto', 'infra/main.tf', 'src/lib/x.rs',
    ];
    for (const globs of Object.values(DEFAULT_PATH_RULES)) {
      for (const glob of globs.filter((g) => !g.startsWith('!'))) {
        const reference = picomatch(glob, { dot: true, nocase: true });
        const ours = globToRegExp(glob);
        for (const file of paths) expect([glob, file, ours.test(file)]).toEqual([glob, file, reference(file)]);
      }
    }
  });
});

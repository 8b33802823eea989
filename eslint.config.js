// Two kinds of import rules (style.md "Layers", "Determinism"; docs/architecture.md "Layers"):
// - layers import only downward: cli -> workflows -> activities -> infra -> model (worker, an entry point
//   beside cli, may import every layer below); nothing but test/ and bench/ imports test/ or bench/;
// - workflow code runs in Temporal's deterministic sandbox: no I/O, no node built-ins, no side-effect libraries.
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const forbiddenInWorkflows = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'dockerode',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  'yaml',
  'typescript',
];

/**
 * A relative import of one of the project's top-level folders: `../` up to the root, then the folder. (No
 * subfolder of a layer is named like a top-level folder; a package such as @temporalio/worker never matches.)
 */
const folders = (...names) => `^(?:\\.\\./)+(?:${names.join('|')})(?:/|$)`;
const above = (names, message, extra = {}) => ({ regex: folders(...names), message, ...extra });
const noTestCode = above(['test', 'bench'], 'only test/ and bench/ import test/ and bench/');

/** no-restricted-imports for one folder; ESLint keeps one configuration of a rule per file, so each folder gets all of its own. */
const restrict = (folder, patterns, paths = []) => ({
  files: [`${folder}/**/*.ts`],
  rules: { 'no-restricted-imports': ['error', { paths, patterns }] },
});

const sandbox = forbiddenInWorkflows.map((name) => ({ name, message: 'not deterministic: workflows and model run in the Temporal sandbox' }));

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'examples/**', 'coverage/**', '**/*.js', 'test/fixtures/services/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  restrict(
    'model',
    [
      { group: ['@pulumi/*'], message: 'not deterministic: model runs in the Temporal sandbox' },
      above(['workflows', 'activities', 'infra', 'worker', 'cli', 'scripts'], 'model is the bottom layer: it imports nothing of ours above it'),
      noTestCode,
    ],
    sandbox,
  ),
  restrict('infra', [above(['activities', 'workflows', 'worker', 'cli', 'scripts'], 'infra imports only model (and infra)'), noTestCode]),
  restrict('activities', [above(['workflows', 'worker', 'cli', 'scripts'], 'activities import only infra and model (and activities)'), noTestCode]),
  restrict(
    'workflows',
    [
      { group: ['@pulumi/*'], message: 'not deterministic: workflows run in the Temporal sandbox' },
      above(['activities'], 'workflows import only @temporalio/workflow, model/ and types (use `import type` for activities)', { allowTypeImports: true }),
      above(['infra', 'worker', 'cli', 'scripts'], 'workflows import only @temporalio/workflow, model/ and `import type` of activities'),
      noTestCode,
    ],
    sandbox,
  ),
  restrict('worker', [above(['cli', 'scripts'], 'worker is an entry point beside cli: it imports the layers below, not cli'), noTestCode]),
  restrict('cli', [above(['scripts'], 'cli imports workflows, activities, infra, model and worker'), noTestCode]),
  restrict('scripts', [noTestCode]),
);

// Workflow code runs in Temporal's deterministic sandbox: no I/O, no node built-ins, no side-effect libraries.
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
  {
    files: ['workflows/**/*.ts', 'model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenInWorkflows.map((name) => ({ name, message: 'not deterministic: workflows and model run in the Temporal sandbox' })),
          patterns: [
            { group: ['@pulumi/*', '**/activities/*', '**/activities', '**/infra/*', '**/cli/*', '**/worker/*'], message: 'workflows import only @temporalio/workflow, model/ and types (use `import type` for activities)', allowTypeImports: true },
          ],
        },
      ],
    },
  },
);

// jest config of the history recorder (record-histories.ts is not a test: it rewrites fixtures).
module.exports = {
  rootDir: '../..',
  testMatch: ['<rootDir>/test/workflow/record-histories.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testEnvironment: 'node',
  testTimeout: 600_000,
};

// One jest project per test layer (style.md "Tests"); `npm test` runs them all, `--selectProjects` picks one.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const layer = (name, timeout) => ({
  displayName: name,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  transform,
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/jest-env.js'],
  slowTestThreshold: timeout / 1000,
});
module.exports = {
  testTimeout: 600_000,
  projects: [layer('unit', 5_000), layer('workflow', 60_000), layer('integration', 300_000), layer('e2e', 600_000)],
};

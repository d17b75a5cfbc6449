/**
 * Jest for `npm run mutate` (StrykerJS): the fast suites only. Left out: the suites that start
 * servers or whole local stacks (e2e, e2e-ha, local-stack, prometheus-server, alertmanager.e2e,
 * demo-exporter, instrumentation-http) and the package build (instrumentation-package); they take
 * minutes per mutant. ts-jest only transpiles (Stryker's instrumented code is not type-correct).
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  testPathIgnorePatterns: [
    '/node_modules/',
    'test/e2e\\.test\\.ts$',
    'test/e2e-ha\\.test\\.ts$',
    'test/local-stack\\.test\\.ts$',
    'test/prometheus-server\\.test\\.ts$',
    'test/alertmanager\\.e2e\\.test\\.ts$',
    'test/demo-exporter\\.test\\.ts$',
    'test/instrumentation-http\\.test\\.ts$',
    'test/instrumentation-package\\.test\\.ts$',
  ],
  // Counts what a file's beforeAll executes (the synths) as covered by each of its tests.
  testEnvironment: require('path').join(__dirname, 'test', 'stryker-environment.js'),
  maxWorkers: 1,
};

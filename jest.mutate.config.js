/**
 * Jest for `npm run mutate` (StrykerJS): the fast suites only. Left out: the suites that start
 * servers or whole local stacks (e2e, e2e-services, e2e-errors, e2e-faults, e2e-monitors*, e2e-remote-write*, e2e-ha*, local-stack, prometheus-server, alertmanager.e2e,
 * demo-exporter, instrumentation-http), the package build (instrumentation-package), and the two
 * suites that run promtool and amtool over every environment (environments: about 55 s, rules: about
 * 18 s of a 120 s run); the in-process suites and the short tool suites remain (about 45 s).
 * ts-jest only transpiles (Stryker's instrumented code is not type-correct).
 */
const fs = require('fs');
const path = require('path');
const base = require('./jest.config');

// Stryker runs the tests in a sandbox below .stryker-tmp/: the Grafana schemas beside the checkout
// are then three levels up.
if (!process.env.KNOWTON_GRAFANA_SCHEMAS) {
  const found = ['..', '../../..'].map((up) => path.resolve(__dirname, up, 'shared', 'schemas', 'grafana')).find((d) => fs.existsSync(d));
  if (found) process.env.KNOWTON_GRAFANA_SCHEMAS = found;
}

module.exports = {
  ...base,
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  testPathIgnorePatterns: [
    '/node_modules/',
    'test/e2e\\.test\\.ts$',
    'test/e2e-services\\.test\\.ts$',
    'test/e2e-errors\\.test\\.ts$',
    'test/e2e-faults\\.test\\.ts$',
    'test/e2e-monitors\\.test\\.ts$',
    'test/e2e-monitors-reload\\.test\\.ts$',
    'test/e2e-monitors-alertmanager\\.test\\.ts$',
    'test/e2e-remote-write\\.test\\.ts$',
    'test/e2e-remote-write-behind\\.test\\.ts$',
    'test/e2e-ha\\.test\\.ts$',
    'test/e2e-ha-replica\\.test\\.ts$',
    'test/e2e-ha-cluster\\.test\\.ts$',
    'test/e2e-ha-cluster-down\\.test\\.ts$',
    'test/local-stack\\.test\\.ts$',
    'test/prometheus-server\\.test\\.ts$',
    'test/alertmanager\\.e2e\\.test\\.ts$',
    'test/demo-exporter\\.test\\.ts$',
    'test/instrumentation-http\\.test\\.ts$',
    'test/instrumentation-package\\.test\\.ts$',
    'test/environments\\.test\\.ts$',
    'test/rules\\.test\\.ts$',
    // tsc over the project: Stryker's instrumented code is not type-correct
    'test/typecheck\\.test\\.ts$',
  ],
  // Counts what a file's beforeAll executes (the synths) as covered by each of its tests.
  testEnvironment: path.join(__dirname, 'test', 'stryker-environment.js'),
  maxWorkers: 1,
};

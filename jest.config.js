/**
 * ts-jest only transpiles (tsconfig's isolatedModules); test/typecheck.test.ts type-checks the project
 * with tsc, in parallel with the other files.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  testTimeout: 60000,
  // Most of the time goes to waiting on real servers (Prometheus, Alertmanager), not to the CPU:
  // more workers than jest's default (cores - 1) shorten the run.
  maxWorkers: 3,
  // Without an earlier run's timings, the files that wait on real servers start first.
  testSequencer: '<rootDir>/scripts/jest-sequencer.js',
};

/** Type-checking is done once by `tsc --noEmit` in `npm test`; ts-jest only transpiles. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  testTimeout: 60000,
  // Most of the time goes to waiting on real servers (Prometheus, Alertmanager), not to the CPU:
  // more workers than jest's default (cores - 1) shorten the run.
  maxWorkers: 3,
};

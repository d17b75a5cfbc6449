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
  // The end-to-end files mostly wait on real servers (Prometheus, Alertmanager): with more workers than
  // cores their waiting overlaps the CPU-bound files. On 2 cores, 3 workers took 202 s, 6 took 148 s and
  // 8 took 135 s, by then bound by the CPU (240-260 s of it); 6 leaves the e2e files' timings more room.
  maxWorkers: 6,
  // Without an earlier run's timings, the files that wait on real servers start first.
  testSequencer: '<rootDir>/scripts/jest-sequencer.js',
};

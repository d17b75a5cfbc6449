/** The alert rules, their generated and hand-written promtool tests, and the monitors of the monitors: one module registry for these files (jest.config.js says why). */
describe('rules.test.ts', () => {
  require('../rules.test');
});
describe('alerting.test.ts', () => {
  require('../alerting.test');
});
describe('promql.test.ts', () => {
  require('../promql.test');
});
describe('units.test.ts', () => {
  require('../units.test');
});
describe('catalog.test.ts', () => {
  require('../catalog.test');
});
describe('declarations.test.ts', () => {
  require('../declarations.test');
});
describe('consistency.test.ts', () => {
  require('../consistency.test');
});
describe('dead-mans-switch.test.ts', () => {
  require('../dead-mans-switch.test');
});
describe('inhibitions.test.ts', () => {
  require('../inhibitions.test');
});
describe('replicas.test.ts', () => {
  require('../replicas.test');
});
describe('missing-services.test.ts', () => {
  require('../missing-services.test');
});
describe('monitors.test.ts', () => {
  require('../monitors.test');
});
describe('e2e-coverage.test.ts', () => {
  require('../e2e-coverage.test');
});

/** Alertmanager's configuration, its routes proven with amtool, and the cluster's traffic model: one module registry for these files (jest.config.js says why). */
describe('alertmanager.test.ts', () => {
  require('../alertmanager.test');
});
describe('alert-routing.test.ts', () => {
  require('../alert-routing.test');
});
describe('operator-routing.test.ts', () => {
  require('../operator-routing.test');
});
describe('cluster-semantics.test.ts', () => {
  require('../cluster-semantics.test');
});
describe('cluster-flows.test.ts', () => {
  require('../cluster-flows.test');
});
describe('operator.test.ts', () => {
  require('../operator.test');
});

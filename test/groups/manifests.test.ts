/** The synthesized objects of every environment: schemas, security, namespaces, Ingress, dashboards: one module registry for these files (jest.config.js says why). */
describe('environments.test.ts', () => {
  require('../environments.test');
});
describe('environments-apart.test.ts', () => {
  require('../environments-apart.test');
});
describe('security.test.ts', () => {
  require('../security.test');
});
describe('shared-namespace.test.ts', () => {
  require('../shared-namespace.test');
});
describe('ingress-paths.test.ts', () => {
  require('../ingress-paths.test');
});
describe('prune.test.ts', () => {
  require('../prune.test');
});
describe('dashboards.test.ts', () => {
  require('../dashboards.test');
});
describe('dashboard-links.test.ts', () => {
  require('../dashboard-links.test');
});

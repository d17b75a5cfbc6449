/** The commands and their safety: synth, bad input, the review diff, CI, docs, the instrumentation package: one module registry for these files (jest.config.js says why). */
describe('synth-command.test.ts', () => {
  require('../synth-command.test');
});
describe('bad-input.test.ts', () => {
  require('../bad-input.test');
});
describe('review.test.ts', () => {
  require('../review.test');
});
describe('ci-workflow.test.ts', () => {
  require('../ci-workflow.test');
});
describe('docs.test.ts', () => {
  require('../docs.test');
});
describe('ensure-tools.test.ts', () => {
  require('../ensure-tools.test');
});
describe('instrumentation.test.ts', () => {
  require('../instrumentation.test');
});
describe('instrumentation-package.test.ts', () => {
  require('../instrumentation-package.test');
});

/**
 * Jest environment for `npm run mutate` only. StrykerJS's per-test coverage counts code run outside
 * a test as "static", and the suites synthesize each environment once in beforeAll: without this,
 * mutants of the synthesized components would be ignored (ignoreStatic) or tried only against the
 * tests that happen to synthesize inside a test. Here, what a beforeAll executes is recorded as
 * covered by every test of that file (they all read its result), and not as static.
 */
const { TestEnvironment } = require('jest-environment-node');

/** The test's full name as StrykerJS's jest-runner computes it. */
function fullName(test) {
  const names = [];
  for (let b = test.parent; b && b.parent; b = b.parent) names.unshift(b.name);
  return `${names.join(' ')} ${test.name}`.trimStart();
}

class BeforeAllCoverageEnvironment extends TestEnvironment {
  #shared = new Set();
  #before = undefined;

  coverage() {
    const ctx = this.global[this.global.__strykerGlobalNamespace__ ?? '__stryker__'];
    return ctx?.mutantCoverage;
  }

  async handleTestEvent(event) {
    const isBeforeAll = event.hook?.type === 'beforeAll';
    if (event.name === 'hook_start' && isBeforeAll) {
      this.#before = { ...(this.coverage()?.static ?? {}) };
    } else if ((event.name === 'hook_success' || event.name === 'hook_failure') && isBeforeAll && this.#before) {
      const cov = this.coverage();
      if (cov) {
        for (const [id, n] of Object.entries(cov.static)) {
          if (n === (this.#before[id] ?? 0)) continue;
          this.#shared.add(id);
          if (this.#before[id] === undefined) delete cov.static[id];
          else cov.static[id] = this.#before[id];
        }
      }
      this.#before = undefined;
    } else if (event.name === 'test_start' && this.#shared.size > 0) {
      const cov = this.coverage();
      if (cov) {
        const id = fullName(event.test);
        const per = (cov.perTest[id] = cov.perTest[id] ?? {});
        for (const m of this.#shared) per[m] = (per[m] ?? 0) + 1;
      }
    }
  }
}

module.exports = BeforeAllCoverageEnvironment;

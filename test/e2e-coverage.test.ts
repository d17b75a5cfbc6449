/**
 * Every alert of the stack (rules/ and the SLO tiers) is made to fire and resolve by an end-to-end
 * test file, or excluded with a reason (test/e2e-coverage.ts). A new alert fails here until it has
 * a row; each e2e file checks that it proved exactly the alerts of its rows.
 */
import { E2E_COVERAGE, everyAlert } from './e2e-coverage';

test('every alert fires and resolves in an e2e file, or is excluded with a reason', () => {
  const missing = everyAlert().filter((name) => !(name in E2E_COVERAGE));
  expect(missing).toEqual([]);
});

test('the table names no alert that does not exist', () => {
  const alerts = new Set(everyAlert());
  expect(Object.keys(E2E_COVERAGE).filter((name) => !alerts.has(name))).toEqual([]);
});

test('an exclusion gives a reason', () => {
  const short = Object.entries(E2E_COVERAGE).filter(([, c]) => 'excluded' in c && c.excluded.trim().length < 30);
  expect(short).toEqual([]);
});

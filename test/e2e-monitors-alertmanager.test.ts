/**
 * End to end, the monitors' own failure modes, part 3 of 3 (see e2e-monitors.test.ts): Alertmanager
 * stopped, on the real Prometheus and Alertmanager (Debian's 2.42 and 0.25, with their own LocalStack).
 * It is down, and Prometheus's notifications fail. Neither alert can be delivered (the fault breaks
 * delivery), so both are proven in Prometheus (ALERTS), firing and resolved after Alertmanager restarts.
 *
 * Timings as in e2e.test.ts (TEST_TIMINGS); PrometheusNotificationsFailing's 5-minute rates are
 * shortened to WINDOW through StackConfig (`alerts.<name>.window`).
 */
import { LocalStack, TEST_TIMINGS } from '../lib/demo';
import { Duration } from '../lib/units';
import { E2e, withShortWindows } from './e2e-support';

const WINDOW = Duration.seconds(6);
const FAULTS = ['AlertmanagerDown', 'PrometheusNotificationsFailing'];

let stack: LocalStack;
const e2e = new E2e(() => stack, 'e2e-monitors-alertmanager.test.ts');

beforeAll(async () => {
  stack = await LocalStack.start({ config: withShortWindows(['PrometheusNotificationsFailing'], WINDOW), timings: TEST_TIMINGS });
}, 30000);

afterAll(async () => {
  await stack?.stop();
});

test('healthy at the start: only the Watchdog fires', async () => {
  await e2e.untilQuiet();
}, 40000);

describe('Alertmanager stopped', () => {
  test('AlertmanagerDown and PrometheusNotificationsFailing fire in Prometheus (nothing can deliver them), nothing else', async () => {
    e2e.step();
    await stack.alertmanager[0].stop();
    const firing = await e2e.untilFiring(FAULTS);
    expect(firing.filter((a) => a.alertname === 'AlertmanagerDown').map((a) => a.labels)).toEqual([expect.objectContaining({ severity: 'critical', job: 'alertmanager' })]);
    expect(firing.filter((a) => a.alertname === 'PrometheusNotificationsFailing').map((a) => a.labels)).toEqual([
      expect.objectContaining({ severity: 'critical', alertmanager: `${stack.alertmanagerUrl}/api/v2/alerts` }),
    ]);
    await e2e.onlyThese(FAULTS);
  }, 40000);

  test('restarted, both resolve', async () => {
    await stack.alertmanager[0].restart();
    await stack.alertmanager[0].ready(`${stack.alertmanagerUrl}/-/ready`);
    await e2e.untilResolved(FAULTS);
    await e2e.untilOnly(['Watchdog']);
  }, 40000);
});

test('it proved exactly the alerts test/e2e-coverage.ts gives this file', () => {
  e2e.expectCoverage();
});

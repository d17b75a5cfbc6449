/**
 * End to end, PrometheusRemoteWriteBehind (see e2e-remote-write.test.ts for the stack and the
 * receiver): pushes held unanswered, the queue's newest sent sample stops while samples keep coming
 * in, so PrometheusRemoteWriteBehind fires (its threshold lowered to THRESHOLD through StackConfig);
 * the held pushes answered and 204 again, the queue catches up and it resolves.
 *
 * Timings as in e2e.test.ts (TEST_TIMINGS); the alert's max_over_time windows are shortened to WINDOW
 * through StackConfig. Proven on Prometheus 2.42 only.
 */
import { LocalStack, TEST_TIMINGS, waitFor } from '../lib/demo';
import { E2e } from './e2e-support';
import { RemoteWriteReceiver, remoteWriteConfig } from './remote-write-receiver';

const CRITICAL = ['#knowton-alerts', '#knowton-critical', 'pagerduty'];

let stack: LocalStack;
let rw: RemoteWriteReceiver;
const e2e = new E2e(() => stack, 'e2e-remote-write-behind.test.ts');
/** Alerts seen firing in this file: a resolve step proves nothing (and records nothing) for an alert that never fired. */
const fired = new Set<string>();

beforeAll(async () => {
  rw = await RemoteWriteReceiver.start();
  stack = await LocalStack.start({ config: remoteWriteConfig(rw.url), timings: TEST_TIMINGS });
}, 30000);

afterAll(async () => {
  await stack?.stop();
  await rw?.stop();
});

const queueLabels = () => ({ pod: 'prometheus-0', url: rw.url, remote_name: expect.any(String) });

test('healthy at the start: the queue sends, only the Watchdog fires', async () => {
  await waitFor('pushes accepted', async () => (rw.pushes.accept > 3 ? true : undefined), 20000);
  await e2e.untilQuiet();
  expect(rw.pushes.refuse + rw.pushes.hold).toBe(0);
}, 40000);

describe('the receiver stops answering (pushes held)', () => {
  test('PrometheusRemoteWriteBehind fires naming the queue, is delivered, nothing else fires', async () => {
    e2e.step();
    rw.set('hold');
    const firing = await e2e.untilFiring(['PrometheusRemoteWriteBehind']);
    fired.add('PrometheusRemoteWriteBehind');
    expect(rw.pushes.hold).toBeGreaterThan(0);
    expect(firing.filter((a) => a.alertname === 'PrometheusRemoteWriteBehind').map((a) => a.labels)).toEqual([
      expect.objectContaining({ severity: 'critical', ...queueLabels() }),
    ]);
    // Delivered, while nothing else fires at any sample of a few intervals.
    await Promise.all([e2e.notified('PrometheusRemoteWriteBehind', 'firing', CRITICAL), e2e.onlyThese(['PrometheusRemoteWriteBehind'])]);
  }, 60000);

  test('answering again, the queue catches up and it resolves in Prometheus and at its channels', async () => {
    e2e.step();
    expect([...fired]).toContain('PrometheusRemoteWriteBehind');
    rw.set('accept');
    await e2e.untilResolved(['PrometheusRemoteWriteBehind']);
    await e2e.notified('PrometheusRemoteWriteBehind', 'resolved', CRITICAL);
    await e2e.untilOnly(['Watchdog']);
  }, 60000);
});

test('it proved exactly the alerts test/e2e-coverage.ts gives this file', () => {
  e2e.expectCoverage();
});

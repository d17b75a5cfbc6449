/**
 * End to end, the remote write alerts (rules/monitors.ts, only where `prometheus.remoteWrite` is set):
 * the real Prometheus and Alertmanager (Debian's 2.42 and 0.25, with their own LocalStack) run dev's
 * stack synthesized with one remote write entry (no credentials: nothing is mounted) pointing at a
 * receiver the test controls (test/remote-write-receiver.ts), which answers every push with 204,
 * refuses it with 400, or holds it unanswered. The two faults run in two files side by side: this
 * one (400) and e2e-remote-write-behind.test.ts (pushes held).
 *
 * - 400: Prometheus 2.42 counts a refused push in samples_failed_total (non-recoverable, not retried),
 *   so PrometheusRemoteWriteFailing fires and is delivered; 204 again and it resolves. Its newest sent
 *   sample keeps up meanwhile (measured lag 0s), so PrometheusRemoteWriteBehind stays quiet.
 *
 * Timings as in e2e.test.ts (TEST_TIMINGS); both alerts' windows (a 5-minute rate, max_over_time 5m)
 * are shortened to WINDOW through StackConfig. Proven on Prometheus 2.42 only: the pinned v3 image
 * names the same metrics, but which answers it counts as failed is not run here.
 */
import { LocalStack, TEST_TIMINGS, waitFor } from '../lib/demo';
import { E2e } from './e2e-support';
import { RemoteWriteReceiver, remoteWriteConfig } from './remote-write-receiver';

const CRITICAL = ['#knowton-alerts', '#knowton-critical', 'pagerduty'];

let stack: LocalStack;
let rw: RemoteWriteReceiver;
const e2e = new E2e(() => stack, 'e2e-remote-write.test.ts');
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

describe('the receiver refuses every push (400)', () => {
  test('PrometheusRemoteWriteFailing fires naming the queue, is delivered to its channels, nothing else fires', async () => {
    e2e.step();
    rw.set('refuse');
    const firing = await e2e.untilFiring(['PrometheusRemoteWriteFailing']);
    fired.add('PrometheusRemoteWriteFailing');
    expect(rw.pushes.refuse).toBeGreaterThan(0);
    expect(firing.filter((a) => a.alertname === 'PrometheusRemoteWriteFailing').map((a) => a.labels)).toEqual([
      expect.objectContaining({ severity: 'critical', ...queueLabels() }),
    ]);
    // Delivered, while nothing else fires at any sample of a few intervals.
    const [got] = await Promise.all([e2e.notified('PrometheusRemoteWriteFailing', 'firing', CRITICAL), e2e.onlyThese(['PrometheusRemoteWriteFailing'])]);
    expect(got[0].labels).toMatchObject({ pod: 'prometheus-0', url: rw.url });
  }, 60000);

  test('accepting again, it resolves in Prometheus and at its channels', async () => {
    e2e.step();
    expect([...fired]).toContain('PrometheusRemoteWriteFailing');
    rw.set('accept');
    await e2e.untilResolved(['PrometheusRemoteWriteFailing']);
    await e2e.notified('PrometheusRemoteWriteFailing', 'resolved', CRITICAL);
    await e2e.untilOnly(['Watchdog']);
  }, 60000);
});

test('it proved exactly the alerts test/e2e-coverage.ts gives this file', () => {
  e2e.expectCoverage();
});

/**
 * End to end, the remote write alerts (rules/monitors.ts, only where `prometheus.remoteWrite` is set):
 * the real Prometheus and Alertmanager (Debian's 2.42 and 0.25, with their own LocalStack) run dev's
 * stack synthesized with one remote write entry (no credentials: nothing is mounted) pointing at a
 * receiver this file controls, which answers every push with 204, refuses it with 400, or holds it
 * unanswered.
 *
 * - 400: Prometheus 2.42 counts a refused push in samples_failed_total (non-recoverable, not retried),
 *   so PrometheusRemoteWriteFailing fires and is delivered; 204 again and it resolves. Its newest sent
 *   sample keeps up meanwhile (measured lag 0s), so PrometheusRemoteWriteBehind stays quiet.
 * - pushes held unanswered: the queue's newest sent sample stops while samples keep coming in, so
 *   PrometheusRemoteWriteBehind fires (its threshold lowered to THRESHOLD through StackConfig); the held
 *   pushes answered and 204 again, the queue catches up and it resolves.
 *
 * Timings as in e2e.test.ts (TEST_TIMINGS); both alerts' windows (a 5-minute rate, max_over_time 5m)
 * are shortened to WINDOW through StackConfig. Proven on Prometheus 2.42 only: the pinned v3 image
 * names the same metrics, but which answers it counts as failed is not run here.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { environmentConfig, StackConfig } from '../lib/config';
import { LocalStack, TEST_TIMINGS, waitFor } from '../lib/demo';
import { Duration, seconds } from '../lib/units';
import { E2e, withShortWindows } from './e2e-support';

const WINDOW = Duration.seconds(6);
/** Lag of the newest sample sent that raises PrometheusRemoteWriteBehind here (120s in dist/). */
const THRESHOLD = seconds(8);
const CRITICAL = ['#knowton-alerts', '#knowton-critical', 'pagerduty'];

/** A remote write receiver: answers 204, refuses with 400, or holds every push unanswered. */
class RemoteWriteReceiver {
  mode: 'accept' | 'refuse' | 'hold' = 'accept';
  /** Pushes received, by the answer they got (or are waiting for). */
  readonly pushes = { accept: 0, refuse: 0, hold: 0 };
  private readonly held: http.ServerResponse[] = [];
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<RemoteWriteReceiver> {
    const r: RemoteWriteReceiver = new RemoteWriteReceiver(http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const mode = r.mode;
        r.pushes[mode]++;
        if (mode === 'hold') r.held.push(res);
        else res.writeHead(mode === 'accept' ? 204 : 400).end(mode === 'refuse' ? 'refused by the test' : undefined);
      });
    }));
    await new Promise<void>((done) => r.server.listen(0, '127.0.0.1', done));
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v1/push`;
  }

  /** Switches the answer; leaving `hold` answers the held pushes with the new answer. */
  set(mode: RemoteWriteReceiver['mode']): void {
    this.mode = mode;
    if (mode !== 'hold') for (const res of this.held.splice(0)) res.writeHead(mode === 'accept' ? 204 : 400).end();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

let stack: LocalStack;
let rw: RemoteWriteReceiver;
const e2e = new E2e(() => stack, 'e2e-remote-write.test.ts');
/** Alerts seen firing in this file: a resolve step proves nothing (and records nothing) for an alert that never fired. */
const fired = new Set<string>();

beforeAll(async () => {
  rw = await RemoteWriteReceiver.start();
  const dev = environmentConfig('dev');
  // Small batches: a push every few hundred samples rather than at the 5s batch deadline, so a healthy queue lags little.
  const base: StackConfig = { ...dev, prometheus: { ...dev.prometheus, remoteWrite: [{ url: rw.url, maxSamplesPerSend: 200 }] } };
  const config = withShortWindows(['PrometheusRemoteWriteFailing', 'PrometheusRemoteWriteBehind'], WINDOW, base);
  stack = await LocalStack.start({
    config: { ...config, alerts: { ...config.alerts, PrometheusRemoteWriteBehind: { ...config.alerts?.PrometheusRemoteWriteBehind, threshold: THRESHOLD } } },
    timings: TEST_TIMINGS,
  });
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
    const got = await e2e.notified('PrometheusRemoteWriteFailing', 'firing', CRITICAL);
    expect(got[0].labels).toMatchObject({ pod: 'prometheus-0', url: rw.url });
    await e2e.onlyThese(['PrometheusRemoteWriteFailing']);
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
    await e2e.notified('PrometheusRemoteWriteBehind', 'firing', CRITICAL);
    await e2e.onlyThese(['PrometheusRemoteWriteBehind']);
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

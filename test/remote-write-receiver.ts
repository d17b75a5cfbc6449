/**
 * What the remote write e2e files (e2e-remote-write*.test.ts) share: a remote write receiver the test
 * controls, and dev's configuration remote-writing to it with both remote write alerts' windows
 * shortened and PrometheusRemoteWriteBehind's threshold lowered through StackConfig.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { environmentConfig, StackConfig } from '../lib/config';
import { LocalStack, TEST_TIMINGS, waitFor } from '../lib/demo';
import { Duration, seconds } from '../lib/units';
import { E2eFile } from './e2e-coverage';
import { E2e, withShortWindows } from './e2e-support';

/** Both alerts' windows (a 5-minute rate, max_over_time 5m) in the remote write files. */
export const WINDOW = Duration.seconds(6);
/** Lag of the newest sample sent that raises PrometheusRemoteWriteBehind here (120s in dist/). */
export const THRESHOLD = seconds(8);

/** A remote write receiver: answers 204, refuses with 400, or holds every push unanswered. */
export class RemoteWriteReceiver {
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

/** dev remote-writing to `url`, with the remote write alerts' windows and threshold shortened. */
export function remoteWriteConfig(url: string): StackConfig {
  const dev = environmentConfig('dev');
  // Small batches: a push every few hundred samples rather than at the 5s batch deadline, so a healthy queue lags little.
  const base: StackConfig = { ...dev, prometheus: { ...dev.prometheus, remoteWrite: [{ url, maxSamplesPerSend: 200 }] } };
  const config = withShortWindows(['PrometheusRemoteWriteFailing', 'PrometheusRemoteWriteBehind'], WINDOW, base);
  return { ...config, alerts: { ...config.alerts, PrometheusRemoteWriteBehind: { ...config.alerts?.PrometheusRemoteWriteBehind, threshold: THRESHOLD } } };
}

const CRITICAL = ['#knowton-alerts', '#knowton-critical', 'pagerduty'];

/**
 * The tests of one remote write e2e file: a local stack remote-writing to a receiver of its own; healthy at
 * the start (the queue sends, only the Watchdog fires); then the receiver answers `fault`, `alert` fires naming
 * the queue, is delivered to the critical channels and nothing else fires; answering again, it resolves in
 * Prometheus and at those channels; last, the file proved exactly its rows of test/e2e-coverage.ts.
 */
export function remoteWriteFaultTests(file: E2eFile, fault: { mode: 'refuse' | 'hold'; title: string; alert: string; resolved: string }): void {
  let stack: LocalStack;
  let rw: RemoteWriteReceiver;
  const e2e = new E2e(() => stack, file);
  /** Whether `alert` was seen firing: a resolve step proves nothing (and records nothing) for an alert that never fired. */
  let fired = false;

  beforeAll(async () => {
    rw = await RemoteWriteReceiver.start();
    stack = await LocalStack.start({ config: remoteWriteConfig(rw.url), timings: TEST_TIMINGS });
  }, 30000);

  afterAll(async () => {
    await stack?.stop();
    await rw?.stop();
  });

  test('healthy at the start: the queue sends, only the Watchdog fires', async () => {
    await waitFor('pushes accepted', async () => (rw.pushes.accept > 3 ? true : undefined), 20000);
    await e2e.untilQuiet();
    expect(rw.pushes.refuse + rw.pushes.hold).toBe(0);
  }, 40000);

  describe(fault.title, () => {
    test(`${fault.alert} fires naming the queue, is delivered to its channels, nothing else fires`, async () => {
      e2e.step();
      rw.set(fault.mode);
      const firing = await e2e.untilFiring([fault.alert]);
      fired = true;
      expect(rw.pushes[fault.mode]).toBeGreaterThan(0);
      const queue = { pod: 'prometheus-0', url: rw.url };
      expect(firing.filter((a) => a.alertname === fault.alert).map((a) => a.labels)).toEqual([
        expect.objectContaining({ severity: 'critical', ...queue, remote_name: expect.any(String) }),
      ]);
      // Delivered, while nothing else fires at any sample of a few intervals.
      const [got] = await Promise.all([e2e.notified(fault.alert, 'firing', CRITICAL), e2e.onlyThese([fault.alert])]);
      expect(got[0].labels).toMatchObject(queue);
    }, 60000);

    test(fault.resolved, async () => {
      e2e.step();
      expect(fired).toBe(true);
      rw.set('accept');
      await e2e.untilResolved([fault.alert]);
      await e2e.notified(fault.alert, 'resolved', CRITICAL);
      await e2e.untilOnly(['Watchdog']);
    }, 60000);
  });

  test('it proved exactly the alerts test/e2e-coverage.ts gives this file', () => {
    e2e.expectCoverage();
  });
}

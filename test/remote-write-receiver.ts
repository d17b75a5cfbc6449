/**
 * What the remote write e2e files (e2e-remote-write*.test.ts) share: a remote write receiver the test
 * controls, and dev's configuration remote-writing to it with both remote write alerts' windows
 * shortened and PrometheusRemoteWriteBehind's threshold lowered through StackConfig.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { environmentConfig, StackConfig } from '../lib/config';
import { Duration, seconds } from '../lib/units';
import { withShortWindows } from './e2e-support';

/** Both alerts' windows (a 5-minute rate, max_over_time 5m) in the remote write files. */
export const WINDOW = Duration.seconds(6);
/** Lag of the newest sample sent that raises PrometheusRemoteWriteBehind here (120s in dist/). */
export const THRESHOLD = seconds(8);

export /** A remote write receiver: answers 204, refuses with 400, or holds every push unanswered. */
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

/** dev remote-writing to `url`, with the remote write alerts' windows and threshold shortened. */
export function remoteWriteConfig(url: string): StackConfig {
  const dev = environmentConfig('dev');
  // Small batches: a push every few hundred samples rather than at the 5s batch deadline, so a healthy queue lags little.
  const base: StackConfig = { ...dev, prometheus: { ...dev.prometheus, remoteWrite: [{ url, maxSamplesPerSend: 200 }] } };
  const config = withShortWindows(['PrometheusRemoteWriteFailing', 'PrometheusRemoteWriteBehind'], WINDOW, base);
  return { ...config, alerts: { ...config.alerts, PrometheusRemoteWriteBehind: { ...config.alerts?.PrometheusRemoteWriteBehind, threshold: THRESHOLD } } };
}

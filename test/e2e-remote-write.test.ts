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
import { remoteWriteFaultTests } from './remote-write-receiver';

remoteWriteFaultTests('e2e-remote-write.test.ts', {
  mode: 'refuse',
  title: 'the receiver refuses every push (400)',
  alert: 'PrometheusRemoteWriteFailing',
  resolved: 'accepting again, it resolves in Prometheus and at its channels',
});

/**
 * End to end, PrometheusRemoteWriteBehind (see e2e-remote-write.test.ts for the stack and the
 * receiver): pushes held unanswered, the queue's newest sent sample stops while samples keep coming
 * in, so PrometheusRemoteWriteBehind fires (its threshold lowered to THRESHOLD through StackConfig);
 * the held pushes answered and 204 again, the queue catches up and it resolves.
 *
 * Timings as in e2e.test.ts (TEST_TIMINGS); the alert's max_over_time windows are shortened to WINDOW
 * through StackConfig. Proven on Prometheus 2.42 only.
 */
import { remoteWriteFaultTests } from './remote-write-receiver';

remoteWriteFaultTests('e2e-remote-write-behind.test.ts', {
  mode: 'hold',
  title: 'the receiver stops answering (pushes held)',
  alert: 'PrometheusRemoteWriteBehind',
  resolved: 'answering again, the queue catches up and it resolves in Prometheus and at its channels',
});

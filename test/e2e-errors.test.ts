/**
 * End to end, errors and slow responses of the backend (see e2e.test.ts for the stack: the same
 * configuration, TEST_TIMINGS, the same shortened windows and two backend replicas, with a LocalStack
 * of its own so that jest runs it beside e2e.test.ts and e2e-services.test.ts). The stack starts in
 * `error-spike`, as e2e.test.ts starts in `minting-stopped` (e2e.test.ts proves the same stack quiet
 * when healthy): HighErrorRate fires for the backend only, in #knowton-warnings, and the spike burns
 * the backend's availability budget, BackendAvailabilityBurnRate1h paging (firing only; see
 * test/e2e-coverage.ts). Then `slow-responses`: HighErrorRate resolves and HighResponseTime fires;
 * then `healthy`: it resolves.
 */
import { LocalStack, Notification, TEST_TIMINGS } from '../lib/demo';
import { Duration } from '../lib/units';
import { E2e, withShortWindows } from './e2e-support';

let stack: LocalStack;
/** The 5- and 10-minute windows of these alerts, shortened through StackConfig so that they resolve within seconds. */
const WINDOW = Duration.seconds(6);
const WINDOWED = ['HighErrorRate', 'HighResponseTime', 'BusinessMetricsExporterFailing'];

beforeAll(async () => {
  // Started with the backend answering 30% of requests with 5xx.
  stack = await LocalStack.start({ scenario: 'error-spike', timings: TEST_TIMINGS, config: withShortWindows(WINDOWED, WINDOW), replicas: { backend: 2 } });
}, 30000);

afterAll(async () => {
  await stack?.stop();
});

const e2e = new E2e(() => stack, 'e2e-errors.test.ts');
const switchTo = (scenario: Parameters<LocalStack['exporter']['setScenario']>[0]): void => e2e.switchTo(scenario);
const notified = (alertname: string, status: Notification['status'], where: string[], timeoutMs?: number) => e2e.notified(alertname, status, where, timeoutMs);
const sinceSwitch = (alertname: string, status?: Notification['status']) => e2e.sinceStep(alertname, status);

test('error spike: HighErrorRate fires for the backend only, in #knowton-warnings', async () => {
  // From the start: the first scrapes come a few seconds after Prometheus starts.
  const got = await notified('HighErrorRate', 'firing', ['#knowton-alerts', '#knowton-warnings'], 40000);
  for (const n of got) expect(n.labels).toMatchObject({ alertname: 'HighErrorRate', severity: 'warning', service: 'backend' });
  expect(sinceSwitch('HighErrorRate').filter((n) => n.labels.service !== 'backend')).toEqual([]);
}, 50000);

test("the same spike burns the backend's availability budget at ~300x: the 1h tier pages PagerDuty and #knowton-critical with the SLO's labels", async () => {
  // Still error-spike (30% 5xx against a 0.1% budget); the page needs both the 1h and 5m windows above 14.4x.
  const got = await notified('BackendAvailabilityBurnRate1h', 'firing', ['#knowton-alerts', '#knowton-critical', 'pagerduty']);
  for (const n of got) {
    expect(n.labels).toMatchObject({ alertname: 'BackendAvailabilityBurnRate1h', severity: 'critical', category: 'slo', service: 'backend', slo: 'backend-availability', burn_window: '1h', environment: 'dev' });
  }
  expect(got.find((n) => n.via === 'pagerduty')!.body).toMatchObject({ event_action: 'trigger' });
  // No other SLO burns: the ai-service, latency and mint budgets are untouched.
  const others = stack.receiver.received.filter((n) => n.labels.category === 'slo' && n.labels.slo !== 'backend-availability');
  expect(others).toEqual([]);
}, 30000);

test('slow responses: HighErrorRate resolves once the spike has left its window, and HighResponseTime fires for the backend, in #knowton-warnings', async () => {
  switchTo('slow-responses');
  const [, got] = await Promise.all([
    notified('HighErrorRate', 'resolved', ['#knowton-alerts', '#knowton-warnings']),
    notified('HighResponseTime', 'firing', ['#knowton-alerts', '#knowton-warnings']),
  ]);
  for (const n of got) expect(n.labels).toMatchObject({ alertname: 'HighResponseTime', severity: 'warning', service: 'backend' });
  await e2e.untilResolved(['HighErrorRate']);
}, 30000);

test('back to healthy, HighResponseTime resolves at the channels it was sent to', async () => {
  switchTo('healthy');
  await notified('HighResponseTime', 'resolved', ['#knowton-alerts', '#knowton-warnings']);
  await e2e.untilResolved(['HighResponseTime']);
}, 30000);

test('it proved exactly the alerts test/e2e-coverage.ts gives this file', () => {
  e2e.expectCoverage();
});

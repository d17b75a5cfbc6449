/**
 * End to end, independent faults at once: the real Prometheus and Alertmanager (as in e2e.test.ts,
 * with its own LocalStack so jest runs it in parallel) scrape the demo exporter in `many-faults`,
 * where the backend burns its CPU, the ai-service's memory is near its limit and its container
 * crash-loops, PostgreSQL's connections pile up, transfers fail on the chain, almost no user is
 * active and node-exporter stops answering. Each fault must raise its own alert with the labels
 * naming what broke, nothing else may fire, each must reach the channels of its severity, and each
 * must resolve (with `resolved` notifications) once the platform is healthy again.
 *
 * Timings as in e2e.test.ts (TEST_TIMINGS), and the range windows of the alerts over rates and
 * increases are shortened to WINDOW through StackConfig (`alerts.<name>.window`), so that they
 * resolve seconds after the fault ends. Expressions, thresholds, routes and templates are dist/'s.
 */
import { LocalStack, TEST_TIMINGS } from '../lib/demo';
import { APP_JOB } from '../lib/components/prometheus-config';
import { Duration } from '../lib/units';
import { E2e, withShortWindows } from './e2e-support';

const WINDOW = Duration.seconds(10);
const WINDOWED = ['HighCPUUsage', 'PodCrashLooping'];
/**
 * A transaction a second, 2% failing while healthy: over 10s one failure would be 10% of them, at the
 * threshold. Over 20s a healthy platform stays at 5% at most.
 */
const TRANSACTIONS_WINDOW = Duration.seconds(20);

let stack: LocalStack;
const e2e = new E2e(() => stack, 'e2e-faults.test.ts');

beforeAll(async () => {
  const config = withShortWindows(['HighTransactionFailureRate'], TRANSACTIONS_WINDOW, withShortWindows(WINDOWED, WINDOW));
  stack = await LocalStack.start({ config, timings: TEST_TIMINGS });
}, 30000);

afterAll(async () => {
  await stack?.stop();
});

const podOf = (service: string): string => stack.exporter.targets[APP_JOB].find((t) => t.labels?.service === service)!.labels!.pod;

/** Each alert `many-faults` must raise: the labels it must carry, and where its severity routes it. */
function expected(): Record<string, { labels: Record<string, string>; where: string[] }> {
  const warning = ['#knowton-alerts', '#knowton-warnings'];
  const critical = ['#knowton-alerts', '#knowton-critical', 'pagerduty'];
  const ns = stack.exporter.namespace;
  return {
    HighCPUUsage: { labels: { severity: 'warning', namespace: ns, pod: podOf('backend'), container: 'backend' }, where: warning },
    HighMemoryUsage: { labels: { severity: 'warning', namespace: ns, pod: podOf('ai-service'), container: 'ai-service' }, where: warning },
    PodCrashLooping: { labels: { severity: 'critical', namespace: ns, pod: podOf('ai-service'), container: 'ai-service' }, where: critical },
    ContainerWaiting: { labels: { severity: 'warning', namespace: ns, pod: podOf('ai-service'), container: 'ai-service', reason: 'CrashLoopBackOff' }, where: warning },
    HighDatabaseConnections: { labels: { severity: 'warning', instance: stack.exporter.targets['postgres-exporter'][0].targets[0] }, where: warning },
    HighTransactionFailureRate: { labels: { severity: 'warning', network: 'arbitrum' }, where: warning },
    NoActiveUsers: { labels: { severity: 'warning', category: 'business' }, where: warning },
    MonitoringTargetDown: { labels: { severity: 'warning', job: 'node-exporter' }, where: warning },
  };
}

test('healthy at the start: only the Watchdog fires', async () => {
  await e2e.untilQuiet();
}, 40000);

describe('many faults at once', () => {
  test('each fault raises its own alert, naming what broke, and nothing else fires', async () => {
    e2e.switchTo('many-faults');
    const want = expected();
    const firing = await e2e.untilFiring(Object.keys(want));
    for (const [name, { labels }] of Object.entries(want)) {
      const got = firing.filter((a) => a.alertname === name);
      // One alert per fault: the other pods, containers and exporters are healthy.
      expect(got.map((a) => a.labels)).toEqual([expect.objectContaining(labels)]);
    }
    await e2e.onlyThese(Object.keys(want));
  }, 40000);

  test('each reaches the channels of its severity, with its labels', async () => {
    for (const [name, { labels, where }] of Object.entries(expected())) {
      const got = await e2e.notified(name, 'firing', where);
      for (const n of got) expect(n.labels).toMatchObject({ ...labels, environment: 'dev' });
    }
  }, 40000);

  test('back to healthy, each resolves in Prometheus and at every channel it was sent to', async () => {
    e2e.switchTo('healthy');
    const want = expected();
    await e2e.untilResolved(Object.keys(want));
    for (const [name, { where }] of Object.entries(want)) await e2e.notified(name, 'resolved', where);
    await e2e.untilOnly(['Watchdog']);
  }, 40000);
});

test('it proved exactly the alerts test/e2e-coverage.ts gives this file', () => {
  e2e.expectCoverage();
});

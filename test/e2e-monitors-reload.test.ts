/**
 * End to end, the monitors' own failure modes, part 2 of 3 (see e2e-monitors.test.ts): at once, a
 * prometheus.yml and an alertmanager.yml that do not load, reloaded (POST /-/reload): both keep their
 * previous configuration and report the failed reload; and Slack, PagerDuty and the heartbeat
 * refusing every notification (403 from the local stand-in): notifications fail. Each raises its alert of rules/monitors.ts,
 * naming what broke, nothing else fires, and each resolves once repaired; the warnings held back while
 * Slack failed arrive once it answers.
 *
 * Timings as in e2e.test.ts (TEST_TIMINGS); the windows of these alerts (min_over_time, 5-minute
 * rates) are shortened through StackConfig (`alerts.<name>.window`).
 */
import * as fs from 'fs';
import { parse, stringify } from 'yaml';
import { LocalStack, TEST_TIMINGS } from '../lib/demo';
import { Duration } from '../lib/units';
import { E2e, withShortWindows } from './e2e-support';

const WINDOW = Duration.seconds(6);
const FAULTS = ['PrometheusConfigReloadFailed', 'AlertmanagerConfigReloadFailed', 'AlertmanagerNotificationsFailing'];

let stack: LocalStack;
const e2e = new E2e(() => stack, 'e2e-monitors-reload.test.ts');
/** The files as the stack started them, restored after the faults. */
let prometheusYml: string;
let alertmanagerYml: string;

beforeAll(async () => {
  const config = withShortWindows(FAULTS, WINDOW);
  stack = await LocalStack.start({ config, timings: TEST_TIMINGS });
  prometheusYml = fs.readFileSync(stack.prometheusConfigFiles[0], 'utf8');
  alertmanagerYml = fs.readFileSync(stack.alertmanagerConfigFile, 'utf8');
}, 30000);

afterAll(async () => {
  await stack?.stop();
});

test('healthy at the start: only the Watchdog fires', async () => {
  await e2e.untilQuiet();
}, 40000);

describe('configurations that do not load, receivers failing: at once', () => {
  test('each fault raises its own alert, naming what broke, and nothing else fires', async () => {
    e2e.step();
    // Configurations that do not load: an unknown field, a route to an undefined receiver.
    const prom = parse(prometheusYml);
    prom.not_a_prometheus_field = true;
    fs.writeFileSync(stack.prometheusConfigFiles[0], stringify(prom, { lineWidth: 0 }));
    const am = parse(alertmanagerYml);
    am.route.receiver = 'no-such-receiver';
    fs.writeFileSync(stack.alertmanagerConfigFile, stringify(am, { lineWidth: 0 }));
    const [promStatus, amStatus] = await Promise.all([stack.reload('prometheus'), stack.reload('alertmanager')]);
    expect(promStatus).toEqual([500]);
    expect(amStatus).toEqual([500]);
    // Refused as for a revoked webhook or key: Alertmanager counts each refusal at once and tries again
    // at the next group_interval, so failures are dense in the window. (An outage answering 500 is
    // retried for the flush's whole timeout, 10s at least, before one failure counts: CI saw the ratio
    // then too sparse to hold over `for`, and it took 20s to fire.)
    stack.receiver.failingStatus = 403;
    stack.receiver.failing = true;

    const firing = await e2e.untilFiring(FAULTS, 60000);
    const of = (name: string) => firing.filter((a) => a.alertname === name).map((a) => a.labels);
    expect(of('PrometheusConfigReloadFailed')).toEqual([expect.objectContaining({ severity: 'warning', job: 'prometheus' })]);
    expect(of('AlertmanagerConfigReloadFailed')).toEqual([expect.objectContaining({ severity: 'warning', job: 'alertmanager' })]);
    for (const l of of('AlertmanagerNotificationsFailing')) expect(['slack', 'pagerduty', 'webhook']).toContain(l.integration);
    expect(of('AlertmanagerNotificationsFailing').map((l) => l.integration)).toContain('slack');
    await e2e.onlyThese(FAULTS);
  }, 90000);

  test('repaired, each resolves in Prometheus, and at every channel its firing reached', async () => {
    e2e.step();
    fs.writeFileSync(stack.prometheusConfigFiles[0], prometheusYml);
    fs.writeFileSync(stack.alertmanagerConfigFile, alertmanagerYml);
    expect(await stack.reload('prometheus')).toEqual([200]);
    expect(await stack.reload('alertmanager')).toEqual([200]);
    stack.receiver.failing = false;
    await e2e.untilResolved(FAULTS);
    // The warnings, held back while Slack failed, arrive once it answers, then their resolution.
    await e2e.notified('PrometheusConfigReloadFailed', 'firing', ['#knowton-warnings']);
    await e2e.resolvedWhereDelivered(FAULTS);
    await e2e.untilOnly(['Watchdog']);
  }, 60000);
});

test('it proved exactly the alerts test/e2e-coverage.ts gives this file', () => {
  e2e.expectCoverage();
});

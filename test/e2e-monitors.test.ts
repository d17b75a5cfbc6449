/**
 * End to end, the monitors' own failure modes: real faults of the real Prometheus and Alertmanager
 * (Debian's 2.42 and 0.25, with their own LocalStack so that jest runs this file in parallel with
 * the others), each raising the alert of rules/monitors.ts that names it, and each resolving once
 * the fault is repaired.
 *
 * - Prometheus starved of CPU (SIGSTOP for a few intervals): its rule groups miss evaluations.
 * - A rule that fails at every evaluation (many-to-many matching), in a rule file of the test's
 *   copy of the rules only: dist/ gains no rule; the alert that fires is the real one.
 * - A prometheus.yml and an alertmanager.yml that do not load, reloaded (POST /-/reload): both keep
 *   their previous configuration and report the failed reload.
 * - Slack, PagerDuty and the heartbeat answering 500 (the local stand-in): notifications fail.
 * - Alertmanager stopped: it is down, and Prometheus's notifications fail. Neither alert can be
 *   delivered (the fault breaks delivery), so both are proven in Prometheus (ALERTS), firing and
 *   resolved after Alertmanager restarts.
 * - A configuration whose alerting section lists no Alertmanager: Prometheus knows none. Proven in
 *   Prometheus for the same reason.
 *
 * Timings as in e2e.test.ts (TEST_TIMINGS); the windows of these alerts (5-minute rates and
 * min/max_over_time) are shortened to WINDOW through StackConfig (`alerts.<name>.window`).
 * Not provoked: TSDB compaction and WAL truncation failures (see test/e2e-coverage.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { LocalStack, sleep, TEST_TIMINGS } from '../lib/demo';
import { Duration } from '../lib/units';
import { E2e, withShortWindows } from './e2e-support';

const WINDOW = Duration.seconds(6);
const WINDOWED = [
  'PrometheusConfigReloadFailed',
  'PrometheusRuleEvaluationFailures',
  'PrometheusNotConnectedToAlertmanagers',
  'PrometheusNotificationsFailing',
  'AlertmanagerNotificationsFailing',
  'AlertmanagerConfigReloadFailed',
];

let stack: LocalStack;
const e2e = new E2e(() => stack, 'e2e-monitors.test.ts');
/** The files as the stack started them, restored after each fault. */
let prometheusYml: string;
let alertmanagerYml: string;
const faultyRules = (): string => path.join(stack.rulesDir, 'injected-fault.yml');

beforeAll(async () => {
  // A stopped Prometheus scrapes nothing either: the sample before the jump of the missed-iterations
  // counter is the stop's length older than the one after, and both must stay in the window for `for`.
  // Alertmanager retries a failing notification with a growing backoff: in a 6s window the attempts can
  // be too sparse for the ratio to hold over `for` on a busy machine (CI saw it time out).
  const config = withShortWindows(['PrometheusMissingRuleEvaluations', 'AlertmanagerNotificationsFailing'], Duration.seconds(15), withShortWindows(WINDOWED, WINDOW));
  stack = await LocalStack.start({ config, timings: TEST_TIMINGS });
  prometheusYml = fs.readFileSync(stack.prometheusConfigFiles[0], 'utf8');
  alertmanagerYml = fs.readFileSync(stack.alertmanagerConfigFile, 'utf8');
}, 30000);

afterAll(async () => {
  await stack?.stop();
});

/** Writes prometheus.yml changed by `edit` (or as it started, without one). */
function writePrometheusYml(edit?: (config: any) => void): void {
  const config = parse(prometheusYml);
  edit?.(config);
  fs.writeFileSync(stack.prometheusConfigFiles[0], stringify(config, { lineWidth: 0 }));
}

/** Every firing notification of `names` since the step began must be followed by a resolved one at the same place. */
async function resolvedWhereDelivered(names: readonly string[]): Promise<void> {
  for (const name of names) {
    const places = [...new Set(e2e.sinceStep(name, 'firing').map((n) => n.channel ?? n.via))];
    if (places.length > 0) await e2e.notified(name, 'resolved', places);
  }
}

test('healthy at the start: only the Watchdog fires', async () => {
  await e2e.untilQuiet();
}, 40000);

describe('Prometheus starved, a failing rule, configurations that do not load, receivers failing: at once', () => {
  const FAULTS = ['PrometheusMissingRuleEvaluations', 'PrometheusRuleEvaluationFailures', 'PrometheusConfigReloadFailed', 'AlertmanagerConfigReloadFailed', 'AlertmanagerNotificationsFailing'];

  test('each fault raises its own alert, naming what broke, and nothing else fires', async () => {
    e2e.step();
    // Prometheus gets no CPU for four evaluation intervals, as under hard throttling.
    const pid = stack.prometheus[0].proc.pid!;
    process.kill(pid, 'SIGSTOP');
    await sleep(stack.interval.times(4).toMillis());
    process.kill(pid, 'SIGCONT');
    // A rule that fails at every evaluation: `up` has many series per namespace on both sides.
    fs.writeFileSync(faultyRules(), stringify({ groups: [{ name: 'injected-fault', rules: [{ record: 'injected:up_many_to_many', expr: 'up * on (namespace) up' }] }] }));
    expect(await stack.reload('prometheus')).toEqual([200]);
    // Configurations that do not load: an unknown field, a route to an undefined receiver.
    writePrometheusYml((c) => (c.not_a_prometheus_field = true));
    const am = parse(alertmanagerYml);
    am.route.receiver = 'no-such-receiver';
    fs.writeFileSync(stack.alertmanagerConfigFile, stringify(am, { lineWidth: 0 }));
    const [prom, amStatus] = await Promise.all([stack.reload('prometheus'), stack.reload('alertmanager')]);
    expect(prom).toEqual([500]);
    expect(amStatus).toEqual([500]);
    stack.receiver.failing = true;

    const firing = await e2e.untilFiring(FAULTS, 60000);
    const of = (name: string) => firing.filter((a) => a.alertname === name).map((a) => a.labels);
    // Every rule group of the stack missed evaluations while Prometheus was stopped.
    expect(of('PrometheusMissingRuleEvaluations').map((l) => l.rule_group).join()).toMatch(/service-health/);
    expect(of('PrometheusRuleEvaluationFailures')).toEqual([expect.objectContaining({ severity: 'warning', rule_group: `${faultyRules()};injected-fault` })]);
    expect(of('PrometheusConfigReloadFailed')).toEqual([expect.objectContaining({ severity: 'warning', job: 'prometheus' })]);
    expect(of('AlertmanagerConfigReloadFailed')).toEqual([expect.objectContaining({ severity: 'warning', job: 'alertmanager' })]);
    for (const l of of('AlertmanagerNotificationsFailing')) expect(['slack', 'pagerduty', 'webhook']).toContain(l.integration);
    expect(of('AlertmanagerNotificationsFailing').map((l) => l.integration)).toContain('slack');
    await e2e.onlyThese(FAULTS);
  }, 90000);

  test('repaired, each resolves in Prometheus, and at every channel its firing reached', async () => {
    e2e.step();
    fs.rmSync(faultyRules());
    writePrometheusYml();
    fs.writeFileSync(stack.alertmanagerConfigFile, alertmanagerYml);
    expect(await stack.reload('prometheus')).toEqual([200]);
    expect(await stack.reload('alertmanager')).toEqual([200]);
    stack.receiver.failing = false;
    await e2e.untilResolved(FAULTS);
    // The warnings, held back while Slack failed, arrive once it answers, then their resolution.
    await e2e.notified('PrometheusConfigReloadFailed', 'firing', ['#knowton-warnings']);
    await resolvedWhereDelivered(FAULTS);
    await e2e.untilOnly(['Watchdog']);
  }, 60000);
});

describe('Alertmanager stopped', () => {
  const FAULTS = ['AlertmanagerDown', 'PrometheusNotificationsFailing'];

  test('AlertmanagerDown and PrometheusNotificationsFailing fire in Prometheus (nothing can deliver them), nothing else', async () => {
    e2e.step();
    await stack.alertmanager[0].stop();
    const firing = await e2e.untilFiring(FAULTS);
    expect(firing.filter((a) => a.alertname === 'AlertmanagerDown').map((a) => a.labels)).toEqual([expect.objectContaining({ severity: 'critical', job: 'alertmanager' })]);
    expect(firing.filter((a) => a.alertname === 'PrometheusNotificationsFailing').map((a) => a.labels)).toEqual([
      expect.objectContaining({ severity: 'critical', alertmanager: `${stack.alertmanagerUrl}/api/v2/alerts` }),
    ]);
    await e2e.onlyThese(FAULTS);
  }, 40000);

  test('restarted, both resolve', async () => {
    await stack.alertmanager[0].restart();
    await stack.alertmanager[0].ready(`${stack.alertmanagerUrl}/-/ready`);
    await e2e.untilResolved(FAULTS);
    await e2e.untilOnly(['Watchdog']);
  }, 40000);
});

describe('a configuration that lists no Alertmanager', () => {
  test('PrometheusNotConnectedToAlertmanagers fires in Prometheus (it cannot be sent), nothing else', async () => {
    e2e.step();
    writePrometheusYml((c) => (c.alerting.alertmanagers[0].static_configs = []));
    expect(await stack.reload('prometheus')).toEqual([200]);
    const firing = await e2e.untilFiring(['PrometheusNotConnectedToAlertmanagers']);
    expect(firing.filter((a) => a.alertname === 'PrometheusNotConnectedToAlertmanagers').map((a) => a.labels)).toEqual([
      expect.objectContaining({ severity: 'critical', job: 'prometheus' }),
    ]);
    await e2e.onlyThese(['PrometheusNotConnectedToAlertmanagers']);
  }, 40000);

  test('restored, it resolves', async () => {
    writePrometheusYml();
    expect(await stack.reload('prometheus')).toEqual([200]);
    await e2e.untilResolved(['PrometheusNotConnectedToAlertmanagers']);
    await e2e.untilOnly(['Watchdog']);
  }, 40000);
});

test('it proved exactly the alerts test/e2e-coverage.ts gives this file', () => {
  e2e.expectCoverage();
});

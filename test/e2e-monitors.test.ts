/**
 * End to end, the monitors' own failure modes, part 1 of 3: faults of Prometheus itself, at once, on
 * the real Prometheus and Alertmanager (Debian's 2.42 and 0.25, with their own LocalStack so that
 * jest runs this file in parallel with the others), each raising the alert of rules/monitors.ts that
 * names it, and each resolving once the fault is repaired. The monitor alerts are split over three
 * files (this one, e2e-monitors-reload.test.ts and e2e-monitors-alertmanager.test.ts) so that each
 * waits for its own alerts' windows alongside the others.
 *
 * - Prometheus starved of CPU (SIGSTOP for a few intervals): its rule groups miss evaluations.
 * - A rule that fails at every evaluation (many-to-many matching), in a rule file of the test's
 *   copy of the rules only: dist/ gains no rule; the alert that fires is the real one.
 * - A configuration whose alerting section lists no Alertmanager: Prometheus knows none. Proven in
 *   Prometheus (ALERTS): it cannot be delivered by its nature, nor can the others while it lasts.
 * - The same configuration's kubelet job discovers no target (as when discovery finds nothing): its
 *   `up` series is gone, so MonitoringTargetDown cannot see it and MonitoringTargetMissing must.
 *
 * Timings as in e2e.test.ts (TEST_TIMINGS); the windows of these alerts (5-minute increases and
 * max_over_time) are shortened through StackConfig (`alerts.<name>.window`).
 * Not provoked: TSDB compaction and WAL truncation failures (see test/e2e-coverage.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { LocalStack, sleep, TEST_TIMINGS } from '../lib/demo';
import { Duration } from '../lib/units';
import { E2e, FiringAlert, withShortWindows } from './e2e-support';

const WINDOW = Duration.seconds(6);
/** The alerting section emptied, Prometheus knows no Alertmanager at every sample of this window. */
const UNLISTED_WINDOW = Duration.seconds(4);
/** How long Prometheus is stopped, in evaluation intervals. */
const STOPPED_INTERVALS = 3;
/**
 * A stopped Prometheus scrapes nothing either: the sample before the jump of the missed-iterations
 * counter is the stop's length older than the one after, and both must stay in the window for `for`
 * (3s stopped, then a scrape, 2s `for` and an evaluation: 7s, and 5s to spare on a busy machine).
 */
const MISSED_WINDOW = Duration.seconds(12);
const FAULTS = ['PrometheusMissingRuleEvaluations', 'PrometheusRuleEvaluationFailures', 'PrometheusNotConnectedToAlertmanagers', 'MonitoringTargetMissing'];

let stack: LocalStack;
const e2e = new E2e(() => stack, 'e2e-monitors.test.ts');
/** prometheus.yml as the stack started it, restored after the faults. */
let prometheusYml: string;
const faultyRules = (): string => path.join(stack.rulesDir, 'injected-fault.yml');

beforeAll(async () => {
  const config = withShortWindows(['PrometheusMissingRuleEvaluations'], MISSED_WINDOW, withShortWindows(['PrometheusNotConnectedToAlertmanagers'], UNLISTED_WINDOW, withShortWindows(['PrometheusRuleEvaluationFailures'], WINDOW)));
  stack = await LocalStack.start({ config, timings: TEST_TIMINGS });
  prometheusYml = fs.readFileSync(stack.prometheusConfigFiles[0], 'utf8');
}, 30000);

afterAll(async () => {
  await stack?.stop();
});

test('healthy at the start: only the Watchdog fires', async () => {
  await e2e.untilQuiet();
}, 40000);

describe('Prometheus starved, a failing rule, no Alertmanager listed, a job without targets: at once', () => {
  test('each fault raises its own alert, naming what broke, and nothing else fires', async () => {
    e2e.step();
    // A rule that fails at every evaluation: `up` has many series per namespace on both sides.
    fs.writeFileSync(faultyRules(), stringify({ groups: [{ name: 'injected-fault', rules: [{ record: 'injected:up_many_to_many', expr: 'up * on (namespace) up' }] }] }));
    // A configuration that loads but lists no Alertmanager.
    const unlisted = parse(prometheusYml);
    unlisted.alerting.alertmanagers[0].static_configs = [];
    // A job whose discovery finds nothing: no target, so no `up` series at all.
    const kubelet = unlisted.scrape_configs.find((j: { job_name: string }) => j.job_name === 'kubelet');
    expect(kubelet.static_configs.length).toBeGreaterThan(0);
    kubelet.static_configs = [];
    fs.writeFileSync(stack.prometheusConfigFiles[0], stringify(unlisted, { lineWidth: 0 }));
    expect(await stack.reload('prometheus')).toEqual([200]);
    // Prometheus gets no CPU for a few evaluation intervals, as under hard throttling.
    const pid = stack.prometheus[0].proc.pid!;
    process.kill(pid, 'SIGSTOP');
    await sleep(stack.interval.times(STOPPED_INTERVALS).toMillis());
    process.kill(pid, 'SIGCONT');

    // Every rule group of the stack missed evaluations while Prometheus was stopped; each group sees it at
    // its own next evaluation, so their alerts may start an evaluation apart (a busy CI run saw five of six).
    const groupsMissing = (all: FiringAlert[]) => all.filter((a) => a.alertname === 'PrometheusMissingRuleEvaluations').map((a) => a.labels.rule_group).join();
    const firing = await e2e.untilFiring(FAULTS, 60000, (all) => /service-health/.test(groupsMissing(all)));
    const of = (name: string) => firing.filter((a) => a.alertname === name).map((a) => a.labels);
    expect(groupsMissing(firing)).toMatch(/service-health/);
    expect(of('PrometheusRuleEvaluationFailures')).toEqual([expect.objectContaining({ severity: 'warning', rule_group: `${faultyRules()};injected-fault` })]);
    expect(of('PrometheusNotConnectedToAlertmanagers')).toEqual([expect.objectContaining({ severity: 'critical', job: 'prometheus' })]);
    expect(of('MonitoringTargetMissing')).toEqual([expect.objectContaining({ severity: 'warning', job: 'kubelet' })]);
    await e2e.onlyThese(FAULTS);
  }, 90000);

  test('repaired, each resolves in Prometheus, and at every channel its firing reached', async () => {
    e2e.step();
    fs.rmSync(faultyRules());
    fs.writeFileSync(stack.prometheusConfigFiles[0], prometheusYml);
    expect(await stack.reload('prometheus')).toEqual([200]);
    await e2e.untilResolved(FAULTS);
    // Alertmanager listed again, an alert still firing then is delivered, and its resolution too.
    await e2e.resolvedWhereDelivered(FAULTS);
    await e2e.untilOnly(['Watchdog']);
  }, 60000);
});

test('it proved exactly the alerts test/e2e-coverage.ts gives this file', () => {
  e2e.expectCoverage();
});

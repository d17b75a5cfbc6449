import { FixtureSeries } from '../promql/query';
import { Duration, Units } from '../units';
import { PromtoolTestFile } from '../alerting/tests';
import { SLO_RULE_FILE, sloAlertLabels } from './render';
import { num, Slo, SloAlert } from './slo';

/** One stretch of a test's input: `minutes` (a multiple of the sample step) of samples of `eventsPerSecond` events, the share `errorRatio` bad. */
export interface Phase {
  readonly minutes: number;
  readonly errorRatio: number;
  readonly eventsPerSecond: number;
}

// Events per second of the tests' traffic: far above every minimum event rate.
const TRAFFIC = 10;
// How far above and below a tier's error ratio the tests burn: 10%.
const ABOVE = 1.1;
const BELOW = 0.9;

const minutes = (d: Duration): number => Math.round(d.toMillis() / 60_000);
const at = (m: number): string => Duration.minutes(m).toPromDuration();

function seriesText(labels: Readonly<Record<string, string>>): string {
  const { __name__: name, ...rest } = labels;
  return `${name}{${Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

/**
 * promtool input series for consecutive phases of the SLI's fixture: each counter grows by its
 * level · 60 per one-minute sample, continuing across phases (expanding notation `a+bxN`).
 */
export function phaseSeries(slo: Slo, phases: readonly Phase[], step = 1): Array<{ series: string; values: string }> {
  const perPhase: FixtureSeries[][] = phases.map((p) => slo.sli.fixture(p.errorRatio, p.eventsPerSecond));
  return perPhase[0].map((s, i) => {
    let value = 0;
    const parts = phases.map((p, k) => {
      const inc = Number((perPhase[k][i].level * 60 * step).toPrecision(9));
      // Rounded up at the next phase: promtool's own sum may land a rounding error above ours,
      // and a smaller value would be a counter reset.
      const start = k === 0 ? 0 : Math.ceil(value * 1e6) / 1e6 + inc;
      const n = p.minutes / step - 1;
      value = start + inc * n;
      return `${start}+${inc}x${n}`;
    });
    return { series: seriesText(s.labels), values: parts.join(' ') };
  });
}

const silent = (alert: SloAlert, m: number): object => ({ eval_time: at(m), alertname: alert.name, exp_alerts: [] });

/** The alert is firing at minute `m`, with its labels (read from ALERTS: its annotations show the burn rate, which the check leaves out). */
function firing(slo: Slo, alert: SloAlert, m: number): object {
  return {
    expr: `ALERTS{alertname="${alert.name}", alertstate="firing"}`,
    eval_time: at(m),
    exp_samples: [{ labels: seriesText({ __name__: 'ALERTS', alertname: alert.name, alertstate: 'firing', ...sloAlertLabels(slo, alert) }), value: 1 }],
  };
}

function testCase(name: string, slo: Slo, phases: Phase[], alertChecks: object[], exprChecks: object[] = [], step = 1): object {
  return { name, interval: at(step), input_series: phaseSeries(slo, phases, step), alert_rule_test: alertChecks, ...(exprChecks.length ? { promql_expr_test: exprChecks } : {}) };
}

// Samples and evaluations of a tier's tests: every minute for the pages (a 5-minute short window);
// every 5 and 15 minutes for the tickets, whose shortest window is 2 hours (days of input).
const page = (a: SloAlert): boolean => a.tier.short.compare(Duration.minutes(30)) <= 0;
const stepMinutes = (a: SloAlert): number => (page(a) ? 1 : 5);
const evalMinutes = (a: SloAlert): number => (page(a) ? 1 : 15);

/**
 * A tier's tests. Before each, an error-free stretch as long as the long window plus the short one.
 * Above: an error ratio 10% over the tier's fires it after the workbook's detection time
 * (long window × tier ratio / error ratio), not 5% of the long window before, and by 5% after.
 * Below: 10% under the tier's, it stays silent once both windows are full of it.
 */
function tierTests(slo: Slo, a: SloAlert): object[] {
  const ev = evalMinutes(a);
  const step = stepMinutes(a);
  const long = minutes(a.tier.long);
  const short = minutes(a.tier.short);
  const pre = long + short;
  const margin = Math.max(2 * ev, Math.ceil((0.05 * long) / ev) * ev);
  const eAbove = a.errorRatio * ABOVE;
  const detection = (long * a.errorRatio) / eAbove;
  const before = pre + Math.floor((detection - margin) / ev) * ev;
  const after = pre + Math.ceil((detection + margin) / ev) * ev;
  const clean: Phase = { minutes: pre, errorRatio: 0, eventsPerSecond: TRAFFIC };
  const eBelow = a.errorRatio * BELOW;
  const full = pre + long + short;
  return [
    testCase(
      `${a.name}: fires within ${Duration.minutes(Math.round(detection)).toHuman()} at ${num(ABOVE * a.burnRate)}x (error ratio ${num(eAbove)}), not before`,
      slo,
      [clean, { minutes: after - pre + ev, errorRatio: eAbove, eventsPerSecond: TRAFFIC }],
      [silent(a, pre), silent(a, before)],
      [firing(slo, a, after)],
      step,
    ),
    testCase(
      `${a.name}: silent at ${num(BELOW * a.burnRate)}x (error ratio ${num(eBelow)})`,
      slo,
      [clean, { minutes: full - pre + 2 * short, errorRatio: eBelow, eventsPerSecond: TRAFFIC }],
      [silent(a, pre + short), silent(a, pre + long), silent(a, full), silent(a, full + 2 * short - ev)],
      [],
      step,
    ),
  ];
}

/**
 * The SLO's own tests, at a 5-minute evaluation: burning exactly the budget (burn rate 1) for three
 * days pages nobody; a short spike (twice the fastest tier's error ratio for 10 minutes: enough
 * for the 5-minute window, not for the hour) pages nobody; a handful of requests all failing (half
 * the minimum event rate) pages nobody, and twice the minimum rate does page.
 */
/** The alerts that page: those the budget tests check. */
const pagesOf = (slo: Slo): SloAlert[] => slo.alerts.filter((a) => a.tier.severity === 'critical');

function budgetTests(slo: Slo): object[] {
  const [fast, medium] = slo.alerts;
  const pages = pagesOf(slo);
  const sixHours = minutes(medium.tier.long) + minutes(medium.tier.short);
  const clean = (m: number, rate = TRAFFIC): Phase => ({ minutes: m, errorRatio: 0, eventsPerSecond: rate });
  const days = (d: number): number => d * 24 * 60;
  const spikeEnd = sixHours + 10;
  const minRate = slo.minEventRate.in(Units.PER_SECOND);
  const lowEnd = sixHours * 2;
  return [
    testCase(
      `${slo.id}: burning at the objective (burn rate 1) for 2 days pages nobody`,
      slo,
      [clean(sixHours), { minutes: days(2), errorRatio: slo.budget, eventsPerSecond: TRAFFIC }],
      pages.flatMap((a) => [0.5, 1, 2].map((d) => silent(a, sixHours + days(d) - 10))),
    ),
    testCase(
      `${slo.id}: a 10-minute spike at ${num(2 * fast.burnRate)}x pages nobody`,
      slo,
      [clean(sixHours), { minutes: 10, errorRatio: Math.min(1, 2 * fast.errorRatio), eventsPerSecond: TRAFFIC }, clean(60)],
      pages.flatMap((a) => [spikeEnd, spikeEnd + 10, spikeEnd + 30].map((m) => silent(a, m))),
    ),
    testCase(
      `${slo.id}: every event failing at half the minimum event rate (${num(minRate / 2)}/s) pages nobody`,
      slo,
      [clean(sixHours, minRate / 2), { minutes: sixHours + 5, errorRatio: 1, eventsPerSecond: minRate / 2 }],
      pages.flatMap((a) => [sixHours + 60, lowEnd].map((m) => silent(a, m))),
    ),
    testCase(
      `${slo.id}: every event failing at twice the minimum event rate (${num(minRate * 2)}/s) pages`,
      slo,
      [clean(sixHours, minRate * 2), { minutes: sixHours + 5, errorRatio: 1, eventsPerSecond: minRate * 2 }],
      [],
      [firing(slo, fast, sixHours + 60)],
    ),
  ];
}

/**
 * promtool test files for the SLO rule file: per SLO, one per tier (`slo-backend-availability-1h.test.yml`)
 * and one for the budget as a whole (`slo-backend-availability.test.yml`). `ruleFile` is the name
 * the rule file has beside them, or a function naming the file for an SLO and the alerts a test file
 * checks: promtool evaluates every loaded rule at every step, so a file of just the rules those
 * alerts read tests the same alerts faster.
 */
export function generateSloTests(slos: readonly Slo[], ruleFile: string | ((slo: Slo, alerts: readonly SloAlert[]) => string) = SLO_RULE_FILE): PromtoolTestFile[] {
  const files = (slo: Slo, alerts: readonly SloAlert[]): string[] => [typeof ruleFile === 'string' ? ruleFile : ruleFile(slo, alerts)];
  return slos.flatMap((slo) => [
    ...slo.alerts.map((a) => ({
      fileName: `slo-${slo.id}-${a.tier.long.toPromDuration()}.test.yml`,
      content: { rule_files: files(slo, [a]), evaluation_interval: at(evalMinutes(a)), tests: tierTests(slo, a) },
    })),
    { fileName: `slo-${slo.id}.test.yml`, content: { rule_files: files(slo, pagesOf(slo)), evaluation_interval: '10m', tests: budgetTests(slo) } },
  ]);
}

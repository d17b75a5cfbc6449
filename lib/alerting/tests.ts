import { CATALOG } from '../catalog';
import { Catalog } from '../catalog/metric';
import { analyze } from '../promql/analyze';
import { Condition, Fixture, FixtureSeries } from '../promql/query';
import { Dimension, Duration, Quantity } from '../units';
import { renderTemplate } from './humanize';
import { annotationsOf, RenderOptions, renderRuleFile } from './render';
import { AlertRule, RuleGroup } from './rule';
import { catalogWithRecordings } from './validate';

export interface TestOptions extends RenderOptions {
  /** Evaluation interval of the tests (the stack's rule evaluation interval). */
  readonly evaluationInterval: Duration;
  readonly catalog?: Catalog;
}

/** A promtool test file: `fileName` beside the rule files, `content` to serialize with `yaml`. */
export interface PromtoolTestFile {
  readonly fileName: string;
  readonly content: object;
}

/** The test of one alert, and the rule file it loads (to write beside it). */
export interface AlertTestFile extends PromtoolTestFile {
  readonly group: string;
  readonly alert: string;
  readonly rules: { readonly fileName: string; readonly content: { groups: object[] } };
}

// Input samples one minute apart: enough for every window the validation allows at a 15s scrape.
const SAMPLE_INTERVAL = Duration.minutes(1);
// Time after the longest window (plus `for`) before a probe, so that values have settled.
const SETTLE = Duration.minutes(5);
// Prometheus's default query lookback.
const LOOKBACK_DELTA = Duration.minutes(5);

/** Values of an alert's query (in the threshold's unit) on either side of its threshold. */
export interface Probes {
  readonly firing: number;
  readonly silent: number;
}

/**
 * Just above and just below the threshold: 5% of it apart for measurements, 1 apart for counts
 * and for a threshold of 0. `> 0` is probed at 0 itself, which proves the comparison is strict
 * (only for 0: a computed value at any other threshold may land a rounding error either side).
 * `== t` fires at t and is silent at the next value.
 */
export function probesFor(c: Condition<Dimension>): Probes {
  const t = c.threshold.amount;
  const step = c.threshold.dimension === 'count' || t === 0 ? 1 : Math.abs(t) * 0.05;
  const above = Number((t + step).toPrecision(12));
  const below = Number((t - step).toPrecision(12));
  switch (c.op) {
    case '>':
      return { firing: above, silent: t === 0 ? 0 : below };
    case '>=':
      return { firing: above, silent: below };
    case '<':
    case '<=':
      return { firing: below, silent: above };
    case '==':
      return { firing: t, silent: above };
  }
}

const num = (n: number): string => String(Number(n.toPrecision(12)));

function seriesText(labels: Readonly<Record<string, string>>): string {
  const { __name__: name, ...rest } = labels;
  const pairs = Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return pairs.length ? `${name}{${pairs.join(', ')}}` : name;
}

/**
 * promtool's expanding notation for a series that holds `levels[i]` for `counts[i]` + 1 samples:
 * a gauge keeps the value (or, with a slope, passes through it at sample `probeAt[i]` of the phase),
 * a counter grows by level · interval each sample, continuing across phases.
 */
function valuesText(kind: FixtureSeries['kind'], levels: Array<number | undefined>, counts: number[], slope = 0, probeAt: number[] = []): string {
  const step = SAMPLE_INTERVAL.toSeconds();
  if (kind === 'gauge' && slope !== 0) {
    if (levels.some((l) => l === undefined)) throw new Error('a sloped gauge fixture cannot have absent phases');
    const inc = slope * step;
    return levels.map((l, i) => `${num(l! - inc * (probeAt[i] ?? 0))}${inc < 0 ? '-' : '+'}${num(Math.abs(inc))}x${counts[i]}`).join(' ');
  }
  // undefined: no sample in that phase (the series is gone), `_` in promtool's notation
  if (kind === 'gauge') return levels.map((l, i) => (l === undefined ? `_x${counts[i] + 1}` : `${num(l)}x${counts[i]}`)).join(' ');
  if (levels.some((l) => l === undefined)) throw new Error('a counter fixture cannot have absent phases');
  let value = 0;
  return levels
    .map((level, i) => {
      const inc = level! * step;
      const start = i === 0 ? 0 : value + inc;
      value = start + inc * counts[i];
      return `${num(start)}+${num(inc)}x${counts[i]}`;
    })
    .join(' ');
}

/**
 * Input series for consecutive phases: phase i holds `fixtures[i]` for `counts[i]` + 1 samples, and is
 * probed at its sample `probeAt[i]` (where a sloped gauge has its level).
 */
function inputSeries(fixtures: Fixture[], counts: number[], probeAt: number[] = []): Array<{ series: string; values: string }> {
  const byKey = new Map<string, { labels: Record<string, string>; kind: FixtureSeries['kind']; levels: Array<number | undefined>; slope: number }>();
  fixtures.forEach((f, phase) => {
    for (const s of f.series) {
      const key = seriesText(s.labels);
      const entry = byKey.get(key) ?? { labels: { ...s.labels }, kind: s.kind, levels: fixtures.map((): number | undefined => 0), slope: 0 };
      entry.levels[phase] = s.absent ? undefined : s.level;
      if (s.slope && entry.slope && s.slope !== entry.slope) throw new Error(`series ${key} has different slopes in different phases`);
      entry.slope = s.slope ?? entry.slope;
      byKey.set(key, entry);
    }
  });
  return [...byKey.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, s]) => ({ series: key, values: valuesText(s.kind, s.levels, counts, s.slope, probeAt) }));
}

const samples = (d: Duration): number => Math.ceil(d.toMillis() / SAMPLE_INTERVAL.toMillis());

/**
 * One promtool test case for an alert. Its input holds the query on the silent side of the
 * threshold long enough to settle, then just across it. Checks: silent at the end of the first
 * phase; silent while the condition has held for less than `for`; firing, with the expected
 * labels and annotations, once the longest range window and `for` have passed.
 */
function alertTest(alert: AlertRule, group: RuleGroup, window: Duration, options: TestOptions): object {
  const exp = (labels: Record<string, string>, value: number) => {
    const a = annotationsOf(alert, options);
    return {
      exp_labels: { ...labels, ...group.labelsOf(alert) },
      exp_annotations: Object.fromEntries(Object.entries(a).map(([k, v]) => [k, renderTemplate(v, labels, value)])),
    };
  };
  const c = alert.condition;
  if (!c) {
    // Always firing: it fires from the first evaluation on.
    return {
      name: `${alert.name} always fires`,
      interval: SAMPLE_INTERVAL.toPromDuration(),
      input_series: [],
      alert_rule_test: [0, 60].map((m) => ({ eval_time: Duration.minutes(m).toPromDuration(), alertname: alert.name, exp_alerts: [exp({}, 1)] })),
    };
  }
  const fixture = c.query.fixture;
  if (!fixture) throw new Error(`alert ${alert.name}: its query has no test fixture, so no test can be generated`);
  const probes = probesFor(c);
  const toQueryUnit = (v: number): number => new Quantity(v, c.threshold.unit).in(c.query.unit);
  const silent = fixture(toQueryUnit(probes.silent));
  const firing = fixture(toQueryUnit(probes.firing));
  // A series without further samples stays visible for the lookback delta (5 minutes): a real target
  // that disappears gets a staleness marker, promtool's `_` does not, so the test waits that long more.
  if (firing.series.some((s) => s.absent)) window = window.plus(LOOKBACK_DELTA);

  // Each phase lasts long enough for the window to fill and `for` to pass, with time to spare.
  const n = samples(window.plus(alert.for).plus(SETTLE));
  const switchAt = SAMPLE_INTERVAL.times(n + 1);
  const checks: object[] = [{ eval_time: SAMPLE_INTERVAL.times(n).toPromDuration(), alertname: alert.name, exp_alerts: [] }];
  // One evaluation before `for` has passed since the switch: nothing before the switch held the
  // condition, so the alert must still be pending.
  if (alert.for.compare(options.evaluationInterval) > 0) {
    checks.push({ eval_time: switchAt.plus(alert.for).plus(options.evaluationInterval.times(-1)).toPromDuration(), alertname: alert.name, exp_alerts: [] });
  }
  const firingAfter = window.plus(alert.for).plus(Duration.minutes(2));
  checks.push({
    eval_time: switchAt.plus(firingAfter).toPromDuration(),
    alertname: alert.name,
    exp_alerts: [exp(firing.labels, probes.firing)],
  });
  const t = c.threshold;
  return {
    name: `${alert.name}: silent at ${new Quantity(probes.silent, t.unit)}, fires at ${new Quantity(probes.firing, t.unit)} after ${alert.for.toHuman()}`,
    interval: SAMPLE_INTERVAL.toPromDuration(),
    // a sloped gauge has the probed value where it is probed: the end of the first phase, the firing check in the second
    input_series: inputSeries([silent, firing], [n, n], [n, samples(firingAfter)]),
    alert_rule_test: checks,
  };
}

/**
 * The rules an alert test loads: the alerts named, and the recordings they read, directly or through
 * other recordings, each group keeping its name, interval and order (a group evaluates its rules in
 * order, so a recording is fresh for the alerts after it). promtool evaluates every loaded rule at every
 * step, so a rule the alerts do not read would only cost time: no other rule can change these alerts
 * (an alert reads only the series its query names). Groups left without a rule are dropped.
 */
export function rulesReadBy(alerts: readonly string[], groups: readonly RuleGroup[], catalog: Catalog = catalogWithRecordings(groups).catalog): RuleGroup[] {
  const recordings = new Map(groups.flatMap((g) => g.recordings.map((r) => [r.record, r] as const)));
  const needed = new Set<string>(alerts);
  const pending = groups.flatMap((g) => g.alerts.filter((a) => needed.has(a.name)).map((a) => a.expr));
  for (let expr = pending.pop(); expr !== undefined; expr = pending.pop()) {
    for (const metric of analyze(expr, catalog).metrics) {
      const r = recordings.get(metric);
      if (r && !needed.has(r.record)) {
        needed.add(r.record);
        pending.push(r.source.expr);
      }
    }
  }
  return groups
    .map((g) => new RuleGroup({
      name: g.name,
      category: g.category,
      recordings: g.recordings.filter((r) => needed.has(r.record)),
      alerts: g.alerts.filter((a) => needed.has(a.name)),
      interval: g.interval,
    }))
    .filter((g) => g.recordings.length + g.alerts.length > 0);
}

/**
 * promtool test files, one per alert (see alertTest), each with the rule file it loads: the alert and
 * the recordings it reads (rulesReadBy), rendered as the group's rule file renders them.
 */
export function generatePromtoolTests(groups: readonly RuleGroup[], options: TestOptions): AlertTestFile[] {
  const { catalog } = catalogWithRecordings(groups, options.catalog ?? CATALOG);
  const windowsOf = new Map<string, Duration[]>();
  for (const g of groups) for (const r of g.recordings) windowsOf.set(r.record, analyze(r.source.expr, catalog).ranges.map((x) => x.window));
  const longestWindow = (expr: string): Duration => {
    const a = analyze(expr, catalog);
    const all = [...a.ranges.map((r) => r.window), ...a.metrics.flatMap((m) => windowsOf.get(m) ?? [])];
    return all.reduce((max, w) => (w.compare(max) > 0 ? w : max), Duration.seconds(0));
  };
  return groups.flatMap((g) => g.alerts.map((a) => {
    const rules = { fileName: `${a.name}.rules.yml`, content: { groups: rulesReadBy([a.name], groups, catalog).flatMap((sub) => renderRuleFile(sub, options).groups) } };
    return {
      fileName: `${a.name}.test.yml`,
      group: g.name,
      alert: a.name,
      content: { rule_files: [rules.fileName], evaluation_interval: options.evaluationInterval.toPromDuration(), tests: [alertTest(a, g, longestWindow(a.expr), options)] },
      rules,
    };
  }));
}

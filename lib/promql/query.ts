import { LABEL_EXAMPLES } from '../catalog/labels';
import { Metric } from '../catalog/metric';
import { Dimension, Duration, Quantity, Unit, Units } from '../units';
import { bindsLooserThanComparison, isBinaryExpr } from './analyze';
import { checkRegex, ConfigError } from '../validate';

/** A label matcher: exact value, regular expression (anchored, as in PromQL), or their negation. */
export type MatchValue = string | RegExp | { readonly not: string | RegExp };
export type Matchers<L extends string> = Partial<Record<L, MatchValue>>;

/**
 * Input of a generated test: one series and its level, which is the sample value for a gauge and
 * the increase per second for a counter.
 */
export interface FixtureSeries {
  /** Labels, `__name__` included. */
  readonly labels: Readonly<Record<string, string>>;
  readonly kind: 'gauge' | 'counter';
  readonly level: number;
  /** The series has no sample at all (a target that is gone): `_` in promtool's notation. @default false */
  readonly absent?: boolean;
  /**
   * A gauge that changes by this much per second (a volume filling up): `level` is its value at the
   * time the test probes the phase, and the samples before lie on the same line. @default 0
   */
  readonly slope?: number;
}

/** Series that make a query evaluate to a chosen value, and the labels of the result. */
export interface Fixture {
  readonly series: readonly FixtureSeries[];
  readonly labels: Readonly<Record<string, string>>;
}

/** Builds the fixture for a value expressed in the query's unit. */
export type FixtureFn = (value: number) => Fixture;

export type Comparison = '>' | '<' | '>=' | '<=' | '==';

/** A query compared with a threshold in the query's dimension: the condition of an alert. */
export interface Condition<D extends Dimension> {
  readonly query: Query<D>;
  readonly op: Comparison;
  readonly threshold: Quantity<D>;
  /**
   * Not while this query returns anything (`unless on () (...)`): a cause that has just ended, whose
   * consequence the query still sees in its window (see `recovered`). Generated tests leave its series out.
   */
  readonly unless?: Query<Dimension>;
}

/** The condition, except while `guard` returns anything. */
export function unless<D extends Dimension>(c: Condition<D>, guard: Query<Dimension>): Condition<D> {
  return { ...c, unless: guard };
}

/**
 * A PromQL expression with the unit of its values: an immutable value, built from catalog metrics
 * by the functions below and shared by alert rules and dashboard panels.
 */
export class Query<D extends Dimension> {
  constructor(
    /** The PromQL text. */
    readonly expr: string,
    /** The unit of the values it returns. */
    readonly unit: Unit<D>,
    /** What it measures, in words, for runbooks and panel descriptions. */
    readonly description: string,
    /** How a generated test makes it return a given value; absent for queries that cannot be driven. */
    readonly fixture?: FixtureFn,
    /** For a query reading a recorded series, the query the recording rule evaluates. */
    readonly recordedFrom?: Query<D>,
  ) {}

  /** Fires when the value is greater than the threshold. */
  above(threshold: Quantity<D>): Condition<D> {
    return { query: this, op: '>', threshold };
  }
  /** Fires when the value is less than the threshold. */
  below(threshold: Quantity<D>): Condition<D> {
    return { query: this, op: '<', threshold };
  }
  /** Fires when the value is the threshold or more. */
  atLeast(threshold: Quantity<D>): Condition<D> {
    return { query: this, op: '>=', threshold };
  }
  /** Fires when the value is the threshold or less. */
  atMost(threshold: Quantity<D>): Condition<D> {
    return { query: this, op: '<=', threshold };
  }
  /** Fires when the value is exactly the threshold (for 0/1 gauges such as `up`). */
  equals(threshold: Quantity<D>): Condition<D> {
    return { query: this, op: '==', threshold };
  }

  describedAs(description: string): Query<D> {
    return new Query(this.expr, this.unit, description, this.fixture);
  }

  /** The same query reading a recorded series (see RecordingRule): same unit and fixture. */
  fromRecording(record: string): Query<D> {
    return new Query(record, this.unit, this.description, this.fixture, this);
  }

  /**
   * The range windows of the expression (`[5m]`), or of the recording rule's source when it reads a
   * recorded series; empty for a query over instant values.
   */
  get windows(): string[] {
    return [...outsideStrings(this.recordedFrom?.expr ?? this.expr).matchAll(RANGE)].map((m) => m[1]);
  }

  /**
   * The same query over another range window: every window is replaced, and a query reading a
   * recorded series evaluates the recording's source instead (the recording keeps its own window).
   * For short local runs; undefined when the query has no window.
   */
  overWindow(window: Duration): Query<D> | undefined {
    const base = this.recordedFrom ?? this;
    if (this.windows.length === 0) return undefined;
    // A recorded series is read by name only (`.query` of a RecordingRule), so evaluating its source is the same query.
    const w = `[${window.toPromDuration()}]`;
    // Only outside quoted strings: a regex like "[0-9]+" is no window.
    const expr = base.expr.split(/("(?:[^"\\]|\\.)*")/).map((part, i) => (i % 2 ? part : part.replace(RANGE, w))).join('');
    return new Query(expr, this.unit, `${this.description} (over ${window.toHuman()})`, this.fixture);
  }

  /**
   * 0 when the query returns nothing, so that "fewer than N" also fires when there are no series
   * at all. Only for queries whose result has no labels (a `sum` without `by`).
   */
  orZero(): Query<D> {
    return new Query(`${paren(this.expr)} or vector(0)`, this.unit, this.description, this.fixture);
  }

  /** The expression scaled into another unit of its dimension: `x * 3600` for per-second into per-hour. */
  in(unit: Unit<D>): string {
    const factor = this.unit.factorTo(unit);
    if (factor === 1) return this.expr;
    // Divide by whole numbers rather than multiply by their rounded inverse: `x / 3600`, not `x * 0.000277…`.
    const inverse = unit.factorTo(this.unit);
    return Number.isInteger(inverse) && !Number.isInteger(factor) ? `${paren(this.expr)} / ${inverse}` : `${paren(this.expr)} * ${factor}`;
  }
}

/** Renders a condition as PromQL in the threshold's own unit: `(errors / total) * 100 > 5`. */
export function renderCondition<D extends Dimension>(c: Condition<D>): string {
  const lhs = c.query.in(c.threshold.unit);
  const compared = `${bindsLooserThanComparison(lhs) ? `(${lhs})` : lhs} ${c.op} ${c.threshold.amount}`;
  return c.unless ? `${compared} unless on () (${c.unless.expr})` : compared;
}

/** A range selector's window (`[5m]`, `[1h30m]`); subqueries (`[5m:1m]`) do not match. */
const RANGE = /\[((?:\d+(?:ms|[smhdwy]))+)\]/g;
/** The expression with its quoted strings (label values, regexes) blanked out, so that no `[...]` inside them counts. */
const outsideStrings = (expr: string): string => expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');

const paren = (expr: string): string => (isBinaryExpr(expr) ? `(${expr})` : expr);

function renderMatcher(label: string, m: MatchValue): string {
  const neg = typeof m === 'object' && !(m instanceof RegExp);
  const v = neg ? (m as { not: string | RegExp }).not : (m as string | RegExp);
  const re = v instanceof RegExp;
  // PromQL regexps (RE2) take no flags: /x/i would silently lose its i.
  if (re && v.flags) {
    throw new ConfigError(`matcher ${label}=~/${v.source}/${v.flags}`, 'flags', v.flags, 'none: the matcher has flags, which PromQL cannot express (its RE2 regexps take no flags; spell out both cases, [Kk]nowton)');
  }
  if (re) checkRegex(`matcher ${label}=~/${v.source}/`, 'pattern', v.source);
  const op = `${neg ? '!' : '='}${re ? '~' : neg ? '=' : ''}`;
  return `${label}${op}${JSON.stringify(re ? v.source : v)}`;
}

function negate(m: MatchValue): MatchValue {
  return typeof m === 'object' && !(m instanceof RegExp) ? m.not : { not: m };
}

function satisfies(value: string, m: MatchValue): boolean {
  if (typeof m === 'string') return value === m;
  if (m instanceof RegExp) return new RegExp(`^(?:${m.source})$`).test(value);
  return !satisfies(value, m.not);
}

function entries(matchers: Matchers<string> = {}): Array<[string, MatchValue]> {
  return Object.entries(matchers).filter((e): e is [string, MatchValue] => e[1] !== undefined);
}
/** The metric's own fixed matchers (of a variant) followed by `where`. */
function allMatchers(metric: Metric, where?: Matchers<string>): Array<[string, MatchValue]> {
  return [...Object.entries(metric.fixedMatchers), ...entries(where)];
}

/** `name{a="x",b=~"y"}` */
function selectorText(name: string, matchers: Array<[string, MatchValue]>): string {
  return matchers.length ? `${name}{${matchers.map(([l, m]) => renderMatcher(l, m)).join(', ')}}` : name;
}

/**
 * Labels of a test series of `metric` that satisfy the matchers: for each label, the first
 * catalog example that fits. An empty value means the label is absent, as in Prometheus.
 */
export function exampleLabels(metric: Metric, matchers: Array<[string, MatchValue]>, seriesName = metric.name): Record<string, string> {
  const out: Record<string, string> = { __name__: seriesName };
  const constraints = new Map<string, MatchValue[]>();
  for (const [l, m] of matchers) constraints.set(l, [...(constraints.get(l) ?? []), m]);
  constraints.set('job', [...(constraints.get('job') ?? []), new RegExp(metric.source.job)]);
  const own = (metric.source.examples ?? {}) as Record<string, string | undefined>;
  for (const label of metric.labels) {
    // a source's own example first (the exporter's pod name), unless the metric sets the label itself
    const preferred = own[label] !== undefined && !metric.ownLabels.includes(label) ? [own[label]!] : [];
    // an exact value a selector asks for fits by itself (an expected service need not be an example)
    // and so do the names of a plain alternation (namespace=~"knowton-staging|knowton-apps")
    const exact = (constraints.get(label) ?? []).flatMap((m) =>
      typeof m === 'string' ? [m] : m instanceof RegExp && /^[A-Za-z0-9_-]+(\|[A-Za-z0-9_-]+)*$/.test(m.source) ? m.source.split('|') : []);
    const candidates = [...preferred, ...exact, ...(LABEL_EXAMPLES[label] ?? []), ''];
    const fits = candidates.find((v) => (constraints.get(label) ?? []).every((m) => satisfies(v, m)) && (v !== '' || constraints.has(label)));
    if (fits === undefined) throw new Error(`no example value of label '${label}' of ${metric.name} satisfies ${(constraints.get(label) ?? []).join(', ')} (add one to LABEL_EXAMPLES)`);
    if (fits !== '') out[label] = fits;
  }
  return out;
}

function pick(labels: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => n in labels).map((n) => [n, labels[n]]));
}
function withoutName(labels: Record<string, string>): Record<string, string> {
  const { __name__: _drop, ...rest } = labels;
  void _drop;
  return rest;
}

export type Aggregation = 'sum' | 'max' | 'min' | 'avg';
export interface AggregateOptions<L extends string> {
  /** How series are combined. @default none: every series on its own */
  readonly aggregate?: Aggregation;
  /** Labels kept by the aggregation. @default [] (one series) */
  readonly by?: readonly L[];
}

function aggregateText(inner: string, op: Aggregation | undefined, by: readonly string[] | undefined): string {
  if (!op) return inner;
  return by && by.length ? `${op} by (${by.join(', ')}) (${inner})` : `${op}(${inner})`;
}
function aggregateWords(op: Aggregation | undefined, by: readonly string[] | undefined): string {
  if (!op) return '';
  return ` (${op}${by && by.length ? ` by ${by.join(', ')}` : ''})`;
}
function resultLabels(series: Record<string, string>, op: Aggregation | undefined, by: readonly string[] | undefined): Record<string, string> {
  return op ? pick(series, by ?? []) : withoutName(series);
}

/** The current value of a gauge. */
export function gauge<L extends string, D extends Dimension>(
  metric: Metric<L, D, 'gauge'>,
  options: {
    readonly where?: Matchers<NoInfer<L>>;
    /**
     * The lowest or highest value over a window instead of the last: a scrape that fails during a
     * breach leaves no sample, and the last one would hide it. @default the last value
     */
    readonly over?: { readonly fn: 'min_over_time' | 'max_over_time'; readonly window: Duration };
  } & AggregateOptions<NoInfer<L>> = {},
): Query<D> {
  const matchers = allMatchers(metric, options.where);
  const sel = options.over
    ? `${options.over.fn}(${selectorText(metric.name, matchers)}[${options.over.window.toPromDuration()}])`
    : selectorText(metric.name, matchers);
  // One copy of a gauge every replica exports alike: sum, avg or topk of the raw series would count
  // it once per replica. max or min of copies is the value itself, so they need no de-duplication.
  const own = metric.ownLabels.filter((l) => !(l in metric.fixedMatchers));
  const oneCopy = metric.sameOnEveryReplica && options.aggregate !== 'max' && options.aggregate !== 'min'
    ? (own.length ? `max by (${own.join(', ')}) (${sel})` : `max(${sel})`)
    : sel;
  return new Query(aggregateText(oneCopy, options.aggregate, options.by), metric.unit, `${sel}${aggregateWords(options.aggregate, options.by)}`, (value) => {
    const labels = exampleLabels(metric, matchers);
    return { series: [{ labels, kind: 'gauge', level: value }], labels: resultLabels(labels, options.aggregate, options.by) };
  });
}

/** What rate() of a counter measures: events per second, or CPU cores for a counter of CPU seconds. */
export type RateOf<D extends Dimension> = D extends 'time' ? 'cpu' : 'rate';

export interface CounterOptions<L extends string> extends AggregateOptions<L> {
  /** The range the rate or increase is computed over. */
  readonly window: Duration;
  readonly where?: Matchers<L>;
}

/** Per-second rate of a counter over a window. */
export function rate<L extends string, D extends Dimension>(metric: Metric<L, D, 'counter'>, options: CounterOptions<NoInfer<L>>): Query<RateOf<D>> {
  const matchers = allMatchers(metric, options.where);
  const sel = selectorText(metric.name, matchers);
  const unit = (metric.unit.dimension === 'time' ? Units.CORES : Units.PER_SECOND) as unknown as Unit<RateOf<D>>;
  const expr = aggregateText(`rate(${sel}[${options.window.toPromDuration()}])`, options.aggregate ?? 'sum', options.by);
  return new Query(expr, unit, `the per-second rate of ${sel} over ${options.window.toHuman()}${aggregateWords(options.aggregate ?? 'sum', options.by)}`, (value) => {
    const labels = exampleLabels(metric, matchers);
    return { series: [{ labels, kind: 'counter', level: value }], labels: resultLabels(labels, options.aggregate ?? 'sum', options.by) };
  });
}

/** How much a counter went up over a window, in the counter's unit. */
export function increase<L extends string, D extends Dimension>(metric: Metric<L, D, 'counter'>, options: CounterOptions<NoInfer<L>>): Query<D> {
  const matchers = allMatchers(metric, options.where);
  const sel = selectorText(metric.name, matchers);
  const expr = aggregateText(`increase(${sel}[${options.window.toPromDuration()}])`, options.aggregate, options.by);
  return new Query(expr, metric.unit, `the increase of ${sel} over ${options.window.toHuman()}${aggregateWords(options.aggregate, options.by)}`, (value) => {
    const labels = exampleLabels(metric, matchers);
    // A steady slope makes increase() over the window exactly `value`.
    return { series: [{ labels, kind: 'counter', level: value / options.window.toSeconds() }], labels: resultLabels(labels, options.aggregate, options.by) };
  });
}

/**
 * The smallest value of `query` for each value of the `by` labels: for a ratio per member of a cluster, how
 * the best member fares (above a threshold only when every member is). Its generated test drives the
 * query's own series: one member, so the smallest is the value.
 */
export function minBy<D extends Dimension>(query: Query<D>, by: readonly string[]): Query<D> {
  const fixture = query.fixture;
  return new Query(`min by (${by.join(', ')}) (${query.expr})`, query.unit, `the smallest by ${by.join(', ')} of ${query.description}`,
    fixture && ((value: number) => {
      const f = fixture(value);
      return { series: f.series, labels: pick(f.labels, by) };
    }));
}

/**
 * numerator / denominator, two queries in the same dimension over different series (usage over
 * limit). For a part of one counter over its whole, use `share`.
 */
export function ratio<D extends Dimension>(numerator: Query<D>, denominator: Query<D>): Query<'ratio'> {
  const factor = numerator.unit.factorTo(denominator.unit);
  const num = factor === 1 ? numerator.expr : numerator.in(denominator.unit);
  const fixture =
    numerator.fixture && denominator.fixture
      ? (value: number): Fixture => {
          const den = denominator.fixture!(1);
          // value·1 in the denominator's unit, expressed in the numerator's unit
          const num = numerator.fixture!(value / factor);
          return { series: [...num.series, ...den.series], labels: num.labels };
        }
      : undefined;
  return new Query(`${paren(num)} / ${paren(denominator.expr)}`, Units.RATIO, `${numerator.description} divided by ${denominator.description}`, fixture);
}

/** The part of a counter's rate whose series match `matching`, as a ratio of its whole rate. */
export function share<L extends string>(
  metric: Metric<L, Dimension, 'counter'>,
  options: { readonly matching: Matchers<NoInfer<L>>; readonly window: Duration; readonly where?: Matchers<NoInfer<L>>; readonly by?: readonly NoInfer<L>[] },
): Query<'ratio'> {
  const whole = allMatchers(metric, options.where);
  const matching = entries(options.matching);
  if (!matching.length) throw new ConfigError(`share of ${metric.name}`, 'matching', options.matching, 'at least one label matcher selecting the part');
  const part = [...whole, ...matching];
  const w = options.window.toPromDuration();
  const side = (m: Array<[string, MatchValue]>): string => aggregateText(`rate(${selectorText(metric.name, m)}[${w}])`, 'sum', options.by);
  const desc = `the share of ${selectorText(metric.name, part)} in all ${selectorText(metric.name, whole)} over ${options.window.toHuman()}${aggregateWords('sum', options.by)}`;
  return new Query(`${side(part)} / ${side(whole)}`, Units.RATIO, desc, (value) => {
    if (value < 0 || value > 1) throw new Error(`a share is between 0 and 1, cannot make ${metric.name} return ${value}`);
    const hit = exampleLabels(metric, part);
    // The rest of the traffic: the first `matching` label set to a value it does not match.
    const [label, m] = matching[0];
    const miss = exampleLabels(metric, [...whole, [label, negate(m)]]);
    const total = 10; // events per second
    return {
      series: [
        { labels: hit, kind: 'counter', level: value * total },
        { labels: miss, kind: 'counter', level: (1 - value) * total },
      ],
      labels: pick(hit, options.by ?? []),
    };
  });
}

/** The φ-quantile of a histogram's observations over a window, in the histogram's unit. */
export function histogramQuantile<L extends string, D extends Dimension>(
  phi: number,
  metric: Metric<L, D, 'histogram'>,
  options: { readonly window: Duration; readonly where?: Matchers<NoInfer<L>>; readonly by?: readonly NoInfer<L>[] },
): Query<D> {
  if (!(typeof phi === 'number' && phi > 0 && phi < 1)) {
    throw new ConfigError(`histogramQuantile of ${metric?.name}`, 'quantile', String(phi), 'a number strictly between 0 and 1, such as 0.95 for the 95th percentile');
  }
  const matchers = allMatchers(metric, options.where);
  const by = ['le', ...(options.by ?? [])];
  const expr = `histogram_quantile(${phi}, sum by (${by.join(', ')}) (rate(${selectorText(`${metric.name}_bucket`, matchers)}[${options.window.toPromDuration()}])))`;
  const pct = Number((phi * 100).toPrecision(6));
  const desc = `the ${pct}th percentile of ${metric.name} over ${options.window.toHuman()}${options.by?.length ? ` by ${options.by.join(', ')}` : ''}`;
  return new Query(expr, metric.unit, desc, (value) => {
    const base = exampleLabels(metric, matchers, `${metric.name}_bucket`);
    const counts = bucketRates(metric.buckets!, phi, value, 10);
    const series: FixtureSeries[] = counts.map(([le, level]) => ({ labels: { ...base, le }, kind: 'counter', level }));
    return { series, labels: pick(base, options.by ?? []) };
  });
}

/**
 * Cumulative bucket rates (per second, `total` observations per second) for which
 * histogram_quantile(phi) is `value`. Observations go to the first bucket, to the bucket (lo, hi]
 * holding `value`, and to +Inf, so that linear interpolation inside (lo, hi] lands on `value`:
 * value = lo + (hi - lo) · (phi·total - below) / inside.
 */
export function bucketRates(buckets: readonly number[], phi: number, value: number, total: number): Array<[string, number]> {
  const i = buckets.findIndex((b) => b >= value);
  if (i < 0 || value <= 0) throw new Error(`value ${value} is outside the histogram's buckets (${buckets.join(', ')})`);
  const lo = i === 0 ? 0 : buckets[i - 1];
  const hi = buckets[i];
  const x = (value - lo) / (hi - lo);
  let below: number;
  let inside: number;
  if (x <= phi) {
    // part of the observations must lie below `lo`, and nothing lies below the first bucket
    if (i === 0) throw new Error(`histogram_quantile(${phi}) cannot be made ${value}: below the first bucket's interpolation range`);
    below = (total * (phi - x)) / (1 - x);
    inside = total - below;
  } else {
    below = 0;
    inside = (phi * total) / x;
  }
  const out: Array<[string, number]> = buckets.map((b, j) => [String(b), j < i ? below : below + inside]);
  out.push(['+Inf', total]);
  return out;
}

/** A constant: `vector(1)`, the expression of an alert that always fires. */
export function constant(n: number): Query<'count'> {
  return new Query(`vector(${n})`, Units.COUNT, `the constant ${n}`, () => ({ series: [], labels: {} }));
}

/** A service, job or other label value that must be present. */
export interface MissingOptions<L extends string> {
  /** The label naming what is expected; the result carries it. */
  readonly label: L;
  /** Its values that must each have a healthy series (or, without `healthy`, any series). */
  readonly expected: readonly string[];
  /** Further matchers of the series. @default none */
  readonly where?: Matchers<L>;
  /** The value of a healthy series (1 for `up`). @default none: a series of any value counts as there */
  readonly healthy?: number;
}

/**
 * 1 for each expected value of `label` that has no series at `healthy` value (or none at all, without
 * `healthy`): its series are gone (a scaled-to-0 or Pending workload leaves no scrape target) or, with
 * `healthy`, unhealthy. Nothing for the others. `absent()` keeps no labels of a comparison, so each value
 * is put back with label_replace.
 */
export function missing<L extends string, D extends Dimension>(metric: Metric<L, D, 'gauge'>, options: MissingOptions<NoInfer<L>>): Query<'count'> {
  const label = options.label as string;
  const values = [...new Set(options.expected)];
  if (!values.length) throw new ConfigError(`missing ${metric.name}`, 'expected', '[]', `at least one value of ${label}`);
  const base = allMatchers(metric, options.where);
  const healthy = options.healthy === undefined ? '' : ` == ${options.healthy}`;
  const one = (v: string): string =>
    `label_replace(absent(${selectorText(metric.name, [...base, [label, v]])}${healthy}), ${JSON.stringify(label)}, ${JSON.stringify(v)}, "", "")`;
  const without = options.healthy === undefined ? `without a ${metric.name} series` : `without a ${metric.name} series at ${options.healthy}`;
  return new Query(values.map(one).join(' or '), Units.COUNT, `each of ${label} ${values.join(', ')} ${without}`, (value) => {
    // value 1: the first expected value's series is gone; the others stay healthy (without `healthy`:
    // at 0, so that the test proves a series of any value counts as there).
    const series: FixtureSeries[] = values.map((v, i) => ({
      labels: exampleLabels(metric, [...base, [label, v]]),
      kind: 'gauge',
      level: options.healthy ?? 0,
      absent: i === 0 && value >= 0.5,
    }));
    return { series, labels: { [label]: values[0] } };
  });
}

/**
 * 1 for each object a listing metric (kube_deployment_labels) shows whose `available` gauge is not
 * above 0: a Deployment scaled to 0 or without one ready pod. `label` of the listing is renamed `as`.
 */
export function unavailable<L extends string, A extends string>(
  listing: Metric<L, Dimension, 'gauge'>,
  available: Metric<A, Dimension, 'gauge'>,
  options: { readonly on: readonly (L & A)[]; readonly label: NoInfer<L>; readonly as: string; readonly where?: Matchers<NoInfer<L>> },
): Query<'count'> {
  const matchers = allMatchers(listing, options.where);
  const scope = matchers.filter(([l]) => options.on.includes(l as L & A));
  const list = selectorText(listing.name, matchers);
  const avail = selectorText(available.name, [...Object.entries(available.fixedMatchers), ...scope]);
  const label = options.label as string;
  const expr = `label_replace(${list} unless on (${options.on.join(', ')}) (${avail} > 0), ${JSON.stringify(options.as)}, "$1", ${JSON.stringify(label)}, "(.+)")`;
  return new Query(expr, Units.COUNT, `each ${listing.name} without ${available.name} above 0`, (value) => {
    const l = exampleLabels(listing, matchers);
    const a = exampleLabels(available, scope);
    for (const k of options.on) if (l[k] !== undefined) a[k] = l[k];
    return {
      series: [{ labels: l, kind: 'gauge', level: 1 }, { labels: a, kind: 'gauge', level: value >= 0.5 ? 0 : 1 }],
      labels: { ...withoutName(l), [options.as]: l[label] },
    };
  });
}

/**
 * The largest of several queries for each value of `by`: "any of these says so". Its fixture drives
 * the first query and holds the others at 0 (their fixtures must return nothing, or 0, at 0).
 */
export function anyOf(by: readonly string[], first: Query<'count'>, ...rest: Query<'count'>[]): Query<'count'> {
  const all = [first, ...rest];
  const fixture = all.every((q) => q.fixture)
    ? (value: number): Fixture => {
        const parts = [first.fixture!(value), ...rest.map((q) => q.fixture!(0))];
        return { series: parts.flatMap((p) => p.series), labels: pick({ ...parts[0].labels }, by) };
      }
    : undefined;
  return new Query(
    `max by (${by.join(', ')}) (${all.map((q) => q.expr).join(' or ')})`,
    Units.COUNT,
    all.map((q) => q.description).join(', or '),
    fixture,
  );
}

/**
 * How far `ahead` is beyond `behind`, both in one dimension: `ahead - behind`. With `ignoring` the two
 * sides match without those labels, and `behind` (the many side, one series per queue) keeps them
 * (`group_right`): the highest timestamp Prometheus took in against the highest each remote queue sent.
 */
export function lead<D extends Dimension>(ahead: Query<D>, behind: Query<D>, options: { readonly ignoring?: readonly string[] } = {}): Query<D> {
  if (ahead.unit.factorTo(behind.unit) !== 1) throw new Error(`lead: ${ahead.unit.name} and ${behind.unit.name} differ`);
  const ign = options.ignoring ?? [];
  const op = ign.length ? `- ignoring (${ign.join(', ')}) group_right ` : '- ';
  const fixture =
    ahead.fixture && behind.fixture
      ? (value: number): Fixture => {
          // Any common base: timestamps in seconds since the epoch, far from 0 as real ones are.
          const base = 1_700_000_000;
          const a = ahead.fixture!(base + value);
          const b = behind.fixture!(base);
          return { series: [...a.series, ...b.series], labels: ign.length ? b.labels : a.labels };
        }
      : undefined;
  return new Query(`${paren(ahead.expr)} ${op}${paren(behind.expr)}`, ahead.unit, `${ahead.description} minus ${behind.description}`, fixture);
}

/**
 * How many different values a gauge has across its series (`count(count_values(...))`): the
 * configurations of the members of a cluster, by their hash. The test fixture spreads `value`
 * different values over `members` series.
 */
export function distinctValues<L extends string>(
  metric: Metric<L, Dimension, 'gauge'>,
  options: { readonly where?: Matchers<NoInfer<L>>; readonly members: number },
): Query<'count'> {
  const matchers = allMatchers(metric, options.where);
  const sel = selectorText(metric.name, matchers);
  return new Query(`count(count_values("value", ${sel}))`, Units.COUNT, `the number of different values of ${sel}`, (value) => {
    const n = Math.round(value);
    if (n < 0 || n > options.members) throw new Error(`${options.members} series cannot hold ${value} different values of ${metric.name}`);
    const labels = exampleLabels(metric, matchers);
    // one series per member, told apart by instance; member i holds value min(i, n - 1) + 1
    const series: FixtureSeries[] = n === 0 ? [] : Array.from({ length: options.members }, (_, i) => ({
      labels: { ...labels, instance: `10.42.1.${10 + i}:9093` },
      kind: 'gauge',
      level: Math.min(i, n - 1) + 1,
    }));
    return { series, labels: {} };
  });
}

/**
 * The free share of a volume (available / capacity), only for volumes whose free bytes, extrapolated
 * linearly from the last `trend`, run out within `horizon` (`predict_linear(...) < 0`): the upstream
 * mixin's "filling up". The test fixture empties half the volume per horizon, at a steady pace.
 */
export function fillingUp<L extends string>(
  available: Metric<L, 'bytes', 'gauge'>,
  capacity: Metric<L, 'bytes', 'gauge'>,
  options: { readonly trend: Duration; readonly horizon: Duration; readonly where?: Matchers<NoInfer<L>> },
): Query<'ratio'> {
  const availableMatchers = allMatchers(available, options.where);
  const capacityMatchers = allMatchers(capacity, options.where);
  const avail = selectorText(available.name, availableMatchers);
  const cap = selectorText(capacity.name, capacityMatchers);
  const expr = `${avail} / ${cap} and predict_linear(${avail}[${options.trend.toPromDuration()}], ${options.horizon.toSeconds()}) < 0`;
  const desc = `the free share of a volume (${available.name} / ${capacity.name}) whose trend over ${options.trend.toHuman()} fills it within ${options.horizon.toHuman()}`;
  return new Query(expr, Units.RATIO, desc, (value) => {
    const size = 100 * 2 ** 30;
    // One pace whatever the value (a series has one slope across the test's phases): half the volume
    // per horizon, so anything under half full is predicted to run out within it.
    const a = exampleLabels(available, availableMatchers);
    const c = exampleLabels(capacity, capacityMatchers);
    return {
      series: [
        { labels: a, kind: 'gauge', level: value * size, slope: -size / 2 / options.horizon.toSeconds() },
        { labels: c, kind: 'gauge', level: size },
      ],
      labels: withoutName(a),
    };
  });
}

/**
 * An alert that fired within `window` and fires no more (from Prometheus's own ALERTS series): a cause
 * that has just ended. A condition `unless` it stays quiet while the consequences of that cause leave
 * its window, and only after a real incident: a blip too short to fire the alert changes nothing.
 */
export function justEnded(alerts: Metric<'alertname' | 'alertstate', 'count', 'gauge'>, alertName: string, window: Duration): Query<'count'> {
  const sel = selectorText(alerts.name, allMatchers(alerts, { alertname: alertName, alertstate: 'firing' }));
  return new Query(`max_over_time(${sel}[${window.toPromDuration()}]) unless on () ${sel}`, alerts.unit, `${alertName} fired within the last ${window.toHuman()} and fires no more`);
}

/** The query with a label copied out of another by a regular expression (`label_replace`): the pod of a volume claim. */
export function withLabel<D extends Dimension>(query: Query<D>, options: { readonly label: string; readonly from: string; readonly regex: RegExp }): Query<D> {
  checkRegex(`withLabel ${options.label}`, 'regex', options.regex.source);
  const re = new RegExp(`^(?:${options.regex.source})$`);
  const expr = `label_replace(${query.expr}, ${JSON.stringify(options.label)}, "$1", ${JSON.stringify(options.from)}, ${JSON.stringify(options.regex.source)})`;
  const fixture = query.fixture
    ? (value: number): Fixture => {
        const f = query.fixture!(value);
        const m = re.exec(f.labels[options.from] ?? '');
        return { series: f.series, labels: m ? { ...f.labels, [options.label]: m[1] } : f.labels };
      }
    : undefined;
  return new Query(expr, query.unit, query.description, fixture);
}

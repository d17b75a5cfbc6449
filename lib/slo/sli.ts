import { Metric } from '../catalog/metric';
import { exampleLabels, FixtureSeries, MatchValue, Matchers } from '../promql/query';
import { Duration, Quantity } from '../units';
import { ConfigError } from '../validate';

/**
 * A service level indicator: the share of events that went wrong, over any window. Built from
 * catalog metrics by the functions below; the PromQL has no labels left (every side is a `sum`),
 * the recording rules add `service` and `slo`.
 */
export interface Sli {
  /** What an event and a bad event are, in words, for runbooks and the dashboard. */
  readonly description: string;
  /** The share of bad events over `window`, 0 to 1. */
  errorRatio(window: Duration): string;
  /** Events per second over `window`. */
  eventRate(window: Duration): string;
  /** Bad events per second over `window` (0 when none failed, not no data). */
  badEventRate(window: Duration): string;
  /** Series of a generated test: `eventsPerSecond` events of which the share `errorRatio` bad. */
  fixture(errorRatio: number, eventsPerSecond: number): FixtureSeries[];
  /** A problem with the SLI as declared (a latency threshold that is no bucket boundary), if any. */
  readonly problem?: string;
}

type Entries = Array<[string, MatchValue]>;

function entries(m: Matchers<string> = {}): Entries {
  return Object.entries(m).filter((e): e is [string, MatchValue] => e[1] !== undefined);
}

function matcherText(label: string, m: MatchValue): string {
  const neg = typeof m === 'object' && !(m instanceof RegExp);
  const v = neg ? (m as { not: string | RegExp }).not : (m as string | RegExp);
  const re = v instanceof RegExp;
  return `${label}${neg ? '!' : '='}${re ? '~' : neg ? '=' : ''}${JSON.stringify(re ? v.source : v)}`;
}

function selector(name: string, ms: Entries): string {
  return ms.length ? `${name}{${ms.map(([l, m]) => matcherText(l, m)).join(', ')}}` : name;
}

const sumRate = (name: string, ms: Entries, w: Duration): string => `sum(rate(${selector(name, ms)}[${w.toPromDuration()}]))`;

function negate(m: MatchValue): MatchValue {
  return typeof m === 'object' && !(m instanceof RegExp) ? m.not : { not: m };
}

function all(metric: Metric, where?: Matchers<string>): Entries {
  return [...Object.entries(metric.fixedMatchers), ...entries(where)];
}

/**
 * Bad events over all events of one counter: `bad` selects the failed ones (status=~"5..").
 * No bad series at all (a service that never failed) counts as 0, not as no data.
 */
export function badEvents<L extends string>(
  metric: Metric<L, 'count', 'counter'>,
  options: { readonly bad: Matchers<NoInfer<L>>; readonly where?: Matchers<NoInfer<L>> },
): Sli {
  const whole = all(metric, options.where);
  const badM = entries(options.bad);
  if (!badM.length) throw new ConfigError(`SLI of ${metric.name}`, 'bad', '{}', 'at least one label matcher selecting the bad events');
  const part = [...whole, ...badM];
  return {
    description: `requests ${selector(metric.name, part)} among all ${selector(metric.name, whole)}`,
    errorRatio: (w) => `(${sumRate(metric.name, part, w)} or vector(0)) / ${sumRate(metric.name, whole, w)}`,
    eventRate: (w) => sumRate(metric.name, whole, w),
    badEventRate: (w) => `(${sumRate(metric.name, part, w)} or vector(0))`,
    fixture: (e, total) => {
      const [label, m] = badM[0];
      return [
        { labels: exampleLabels(metric, part), kind: 'counter', level: e * total },
        { labels: exampleLabels(metric, [...whole, [label, negate(m)]]), kind: 'counter', level: (1 - e) * total },
      ];
    },
  };
}

/** Failed events counted by one counter over all events counted by another (transaction errors over transactions). */
export function failedOf<L extends string>(
  failed: Metric<L, 'count', 'counter'>,
  total: Metric<L, 'count', 'counter'>,
  options: { readonly where?: Matchers<NoInfer<L>> } = {},
): Sli {
  const f = all(failed, options.where);
  const t = all(total, options.where);
  return {
    description: `${selector(failed.name, f)} among ${selector(total.name, t)}`,
    errorRatio: (w) => `(${sumRate(failed.name, f, w)} or vector(0)) / ${sumRate(total.name, t, w)}`,
    eventRate: (w) => sumRate(total.name, t, w),
    badEventRate: (w) => `(${sumRate(failed.name, f, w)} or vector(0))`,
    fixture: (e, rate) => [
      { labels: exampleLabels(failed, f), kind: 'counter', level: e * rate },
      { labels: exampleLabels(total, t), kind: 'counter', level: rate },
    ],
  };
}

/**
 * The `le` matcher of a bucket bound. Prometheus 3 normalises `le` of classic histograms to a float
 * (`le="1.0"`), 2.x keeps what the application wrote (`le="1"`): a whole bound matches both.
 */
export function leMatcher(bound: number): RegExp {
  const text = String(bound).replace(/\./g, '\\.');
  return new RegExp(Number.isInteger(bound) ? `${text}(\\.0)?` : text);
}

/** Requests slower than `threshold`, from a histogram's bucket at `threshold` (which must be one of its bounds) and its count. */
export function slowerThan<L extends string>(
  histogram: Metric<L, 'time', 'histogram'>,
  threshold: Quantity<'time'>,
  options: { readonly where?: Matchers<NoInfer<L>> } = {},
): Sli {
  const whole = all(histogram, options.where);
  const bound = threshold instanceof Quantity ? threshold.in(histogram.unit) : NaN;
  const buckets = histogram.buckets ?? [];
  const isBound = buckets.some((b) => Math.abs(b - bound) <= 1e-12 * Math.max(1, b));
  const le: Entries = [...whole, ['le', leMatcher(bound)]];
  const bucket = `${histogram.name}_bucket`;
  const count = `${histogram.name}_count`;
  return {
    description: `requests of ${selector(histogram.name, whole)} slower than ${threshold}`,
    errorRatio: (w) => `1 - ${sumRate(bucket, le, w)} / ${sumRate(count, whole, w)}`,
    eventRate: (w) => sumRate(count, whole, w),
    badEventRate: (w) => `${sumRate(count, whole, w)} - ${sumRate(bucket, le, w)}`,
    fixture: (e, total) => {
      const base = exampleLabels(histogram, whole, bucket);
      return [
        { labels: { ...base, le: String(bound) }, kind: 'counter', level: (1 - e) * total },
        { labels: { ...base, __name__: count }, kind: 'counter', level: total },
      ];
    },
    problem: isBound ? undefined : `latency threshold ${String(threshold)} is not a bucket boundary of ${histogram.name} (buckets ${buckets.join(', ')} s)`,
  };
}

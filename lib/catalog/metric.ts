import { Dimension, Unit } from '../units';

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/**
 * Where a metric comes from: the scrape job and the labels the scrape adds to every series
 * (target labels). They are the contract with the scrape configuration in lib/components.
 */
export interface Source<T extends string = string> {
  /** Name used in messages and docs. */
  readonly name: string;
  /** The `job` label: a regular expression (anchored, as in PromQL) matching the job names. */
  readonly job: string;
  /** Labels the scrape adds to every series of this source. */
  readonly targetLabels: readonly T[];
  /** Example values of its target labels, for generated tests. @default LABEL_EXAMPLES */
  readonly examples?: Readonly<Partial<Record<T, string>>>;
}

export interface MetricProps<L extends string, D extends Dimension, K extends MetricKind> {
  /** The series name (for a histogram, the name without `_bucket`/`_sum`/`_count`). */
  readonly name: string;
  readonly kind: K;
  /** Unit of the samples: for a counter, the unit of what it counts. */
  readonly unit: Unit<D>;
  /** Labels the instrumentation sets (the scrape adds the source's target labels). */
  readonly labels: readonly L[];
  readonly help: string;
  /** Upper bounds of a histogram's buckets, ascending, without +Inf. */
  readonly buckets?: readonly number[];
  /**
   * A gauge every replica of the service exports with the same value (set from the database): summing
   * it across replicas counts it once per replica. Queries built from it take one replica's copy
   * (`max by (<own labels>)`) before aggregating, and the synth-time check refuses a raw `sum`, `avg`,
   * `count` or `topk` over it. @default false
   */
  readonly sameOnEveryReplica?: boolean;
}

/**
 * A metric of the catalog: a plain immutable value, shared by alert rules, dashboards and the
 * instrumentation. `L` is the union of its label names, so a selector on an undeclared label does
 * not compile; `D` its dimension, so a threshold in another dimension does not compile.
 */
export class Metric<L extends string = string, D extends Dimension = Dimension, K extends MetricKind = MetricKind> {
  readonly name: string;
  readonly kind: K;
  readonly unit: Unit<D>;
  readonly help: string;
  /** Labels set by the instrumentation. */
  readonly ownLabels: readonly string[];
  readonly buckets?: readonly number[];
  /**
   * Label values that select the part of the metric this object stands for (see `variant`), e.g.
   * resource="cpu" of kube_pod_container_resource_limits, whose unit depends on that label.
   */
  readonly fixedMatchers: Readonly<Record<string, string>>;
  /** See MetricProps.sameOnEveryReplica. */
  readonly sameOnEveryReplica: boolean;

  constructor(
    readonly source: Source,
    props: MetricProps<string, D, K>,
    fixedMatchers: Record<string, string> = {},
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(props.name)) throw new Error(`'${props.name}' is not a valid metric name`);
    if (props.kind === 'histogram') {
      const b = props.buckets ?? [];
      if (b.length === 0 || b.some((x, i) => i > 0 && x <= b[i - 1])) {
        throw new Error(`histogram ${props.name} needs ascending buckets, got [${b.join(', ')}]`);
      }
    } else if (props.buckets) {
      throw new Error(`${props.kind} ${props.name} cannot have buckets`);
    }
    if (props.sameOnEveryReplica && props.kind !== 'gauge') throw new Error(`${props.kind} ${props.name}: only a gauge can be the same on every replica (counters add up)`);
    this.name = props.name;
    this.kind = props.kind;
    this.unit = props.unit;
    this.help = props.help;
    this.ownLabels = props.labels;
    this.buckets = props.buckets;
    this.fixedMatchers = fixedMatchers;
    this.sameOnEveryReplica = props.sameOnEveryReplica ?? false;
  }

  /** Every label a series of this metric can carry: own labels then target labels. */
  get labels(): readonly string[] {
    return [...new Set([...this.ownLabels, ...this.source.targetLabels])];
  }

  /** The same metric restricted by label values, in a unit that holds only for those values. */
  variant<D2 extends Dimension>(matchers: Partial<Record<L, string>>, unit: Unit<D2>): Metric<L, D2, K> {
    const m = new Metric<L, D2, K>(
      this.source,
      { name: this.name, kind: this.kind, unit, labels: this.ownLabels as L[], help: this.help, buckets: this.buckets, sameOnEveryReplica: this.sameOnEveryReplica },
      { ...this.fixedMatchers, ...(matchers as Record<string, string>) },
    );
    return m;
  }

  /** Series names this metric produces: a classic histogram has three. */
  seriesNames(): string[] {
    return this.kind === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => this.name + s) : [this.name];
  }
}

/** Declares a metric of a source; its label type is the own labels plus the source's target labels. */
export function metric<T extends string, L extends string, D extends Dimension, K extends MetricKind>(
  source: Source<T>,
  props: MetricProps<L, D, K>,
): Metric<L | T, D, K> {
  return new Metric<L | T, D, K>(source, props);
}

/** What a series name refers to in a catalog. */
export interface SeriesRef {
  readonly metric: Metric;
  /** For histograms, which of the three series; `value` for counters and gauges. */
  readonly part: 'value' | 'bucket' | 'sum' | 'count';
  /** Whether samples only go up (counters and every series of a histogram). */
  readonly monotonic: boolean;
  /** Labels of this series (a histogram's buckets add `le`). */
  readonly labels: readonly string[];
}

/** A set of metrics, looked up by series name. */
export class Catalog {
  private readonly byName = new Map<string, Metric>();

  constructor(metrics: Iterable<Metric>) {
    for (const m of metrics) this.add(m);
  }

  private add(m: Metric): void {
    const existing = this.byName.get(m.name);
    // A variant (kube_pod_container_resource_limits{resource="cpu"}) shares its metric's name:
    // the catalog keeps the whole metric.
    const isVariant = (x: Metric): boolean => Object.keys(x.fixedMatchers).length > 0;
    if (existing && existing.source === m.source && existing.kind === m.kind && (isVariant(m) || isVariant(existing))) {
      if (isVariant(existing) && !isVariant(m)) this.byName.set(m.name, m);
      return;
    }
    if (existing) throw new Error(`metric ${m.name} is declared twice (sources ${existing.source.name} and ${m.source.name})`);
    for (const s of m.seriesNames()) {
      if (s !== m.name && this.byName.has(s)) throw new Error(`histogram ${m.name} clashes with metric ${s}`);
    }
    this.byName.set(m.name, m);
  }

  /** A new catalog with more metrics (recording rules' outputs, for example). */
  with(metrics: Iterable<Metric>): Catalog {
    return new Catalog([...this.byName.values(), ...metrics]);
  }

  get metrics(): Metric[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): Metric | undefined {
    return this.byName.get(name);
  }

  /** Resolves a series name; histogram names only resolve with their `_bucket`/`_sum`/`_count` suffix. */
  lookup(series: string): SeriesRef | undefined {
    const direct = this.byName.get(series);
    if (direct && direct.kind !== 'histogram') {
      return { metric: direct, part: 'value', monotonic: direct.kind === 'counter', labels: direct.labels };
    }
    const m = /^(.*)_(bucket|sum|count)$/.exec(series);
    const h = m && this.byName.get(m[1]);
    if (h && h.kind === 'histogram') {
      const part = m![2] as 'bucket' | 'sum' | 'count';
      return { metric: h, part, monotonic: true, labels: part === 'bucket' ? [...h.labels, 'le'] : h.labels };
    }
    return undefined;
  }
}

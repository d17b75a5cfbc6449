/**
 * prom-client instruments created from the metric catalog, so the application exports exactly the
 * names, kinds, label names and buckets that the alert rules and dashboards query.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ai, APP, blockchain, business, data, exporter, http, Metric, MetricKind, system } from '../catalog';

/** Labels the scrape adds to every application series (job, instance, service, namespace, pod). */
export type TargetLabel = typeof APP extends { targetLabels: readonly (infer T)[] } ? T : never;

/**
 * The labels the instrumentation sets: a catalog metric's label type includes the target labels,
 * which the scrape adds and the application must not set.
 */
export type OwnLabels<M> = M extends Metric<infer L, any, any> ? Exclude<L, TargetLabel> : never;

/** A value for every declared label, and no other label. */
export type LabelSet<L extends string> = { readonly [K in L]: string | number };

/** Arguments of an instrument call: the label set first when the metric has labels, none when it has not. */
export type WithLabels<L extends string, Rest extends unknown[]> = [L] extends [never] ? Rest : [labels: LabelSet<L>, ...rest: Rest];

export interface CounterInstrument<L extends string> {
  readonly name: string;
  /** Adds `value` (default 1, never negative). */
  inc(...args: WithLabels<L, [value?: number]>): void;
}

export interface GaugeInstrument<L extends string> {
  readonly name: string;
  set(...args: WithLabels<L, [value: number]>): void;
  inc(...args: WithLabels<L, [value?: number]>): void;
  dec(...args: WithLabels<L, [value?: number]>): void;
  /** Removes every series, so that label values no longer reported disappear. */
  reset(): void;
}

export interface HistogramInstrument<L extends string> {
  readonly name: string;
  observe(...args: WithLabels<L, [value: number]>): void;
  /** Starts a timer; calling the returned function observes the elapsed seconds. */
  startTimer(...args: WithLabels<L, []>): () => void;
}

/** The instrument for a catalog metric: its kind decides the methods, its own labels the label set. */
export type Instrument<M> =
  M extends Metric<any, any, infer K>
    ? K extends 'counter'
      ? CounterInstrument<OwnLabels<M>>
      : K extends 'gauge'
        ? GaugeInstrument<OwnLabels<M>>
        : K extends 'histogram'
          ? HistogramInstrument<OwnLabels<M>>
          : never
    : never;

/**
 * The catalog groups the application instruments. `system` is absent: prom-client's default
 * metrics produce those series.
 */
export const APP_GROUPS = { http, business, ai, blockchain, data, exporter };
type Groups = typeof APP_GROUPS;

export type Instruments = { readonly [G in keyof Groups]: { readonly [N in keyof Groups[G]]: Instrument<Groups[G][N]> } } & {
  /** The registry holding the instruments and the default process and Node.js metrics. */
  readonly registry: Registry;
};

// prom-client's classes take an optional label object first; the typed wrappers above guarantee it
// is present exactly when the metric has labels, so the arguments pass straight through.
type Untyped = (...args: any[]) => any;

function instrument(m: Metric, registry: Registry): unknown {
  // The scrape overwrites a target label the application sets (its value moves to exported_<label>),
  // and OwnLabels drops such a label from the types; so the catalog must not declare one.
  const clash = m.ownLabels.filter((l) => (APP.targetLabels as readonly string[]).includes(l));
  if (clash.length) throw new Error(`${m.name} declares the target label(s) ${clash.join(', ')}, which the scrape sets`);
  const common = { name: m.name, help: m.help, labelNames: [...m.ownLabels], registers: [registry] };
  const kind: MetricKind = m.kind;
  switch (kind) {
    case 'counter': {
      const c = new Counter(common);
      return { name: m.name, inc: c.inc.bind(c) as Untyped };
    }
    case 'gauge': {
      const g = new Gauge(common);
      return { name: m.name, set: g.set.bind(g) as Untyped, inc: g.inc.bind(g) as Untyped, dec: g.dec.bind(g) as Untyped, reset: () => g.reset() };
    }
    case 'histogram': {
      const h = new Histogram({ ...common, buckets: [...m.buckets!] });
      return { name: m.name, observe: h.observe.bind(h) as Untyped, startTimer: ((labels?: object) => { const end = h.startTimer(labels as any); return () => void end(); }) };
    }
  }
}

/**
 * Creates every application metric of the catalog in `registry` (a new one by default), and the
 * default process and Node.js metrics. Throws if prom-client's default metrics no longer produce
 * a `system` metric of the catalog with its declared kind, so a prom-client upgrade cannot
 * silently break the rules that read them.
 */
export function createInstruments(registry: Registry = new Registry()): Instruments {
  collectDefaultMetrics({ register: registry });
  for (const m of Object.values(system)) {
    const found = registry.getSingleMetric(m.name) as { type?: string } | undefined;
    // prom-client's metric objects carry their exposition type as `type` ('counter', 'gauge', ...).
    if (!found || found.type !== m.kind) {
      throw new Error(`prom-client's default metrics do not produce ${m.kind} ${m.name}, which the catalog's system group declares`);
    }
  }
  const groups: Record<string, Record<string, unknown>> = {};
  for (const [group, metrics] of Object.entries(APP_GROUPS)) {
    groups[group] = Object.fromEntries(Object.entries(metrics).map(([key, m]: [string, Metric]) => [key, instrument(m, registry)]));
  }
  return { ...groups, registry } as unknown as Instruments;
}

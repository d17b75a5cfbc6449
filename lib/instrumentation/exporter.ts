/**
 * The business metrics exporter of the spec: every 30 s it asks the backend's collectors for the
 * platform's figures and sets the business gauges. The collectors are the backend's own database
 * queries; this module owns the schedule, the validation and the error accounting.
 */
import { Duration } from '../units';
import { GaugeInstrument, Instruments, LabelSet } from './instruments';

/** The timeframes of the active-users and trading-volume gauges (label `timeframe`). */
export type Timeframe = '24h' | '7d' | '30d';
export const TIMEFRAMES: readonly Timeframe[] = ['24h', '7d', '30d'];

/**
 * A collector: a plain async function returning current figures. The signal aborts when the call
 * times out or the exporter stops, so a collector can cancel its query.
 */
export type Collector<T> = (signal: AbortSignal) => Promise<T>;

export interface BusinessCollectors {
  /** NFTs on the platform: `knowton_total_nfts`. */
  readonly totalNfts: Collector<number>;
  /** Users active in each timeframe: `knowton_active_users_total{timeframe}`. */
  readonly activeUsers: Collector<Readonly<Record<Timeframe, number>>>;
  /** USD traded per pair in each timeframe: `knowton_trading_volume_usd{pair, timeframe}`. */
  readonly tradingVolume: Collector<Readonly<Record<Timeframe, Readonly<Record<string, number>>>>>;
  /**
   * Royalty revenue in USD: `knowton_royalty_revenue_usd{creator, nft}`. Every row is a series:
   * return a bounded set (top creators, the rest summed as creator="other", nft="other").
   */
  readonly royaltyRevenue: Collector<ReadonlyArray<{ readonly creator: string; readonly nft: string; readonly usd: number }>>;
  /** Active IP bonds and the value they lock: `knowton_active_bonds_total`, `knowton_total_value_locked_usd`. */
  readonly bonds: Collector<{ readonly active: number; readonly totalValueLockedUsd: number }>;
  /** NFTs per category: `knowton_nfts_by_category{category}`. */
  readonly nftsByCategory: Collector<Readonly<Record<string, number>>>;
}

export type CollectorName = keyof BusinessCollectors;

export interface BusinessMetricsExporterProps {
  /** The instruments the gauges and the errors counter come from (see createInstruments). */
  readonly instruments: Pick<Instruments, 'business' | 'exporter'>;
  readonly collectors: BusinessCollectors;
  /** Time between the starts of two runs. @default Duration.seconds(30) */
  readonly interval?: Duration;
  /** How long one collector call may take before it counts as failed. @default the interval */
  readonly timeout?: Duration;
  /**
   * Most series one collector may set. A collector returning more is treated as failed, so an
   * unbounded label (a wallet address, an NFT id) cannot flood Prometheus. @default 500
   */
  readonly maxSeries?: number;
  /** Called for every failed collector call. @default logs with console.error */
  readonly onError?: (collector: CollectorName, error: unknown) => void;
}

type AnyGauge = GaugeInstrument<any>;
/** New values of one gauge; a labelled gauge's series are all replaced. */
interface Update {
  readonly gauge: AnyGauge;
  readonly series: ReadonlyArray<{ readonly labels?: Record<string, string>; readonly value: number }>;
}
type Business = Instruments['business'];
type Result<K extends CollectorName> = Awaited<ReturnType<BusinessCollectors[K]>>;

function byTimeframe<T>(r: Readonly<Record<Timeframe, T>>, what: string): Array<[Timeframe, T]> {
  return TIMEFRAMES.map((t) => {
    if (r?.[t] === undefined) throw new Error(`no ${what} for timeframe ${t}`);
    return [t, r[t]];
  });
}

/** One series of a gauge: its label set when the gauge has labels, checked against the catalog. */
type Series<L extends string> = [L] extends [never] ? { readonly value: number } : { readonly labels: LabelSet<L>; readonly value: number };

/** Builds an Update, type-checking the label names of every series against the gauge's. */
function update<L extends string>(gauge: GaugeInstrument<L>, series: ReadonlyArray<Series<L>>): Update {
  return { gauge, series: series as Update['series'] };
}

/** How each collector's result becomes gauge values. */
const UPDATES: { readonly [K in CollectorName]: (r: Result<K>, g: Business) => Update[] } = {
  totalNfts: (n, g) => [update(g.totalNfts, [{ value: n }])],
  activeUsers: (r, g) => [update(g.activeUsers, byTimeframe(r, 'active users').map(([timeframe, value]) => ({ labels: { timeframe }, value })))],
  tradingVolume: (r, g) => [
    update(
      g.tradingVolume,
      byTimeframe(r, 'trading volume').flatMap(([timeframe, pairs]) => Object.entries(pairs).map(([pair, value]) => ({ labels: { pair, timeframe }, value }))),
    ),
  ],
  royaltyRevenue: (rows, g) => [update(g.royaltyRevenue, rows.map(({ creator, nft, usd }) => ({ labels: { creator, nft }, value: usd })))],
  bonds: (r, g) => [update(g.activeBonds, [{ value: r.active }]), update(g.totalValueLocked, [{ value: r.totalValueLockedUsd }])],
  nftsByCategory: (r, g) => [update(g.nftsByCategory, Object.entries(r).map(([category, value]) => ({ labels: { category }, value })))],
};

const COLLECTOR_NAMES = Object.keys(UPDATES) as CollectorName[];

class Stopped {}

export class BusinessMetricsExporter {
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxSeries: number;
  private readonly onError: (collector: CollectorName, error: unknown) => void;
  private started = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private currentRun?: Promise<void>;
  /** Collectors whose last call has not settled yet (after a timeout), with their abort controllers. */
  private readonly inFlight = new Map<CollectorName, AbortController>();

  constructor(private readonly props: BusinessMetricsExporterProps) {
    this.intervalMs = (props.interval ?? Duration.seconds(30)).toMillis();
    this.timeoutMs = props.timeout?.toMillis() ?? this.intervalMs;
    this.maxSeries = props.maxSeries ?? 500;
    if (this.intervalMs <= 0) throw new Error(`BusinessMetricsExporter: interval must be positive, got ${this.intervalMs} ms`);
    if (this.timeoutMs <= 0) throw new Error(`BusinessMetricsExporter: timeout must be positive, got ${this.timeoutMs} ms`);
    this.onError = props.onError ?? ((c, e) => console.error(`metrics exporter: collector ${c} failed:`, e));
    for (const name of COLLECTOR_NAMES) {
      if (typeof props.collectors[name] !== 'function') throw new Error(`BusinessMetricsExporter: collectors.${name} must be a function`);
      // Zero from the start, so rate() and increase() over the errors counter see the first error.
      props.instruments.exporter.errors.inc({ collector: name }, 0);
    }
  }

  /**
   * Runs the collectors now, then every interval. The promise resolves when the first run has
   * ended (await it to serve fresh gauges from the first scrape on); it never rejects.
   */
  start(): Promise<void> {
    // One schedule per object: a stopped exporter is not restarted (create a new one).
    if (this.started || this.stopped) throw new Error(`BusinessMetricsExporter: start() after ${this.started ? 'start()' : 'stop()'}`);
    this.started = true;
    return this.tick();
  }

  /** Stops the schedule, aborts collector calls in flight and resolves when the current run has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const c of this.inFlight.values()) c.abort(new Stopped());
    await this.currentRun;
  }

  private tick(): Promise<void> {
    const started = Date.now();
    this.currentRun = this.run().finally(() => {
      this.currentRun = undefined;
      if (this.stopped) return;
      // Runs start on a fixed grid; a run longer than the interval skips the starts it overlapped,
      // rather than starting the next one at once and hammering a slow database.
      const elapsed = Date.now() - started;
      this.timer = setTimeout(() => void this.tick(), this.intervalMs - (elapsed % this.intervalMs));
    });
    return this.currentRun;
  }

  private async run(): Promise<void> {
    await Promise.all(COLLECTOR_NAMES.map((name) => this.collect(name)));
  }

  /** Calls one collector and applies its result; never rejects. */
  private async collect<K extends CollectorName>(name: K): Promise<void> {
    if (this.inFlight.has(name)) {
      this.fail(name, new Error(`the previous call of collector ${name} has not finished yet`));
      return;
    }
    const controller = new AbortController();
    this.inFlight.set(name, controller);
    let timer: NodeJS.Timeout | undefined;
    try {
      const call = Promise.resolve().then(() => (this.props.collectors[name] as Collector<unknown>)(controller.signal));
      // The collector stays in flight until its call settles, even after a timeout, so a hung
      // query is not started a second time.
      call.then(
        () => this.inFlight.delete(name),
        () => this.inFlight.delete(name),
      );
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const err = new Error(`collector ${name} timed out after ${this.timeoutMs} ms`);
          controller.abort(err);
          reject(err);
        }, this.timeoutMs);
      });
      const aborted = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason)));
      const result = await Promise.race([call, timeout, aborted]);
      if (this.stopped) return;
      this.apply(name, result as Result<K>);
    } catch (err) {
      if (err instanceof Stopped || this.stopped) return;
      this.fail(name, err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Validates the whole result before writing any of it, so the gauges never mix two runs. */
  private apply<K extends CollectorName>(name: K, result: Result<K>): void {
    const updates = UPDATES[name](result, this.props.instruments.business);
    const count = updates.reduce((n, u) => n + u.series.length, 0);
    if (count > this.maxSeries) {
      throw new Error(`collector ${name} returned ${count} series, more than maxSeries (${this.maxSeries}): aggregate the rest`);
    }
    for (const { gauge, series } of updates) {
      for (const s of series) {
        if (typeof s.value !== 'number' || !Number.isFinite(s.value) || s.value < 0) {
          throw new Error(`collector ${name} returned ${String(s.value)} for ${gauge.name}${s.labels ? JSON.stringify(s.labels) : ''}: expected a finite number >= 0`);
        }
      }
    }
    for (const { gauge, series } of updates) {
      // A labelled gauge is rebuilt from scratch, so a category or pair no longer reported disappears.
      if (series.some((s) => s.labels) || series.length === 0) gauge.reset();
      for (const s of series) {
        if (s.labels) gauge.set(s.labels, s.value);
        else (gauge as GaugeInstrument<never>).set(s.value);
      }
    }
  }

  private fail(name: CollectorName, err: unknown): void {
    this.props.instruments.exporter.errors.inc({ collector: name });
    try {
      this.onError(name, err);
    } catch {
      // a throwing logger must not stop the other collectors
    }
  }
}

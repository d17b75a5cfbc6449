/**
 * The typed instruments and the business metrics exporter: scheduling, error isolation,
 * validation and shutdown, on jest's fake timers.
 */
import { Registry } from 'prom-client';
import { APP, metric } from '../lib/catalog';
import { APP_GROUPS, BusinessCollectors, BusinessMetricsExporter, CollectorName, createInstruments, Duration, Instruments } from '../lib/instrumentation';
import { Units } from '../lib/units';

/**
 * Compile-time checks: every @ts-expect-error line must fail to type-check (tsc --noEmit fails
 * on an unused @ts-expect-error), and the lines without it must compile.
 */
export function typeChecks(i: Instruments): void {
  i.http.requests.inc({ method: 'GET', route: '/api/v1/nfts', status: 200 });
  i.http.requestDuration.observe({ method: 'GET', route: '/api/v1/nfts', status: '200' }, 0.12);
  i.http.activeConnections.inc();
  i.business.totalNfts.set(3);
  i.exporter.errors.inc({ collector: 'totalNfts' });
  // @ts-expect-error the drift this module exists to prevent: status_code is not a label of http_requests_total
  i.http.requests.inc({ method: 'GET', route: '/', status_code: 200 });
  // @ts-expect-error a declared label is missing
  i.http.requests.inc({ method: 'GET', route: '/' });
  // @ts-expect-error period is not a label of knowton_active_users_total (timeframe is)
  i.business.activeUsers.set({ period: '24h' }, 10);
  // @ts-expect-error target labels are added by the scrape, not by the application
  i.business.totalNfts.set({ service: 'backend' }, 3);
  // @ts-expect-error a counter cannot be set
  i.http.requests.set({ method: 'GET', route: '/', status: 200 }, 3);
  // @ts-expect-error a counter cannot go down
  i.exporter.errors.dec({ collector: 'x' });
  // @ts-expect-error a gauge is not observed
  i.http.activeConnections.observe(1);
  // @ts-expect-error a histogram is not incremented
  i.data.queryDuration.inc({ operation: 'select' });
  // @ts-expect-error labels are required on a labelled metric
  i.ai.fingerprinting.inc();
}

const FIGURES = {
  totalNfts: 1200,
  activeUsers: { '24h': 40, '7d': 180, '30d': 600 },
  tradingVolume: { '24h': { 'KNOW/USDC': 1500 }, '7d': { 'KNOW/USDC': 9000 }, '30d': { 'KNOW/USDC': 41000 } },
  royaltyRevenue: [{ creator: 'other', nft: 'other', usd: 320 }],
  bonds: { active: 12, totalValueLockedUsd: 250000 },
  nftsByCategory: { music: 700, art: 500 },
};

/** Collectors returning FIGURES and counting their calls; `override` replaces some. */
function collectors(override: Partial<BusinessCollectors> = {}): { collectors: BusinessCollectors; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const counted = <T>(name: string, f: (s: AbortSignal) => Promise<T>) => (s: AbortSignal) => {
    calls[name] = (calls[name] ?? 0) + 1;
    return f(s);
  };
  const base: BusinessCollectors = {
    totalNfts: async () => FIGURES.totalNfts,
    activeUsers: async () => FIGURES.activeUsers,
    tradingVolume: async () => FIGURES.tradingVolume,
    royaltyRevenue: async () => FIGURES.royaltyRevenue,
    bonds: async () => FIGURES.bonds,
    nftsByCategory: async () => FIGURES.nftsByCategory,
  };
  const all = { ...base, ...override } as Record<string, (s: AbortSignal) => Promise<unknown>>;
  return { collectors: Object.fromEntries(Object.entries(all).map(([k, f]) => [k, counted(k, f)])) as unknown as BusinessCollectors, calls };
}

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const m = await registry.getSingleMetric(name)!.get();
  // prom-client keeps label values as given (200 stays a number); the exposition prints them as strings
  const key = (l: object): string => JSON.stringify(Object.entries(l).map(([k, v]) => [k, String(v)]).sort());
  return m.values.find((v) => key(v.labels) === key(labels))?.value;
}

const never = (): Promise<never> => new Promise(() => undefined);

describe('BusinessMetricsExporter', () => {
  let instruments: Instruments;
  let errors: Array<[CollectorName, unknown]>;
  let exporter: BusinessMetricsExporter | undefined;
  const make = (c: BusinessCollectors, extra: { interval?: Duration; timeout?: Duration; maxSeries?: number } = {}) =>
    (exporter = new BusinessMetricsExporter({ instruments, collectors: c, onError: (n, e) => errors.push([n, e]), ...extra }));

  beforeEach(() => {
    jest.useFakeTimers();
    instruments = createInstruments();
    errors = [];
  });
  afterEach(async () => {
    await exporter?.stop();
    exporter = undefined;
    jest.useRealTimers();
  });

  test('runs at start and then every 30 s by default', async () => {
    const { collectors: c, calls } = collectors();
    await make(c).start();
    expect(calls.totalNfts).toBe(1);
    await jest.advanceTimersByTimeAsync(29_999);
    expect(calls.totalNfts).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls.totalNfts).toBe(2);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls.totalNfts).toBe(4);
    expect(calls).toEqual({ totalNfts: 4, activeUsers: 4, tradingVolume: 4, royaltyRevenue: 4, bonds: 4, nftsByCategory: 4 });
    expect(errors).toEqual([]);
  });

  test('the interval is a Duration', async () => {
    const { collectors: c, calls } = collectors();
    await make(c, { interval: Duration.seconds(5) }).start();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(calls.bonds).toBe(3);
  });

  test('sets every business gauge from the collectors', async () => {
    const { collectors: c } = collectors();
    await make(c).start();
    const r = instruments.registry;
    expect(await value(r, 'knowton_total_nfts')).toBe(1200);
    expect(await value(r, 'knowton_active_users_total', { timeframe: '7d' })).toBe(180);
    expect(await value(r, 'knowton_trading_volume_usd', { pair: 'KNOW/USDC', timeframe: '24h' })).toBe(1500);
    expect(await value(r, 'knowton_royalty_revenue_usd', { creator: 'other', nft: 'other' })).toBe(320);
    expect(await value(r, 'knowton_active_bonds_total')).toBe(12);
    expect(await value(r, 'knowton_total_value_locked_usd')).toBe(250000);
    expect(await value(r, 'knowton_nfts_by_category', { category: 'art' })).toBe(500);
  });

  test('a failing collector is logged and counted, and the others still update', async () => {
    let fail = true;
    const { collectors: c } = collectors({
      activeUsers: async () => {
        if (fail) throw new Error('database unreachable');
        return FIGURES.activeUsers;
      },
      // throwing synchronously, not from a promise, is isolated too
      nftsByCategory: (() => {
        throw new Error('sync failure');
      }) as unknown as BusinessCollectors['nftsByCategory'],
    });
    await make(c).start();
    expect(errors.map(([n, e]) => `${n}: ${(e as Error).message}`).sort()).toEqual(['activeUsers: database unreachable', 'nftsByCategory: sync failure']);
    const r = instruments.registry;
    expect(await value(r, 'knowton_metrics_exporter_errors_total', { collector: 'activeUsers' })).toBe(1);
    expect(await value(r, 'knowton_metrics_exporter_errors_total', { collector: 'nftsByCategory' })).toBe(1);
    expect(await value(r, 'knowton_metrics_exporter_errors_total', { collector: 'totalNfts' })).toBe(0);
    expect(await value(r, 'knowton_total_nfts')).toBe(1200);
    expect(await value(r, 'knowton_active_users_total', { timeframe: '24h' })).toBeUndefined();
    // it keeps running, and recovers
    fail = false;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(await value(r, 'knowton_active_users_total', { timeframe: '24h' })).toBe(40);
    expect(await value(r, 'knowton_metrics_exporter_errors_total', { collector: 'activeUsers' })).toBe(1);
    expect(await value(r, 'knowton_metrics_exporter_errors_total', { collector: 'nftsByCategory' })).toBe(2);
  });

  test('a throwing logger does not stop the other collectors', async () => {
    const { collectors: c } = collectors({ totalNfts: async () => Promise.reject(new Error('x')) });
    exporter = new BusinessMetricsExporter({ instruments, collectors: c, onError: () => { throw new Error('logger down'); } });
    await exporter.start();
    expect(await value(instruments.registry, 'knowton_active_bonds_total')).toBe(12);
  });

  test('an invalid result is rejected whole: counted, and the gauge keeps its last good values', async () => {
    let users: Record<string, number> = FIGURES.activeUsers;
    const { collectors: c } = collectors({ activeUsers: async () => users as any });
    await make(c).start();
    users = { '24h': 41, '7d': NaN, '30d': 601 };
    await jest.advanceTimersByTimeAsync(30_000);
    users = { '24h': 42, '7d': 182 }; // 30d missing
    await jest.advanceTimersByTimeAsync(30_000);
    users = { '24h': -1, '7d': 1, '30d': 1 };
    await jest.advanceTimersByTimeAsync(30_000);
    expect(errors.map(([, e]) => (e as Error).message)).toEqual([
      expect.stringMatching(/returned NaN for knowton_active_users_total\{"timeframe":"7d"\}/),
      expect.stringMatching(/no active users for timeframe 30d/),
      expect.stringMatching(/returned -1 /),
    ]);
    expect(await value(instruments.registry, 'knowton_active_users_total', { timeframe: '24h' })).toBe(40);
  });

  test('a label value no longer reported disappears', async () => {
    let categories: Record<string, number> = { music: 1, art: 2 };
    const { collectors: c } = collectors({ nftsByCategory: async () => categories });
    await make(c).start();
    categories = { music: 3 };
    await jest.advanceTimersByTimeAsync(30_000);
    expect(await value(instruments.registry, 'knowton_nfts_by_category', { category: 'music' })).toBe(3);
    expect(await value(instruments.registry, 'knowton_nfts_by_category', { category: 'art' })).toBeUndefined();
  });

  test('too many series from one collector is an error, not a cardinality explosion', async () => {
    const rows = Array.from({ length: 11 }, (_, i) => ({ creator: `0x${i}`, nft: String(i), usd: 1 }));
    const { collectors: c } = collectors({ royaltyRevenue: async () => rows });
    await make(c, { maxSeries: 10 }).start();
    expect(errors.map(([n, e]) => `${n}: ${(e as Error).message}`)).toEqual([expect.stringMatching(/^royaltyRevenue: .*11 series, more than maxSeries \(10\)/)]);
    expect((await instruments.registry.getSingleMetric('knowton_royalty_revenue_usd')!.get()).values).toEqual([]);
  });

  test('runs never overlap: a slow run delays the next start to the following tick', async () => {
    let release: (() => void) | undefined;
    let running = 0;
    let maxRunning = 0;
    const { collectors: c, calls } = collectors({
      bonds: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (calls.bonds === 1) await new Promise<void>((r) => (release = r));
        running--;
        return FIGURES.bonds;
      },
    });
    // timeout longer than the interval, so only the slowness is at work here
    const started = make(c, { timeout: Duration.minutes(5) }).start();
    await jest.advanceTimersByTimeAsync(45_000); // the first run is still going at 30 s
    expect(calls.totalNfts).toBe(1);
    release!();
    await started;
    await jest.advanceTimersByTimeAsync(14_999); // the next start is on the 60 s tick, not at once
    expect(calls.totalNfts).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls.totalNfts).toBe(2);
    expect(maxRunning).toBe(1);
    expect(errors).toEqual([]);
  });

  test('a hung collector times out, its signal aborts, and it is not called again while still hung', async () => {
    let signal: AbortSignal | undefined;
    const { collectors: c, calls } = collectors({
      tradingVolume: (s) => {
        signal = s;
        return never();
      },
    });
    const started = make(c, { timeout: Duration.seconds(10) }).start();
    await jest.advanceTimersByTimeAsync(10_000);
    await started;
    expect(signal!.aborted).toBe(true);
    expect(errors.map(([n, e]) => `${n}: ${(e as Error).message}`)).toEqual(['tradingVolume: collector tradingVolume timed out after 10000 ms']);
    await jest.advanceTimersByTimeAsync(20_000); // the next run, at 30 s
    expect(calls.totalNfts).toBe(2);
    expect(calls.tradingVolume).toBe(1);
    expect(errors.map(([, e]) => (e as Error).message)[1]).toMatch(/previous call of collector tradingVolume has not finished/);
    expect(await value(instruments.registry, 'knowton_metrics_exporter_errors_total', { collector: 'tradingVolume' })).toBe(2);
  });

  test('stop() ends the schedule, aborts collectors in flight and resolves at once', async () => {
    let signal: AbortSignal | undefined;
    const { collectors: c, calls } = collectors({
      royaltyRevenue: async (s) => {
        signal = s;
        if (calls.royaltyRevenue === 2) return never();
        return FIGURES.royaltyRevenue;
      },
    });
    const e = make(c);
    await e.start();
    await jest.advanceTimersByTimeAsync(30_000); // second run, royaltyRevenue hangs
    let stopped = false;
    const stopping = e.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(true);
    await stopping;
    expect(signal!.aborted).toBe(true);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(calls.totalNfts).toBe(2);
    expect(errors).toEqual([]); // stopping is not an error
    expect(jest.getTimerCount()).toBe(0);
  });

  test('results arriving after stop() are not written', async () => {
    let resolve: ((n: number) => void) | undefined;
    const { collectors: c } = collectors({ totalNfts: () => new Promise<number>((r) => (resolve = r)) });
    const e = make(c);
    void e.start();
    await jest.advanceTimersByTimeAsync(0);
    await e.stop();
    resolve!(5);
    await jest.advanceTimersByTimeAsync(0);
    expect(await value(instruments.registry, 'knowton_total_nfts')).toBe(0);
  });

  test('start() twice, start() after stop() and bad settings throw', async () => {
    const { collectors: c } = collectors();
    const e = make(c);
    const first = e.start();
    expect(() => e.start()).toThrow(/start\(\) after start\(\)/);
    const stopped = make(c);
    void stopped.stop();
    expect(() => stopped.start()).toThrow(/start\(\) after stop\(\)/);
    await first;
    await e.stop();
    expect(() => new BusinessMetricsExporter({ instruments, collectors: c, interval: Duration.seconds(0) })).toThrow(/interval must be positive/);
    expect(() => new BusinessMetricsExporter({ instruments, collectors: { ...c, bonds: undefined as any } })).toThrow(/collectors.bonds must be a function/);
  });
});

describe('createInstruments', () => {
  test('creates the catalog names, and two sets can live in separate registries', async () => {
    const a = createInstruments();
    const b = createInstruments(new Registry());
    a.http.requests.inc({ method: 'GET', route: '/x', status: 200 });
    expect(await value(a.registry, 'http_requests_total', { method: 'GET', route: '/x', status: '200' })).toBe(1);
    expect(await value(b.registry, 'http_requests_total', { method: 'GET', route: '/x', status: '200' })).toBeUndefined();
  });

  test('an undeclared label is also refused at run time (for callers that bypass the types)', () => {
    const i = createInstruments();
    expect(() => (i.http.requests.inc as any)({ method: 'GET', route: '/', status: 200, status_code: 200 })).toThrow(/status_code/);
  });

  test('a catalog metric declaring a target label as its own is refused', () => {
    const bad = metric(APP, { name: 'knowton_bad_total', kind: 'counter', unit: Units.COUNT, labels: ['service'], help: 'x' });
    (APP_GROUPS.http as Record<string, unknown>).bad = bad;
    try {
      expect(() => createInstruments()).toThrow('knowton_bad_total declares the target label(s) service, which the scrape sets');
    } finally {
      delete (APP_GROUPS.http as Record<string, unknown>).bad;
    }
  });

  test('startTimer observes the elapsed seconds', async () => {
    jest.useFakeTimers();
    try {
      const i = createInstruments();
      const end = i.data.queryDuration.startTimer({ operation: 'select' });
      jest.advanceTimersByTime(300);
      end();
      const h = await i.registry.getSingleMetric('db_query_duration_seconds')!.get();
      const sum = h.values.find((v) => (v as { metricName?: string }).metricName === 'db_query_duration_seconds_sum')!.value;
      expect(sum).toBeGreaterThan(0.29);
    } finally {
      jest.useRealTimers();
    }
  });
});

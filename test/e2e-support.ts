/**
 * What the end-to-end test files share: reading notifications since a step began, the alerts firing
 * in Prometheus, shortened windows through StackConfig, and the record of which alerts a file proved
 * to fire and resolve (checked against test/e2e-coverage.ts).
 */
import type { AlertOverride } from '../lib/alerting';
import { environmentConfig, StackConfig } from '../lib/config';
import { getJson, LocalStack, LocalTimings, Notification, sleep, TEST_TIMINGS, waitFor } from '../lib/demo';
import { Duration } from '../lib/units';
import { coveredBy, E2eFile } from './e2e-coverage';

/**
 * dev's configuration with the range windows of `alerts` shortened to `window` (StackConfig's
 * `alerts.<name>.window`): an alert over a 5-minute rate then resolves seconds after its fault ends.
 */
export function withShortWindows(alerts: readonly string[], window: Duration, config: StackConfig = environmentConfig('dev')): StackConfig {
  const overrides: Record<string, AlertOverride> = { ...config.alerts };
  for (const name of alerts) overrides[name] = { ...overrides[name], window };
  return { ...config, alerts: overrides };
}

/**
 * The timings of the HA files (e2e-ha*.test.ts). The two replicas scrape and evaluate on their own
 * clocks, so for up to an interval or two one has seen the recovery and the other not. In production
 * group_interval (5m) is far longer than that (15s intervals) and the cluster sends one resolved
 * notification; with 1s grouping the alert would be seen to resolve, fire again and resolve. So
 * group_interval stays a few intervals long here.
 */
export const HA_TIMINGS: LocalTimings = { ...TEST_TIMINGS, groupInterval: TEST_TIMINGS.interval.times(5) };

/** Waits until every Alertmanager of `stack` is a ready member of one gossip cluster of all of them. */
export async function untilClusterFormed(stack: LocalStack, timeoutMs = 30000): Promise<Array<{ cluster: { status: string; peers: unknown[] } }>> {
  const n = stack.alertmanagerUrls.length;
  return waitFor('the gossip cluster to form', async () => {
    const statuses = await Promise.all(stack.alertmanagerUrls.map((u) => getJson(`${u}/api/v2/status`)));
    return statuses.every((s) => s.cluster.status === 'ready' && s.cluster.peers.length === n) ? statuses : undefined;
  }, timeoutMs);
}

export interface FiringAlert {
  readonly alertname: string;
  readonly labels: Record<string, string>;
}

export class E2e {
  /** Index into the receiver's log where the current step began (see switchTo / step). */
  private since = 0;
  /** Alerts seen firing and then resolved in this file. */
  readonly proved = new Set<string>();

  constructor(
    private readonly stack: () => LocalStack,
    readonly file: E2eFile,
  ) {}

  /** Starts a step: notifications count from now, never ones left over from an earlier step. */
  step(): void {
    this.since = this.stack().receiver.received.length;
  }

  /** Switches the demo exporter's scenario and starts a step. */
  switchTo(scenario: Parameters<LocalStack['exporter']['setScenario']>[0]): void {
    this.step();
    this.stack().exporter.setScenario(scenario);
  }

  /** Notifications about `alertname` (optionally of one status) that arrived since the step began. */
  sinceStep(alertname: string, status?: Notification['status']): Notification[] {
    return this.stack().receiver.received.slice(this.since).filter((n) => n.labels.alertname === alertname && (!status || n.status === status));
  }

  /** Waits until `alertname` has reached every place in `where` with `status` since the step began. */
  async notified(alertname: string, status: Notification['status'], where: string[], timeoutMs = 20000): Promise<Notification[]> {
    const place = (n: Notification): string => n.channel ?? n.via;
    return waitFor(`${alertname} ${status} at ${where.join(', ')}`, async () => {
      const got = this.sinceStep(alertname, status);
      return where.every((w) => got.some((n) => place(n) === w)) ? got : undefined;
    }, timeoutMs).catch((err: Error) => {
      const seen = this.stack().receiver.received.slice(this.since).map((n) => `${n.via} ${n.channel ?? ''} ${n.status} ${n.title}`);
      throw new Error(`${err.message}\nreceived since the step began:\n${seen.join('\n')}`);
    });
  }

  /** Every firing notification of `names` since the step began must be followed by a resolved one at the same place. */
  async resolvedWhereDelivered(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const places = [...new Set(this.sinceStep(name, 'firing').map((n) => n.channel ?? n.via))];
      if (places.length > 0) await this.notified(name, 'resolved', places);
    }
  }

  /** The alerts firing in Prometheus (ALERTS), with their labels. */
  async firingAlerts(): Promise<FiringAlert[]> {
    const alerts = await this.stack().query('ALERTS{alertstate="firing"}');
    return alerts.map((a) => {
      const { __name__, alertstate, ...labels } = a.metric;
      return { alertname: labels.alertname, labels };
    });
  }

  /** The names of the alerts firing in Prometheus, sorted, without duplicates. */
  async firing(): Promise<string[]> {
    return [...new Set((await this.firingAlerts()).map((a) => a.alertname))].sort();
  }

  /**
   * Waits until every alert of `names` has been seen firing in Prometheus, not necessarily at the
   * same instant (a burst of missed evaluations fires only while it is in its window); returns
   * every firing alert seen meanwhile, once per label set.
   */
  async untilFiring(names: readonly string[], timeoutMs = 30000, also: (seen: FiringAlert[]) => boolean = () => true): Promise<FiringAlert[]> {
    const seen = new Map<string, FiringAlert>();
    return waitFor(`${names.join(', ')} to fire`, async () => {
      for (const a of await this.firingAlerts()) seen.set(JSON.stringify(Object.entries(a.labels).sort()), a);
      const all = [...seen.values()];
      return names.every((n) => all.some((a) => a.alertname === n)) && also(all) ? all : undefined;
    }, timeoutMs).catch(async (err: Error) => {
      throw new Error(`${err.message}: seen firing ${[...new Set([...seen.values()].map((a) => a.alertname))].sort().join(', ')}`);
    });
  }

  /** Waits until exactly `names` fire in Prometheus. */
  async untilOnly(names: readonly string[], timeoutMs = 20000): Promise<void> {
    const want = [...names].sort().join();
    await waitFor(`only ${names.join(', ')} to fire`, async () => ((await this.firing()).join() === want ? true : undefined), timeoutMs).catch(async (err: Error) => {
      throw new Error(`${err.message}: firing ${(await this.firing()).join(', ')}`);
    });
  }

  /**
   * Waits until the stack has settled after its start: for `intervals` evaluation intervals in a row,
   * only the Watchdog fires and nothing is pending. Until every target has been scraped, ServiceMissing
   * and LowNFTMintingRate may fire for a moment; a busy machine stretches that moment.
   */
  async untilQuiet(intervals = 3, timeoutMs = 30000): Promise<void> {
    let quietSince: number | undefined;
    await waitFor('only the Watchdog to fire, nothing pending, for a while', async () => {
      const alerts = await this.stack().query('ALERTS');
      const quiet = alerts.every((a) => a.metric.alertname === 'Watchdog' && a.metric.alertstate === 'firing') && alerts.length > 0;
      if (!quiet) quietSince = undefined;
      else quietSince ??= Date.now();
      return quietSince !== undefined && Date.now() - quietSince >= this.stack().interval.times(intervals).toMillis() ? true : undefined;
    }, timeoutMs).catch(async (err: Error) => {
      throw new Error(`${err.message}: firing ${(await this.firing()).join(', ')}`);
    });
  }

  /**
   * Samples the firing alerts for `samples` evaluation intervals and fails if any but `allowed` (and
   * the Watchdog) fires at any of them: an unexpected alert cannot pass on one quiet instant.
   */
  async onlyThese(allowed: readonly string[], intervals = 3): Promise<void> {
    const end = Date.now() + this.stack().interval.times(intervals).toMillis();
    const extra = new Set<string>();
    while (Date.now() < end) {
      for (const name of await this.firing()) if (name !== 'Watchdog' && !allowed.includes(name)) extra.add(name);
      await sleep(this.stack().interval.toMillis() / 4);
    }
    expect([...extra]).toEqual([]);
  }

  /**
   * Waits until none of `names` fires any more in Prometheus, and records them as proved. Each must have
   * fired in this stack (Prometheus's own ALERTS history says so), or an alert that never fired would
   * count as proved.
   */
  async untilResolved(names: readonly string[], timeoutMs = 30000): Promise<void> {
    const fired = new Set((await this.stack().query('group by (alertname) (max_over_time(ALERTS{alertstate="firing"}[30m]))')).map((a) => a.metric.alertname));
    expect(names.filter((n) => !fired.has(n)).map((n) => `${n} never fired`)).toEqual([]);
    await waitFor(`${names.join(', ')} to resolve`, async () => {
      const firing = await this.firing();
      return names.every((n) => !firing.includes(n)) ? true : undefined;
    }, timeoutMs).catch(async (err: Error) => {
      throw new Error(`${err.message}: firing ${(await this.firing()).join(', ')}`);
    });
    for (const n of names) this.proved.add(n);
  }

  /** The check each e2e file ends with: it proved exactly the alerts of its rows in test/e2e-coverage.ts. */
  expectCoverage(): void {
    expect([...this.proved].sort()).toEqual(coveredBy(this.file));
  }
}

/**
 * Tables written from the spec and the README, independently of rules/, dashboards/ and lib/, and
 * compared with what each environment synthesizes: every dashboard panel's title -> metrics -> unit,
 * every alert's severity, threshold, `for`, window and group (with each environment's documented
 * overrides), the histograms' buckets; and the committed runbooks against a fresh render.
 * A change to a declaration that is not also made here is a change of behaviour, and fails.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { renderAllRunbooks } from '../lib/synth';
import { catalogWithRecordings } from '../lib/alerting/validate';
import { CATALOG } from '../lib/catalog';
import { environmentConfig } from '../lib/config';
import { analyze } from '../lib/promql';
import { ruleGroups } from '../rules';
import { K8sObject, findObject, loadObjects, prometheusFiles, synthTo } from './helpers';

const ENVS = ['dev', 'staging', 'prod'] as const;
type Env = (typeof ENVS)[number];

const synthesized: Partial<Record<Env, K8sObject[]>> = {};
beforeAll(() => {
  for (const env of ENVS) synthesized[env] = loadObjects(synthTo(environmentConfig(env)));
});

// ---------------------------------------------------------------------------------------------
// Dashboards

type Unit = string;
/** `dashboard file / panel title` -> [metrics the panel reads, Grafana unit]. */
const PANELS: Record<string, [string[], Unit]> = {
  // Service Health: uptime, CPU and memory by service, request rate and response times, errors, database connections.
  'service-health-dashboard.json / Service uptime': [['up'], 'short'],
  'service-health-dashboard.json / CPU by service': [['process_cpu_seconds_total'], 'short'],
  'service-health-dashboard.json / Memory by service': [['process_resident_memory_bytes'], 'bytes'],
  'service-health-dashboard.json / Request rate': [['http_requests_total'], 'ops'],
  'service-health-dashboard.json / Response time': [['http_request_duration_seconds_bucket'], 's'],
  'service-health-dashboard.json / Average response time by service': [['http_request_duration_seconds_count', 'http_request_duration_seconds_sum'], 's'],
  'service-health-dashboard.json / Error rate': [['service:http_requests_errors:ratio_rate5m'], 'percentunit'],
  'service-health-dashboard.json / Database connections': [['pg_settings_max_connections', 'pg_stat_database_numbackends'], 'short'],
  // Business Metrics: minting, trading volume and revenue (USD), active users, totals, TVL, content by type.
  'business-metrics-dashboard.json / Total NFTs': [['knowton_total_nfts'], 'short'],
  'business-metrics-dashboard.json / Active bonds': [['knowton_active_bonds_total'], 'short'],
  'business-metrics-dashboard.json / Total value locked': [['knowton_total_value_locked_usd'], 'currencyUSD'],
  'business-metrics-dashboard.json / 24h trading volume': [['knowton_trading_volume_usd'], 'currencyUSD'],
  'business-metrics-dashboard.json / NFT minting rate': [['knowton_nft_mints_total'], 'ops'],
  'business-metrics-dashboard.json / Active users (24h)': [['knowton_active_users_total'], 'short'],
  'business-metrics-dashboard.json / Trading volume': [['knowton_trading_volume_usd'], 'currencyUSD'],
  'business-metrics-dashboard.json / Royalty revenue': [['knowton_royalty_revenue_usd'], 'currencyUSD'],
  'business-metrics-dashboard.json / Content distribution by type': [['knowton_nfts_by_category'], 'short'],
  'business-metrics-dashboard.json / Top 5 NFT categories': [['knowton_nfts_by_category'], 'short'],
  // Business: revenue streams, DeFi activity, service request patterns, content uploads by type.
  'knowton-business-dashboard.json / Trading volume by pair (24h)': [['knowton_trading_volume_usd'], 'currencyUSD'],
  'knowton-business-dashboard.json / Royalty revenue': [['knowton_royalty_revenue_usd'], 'currencyUSD'],
  'knowton-business-dashboard.json / Active bonds': [['knowton_active_bonds_total'], 'short'],
  'knowton-business-dashboard.json / Total value locked': [['knowton_total_value_locked_usd'], 'currencyUSD'],
  'knowton-business-dashboard.json / Gas fees (USD per second)': [['knowton_gas_fees_total'], 'currencyUSD'],
  'knowton-business-dashboard.json / Requests by service': [['http_requests_total'], 'ops'],
  'knowton-business-dashboard.json / Requests by method': [['http_requests_total'], 'ops'],
  'knowton-business-dashboard.json / Content uploads by type': [['knowton_nft_mints_total'], 'ops'],
  // Technical Health: resources, request rates and latencies, availability, connection pools, dependencies.
  'knowton-technical-dashboard.json / Node CPU busy': [['node_cpu_seconds_total'], 'percentunit'],
  'knowton-technical-dashboard.json / Node memory available': [['node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes'], 'percentunit'],
  'knowton-technical-dashboard.json / Filesystem space available': [['node_filesystem_avail_bytes', 'node_filesystem_size_bytes'], 'percentunit'],
  'knowton-technical-dashboard.json / CPU of limit': [['namespace_pod_container:cpu_usage:ratio_of_limit'], 'percentunit'],
  'knowton-technical-dashboard.json / Memory of limit': [['namespace_pod_container:memory_working_set:ratio_of_limit'], 'percentunit'],
  'knowton-technical-dashboard.json / Request rate by route': [['http_requests_total'], 'ops'],
  'knowton-technical-dashboard.json / 95th percentile response time': [['service:http_request_duration_seconds:p95_rate5m'], 's'],
  'knowton-technical-dashboard.json / Targets up': [['up'], 'short'],
  'knowton-technical-dashboard.json / PostgreSQL up': [['pg_up'], 'short'],
  'knowton-technical-dashboard.json / Connections': [['pg_stat_database_numbackends'], 'short'],
  'knowton-technical-dashboard.json / Connections by database': [['pg_stat_database_numbackends'], 'short'],
  'knowton-technical-dashboard.json / 95th percentile database query time': [['db_query_duration_seconds_bucket'], 's'],
  'knowton-technical-dashboard.json / Redis cache hit ratio': [['redis_cache_total'], 'percentunit'],
  'knowton-technical-dashboard.json / Kafka messages by topic and status': [['kafka_messages_total'], 'ops'],
  'knowton-technical-dashboard.json / 95th percentile AI processing time': [['knowton_ai_processing_duration_seconds_bucket'], 's'],
  'knowton-technical-dashboard.json / Fingerprinting by status': [['knowton_fingerprinting_total'], 'ops'],
  'knowton-technical-dashboard.json / Valuations by status': [['knowton_valuation_total'], 'ops'],
  'knowton-technical-dashboard.json / Recommendations by status': [['knowton_recommendation_total'], 'ops'],
  'knowton-technical-dashboard.json / Node.js heap used': [['nodejs_heap_size_used_bytes'], 'bytes'],
  'knowton-technical-dashboard.json / Node.js heap size': [['nodejs_heap_size_total_bytes'], 'bytes'],
  'knowton-technical-dashboard.json / Active connections': [['active_connections'], 'short'],
  'knowton-technical-dashboard.json / Pods by phase': [['kube_pod_status_phase'], 'short'],
  'knowton-technical-dashboard.json / CPU requested by pod': [['kube_pod_container_resource_requests'], 'short'],
  'knowton-technical-dashboard.json / Memory requested by pod': [['kube_pod_container_resource_requests'], 'bytes'],
};

/**
 * The SLO dashboard (issue 17): per SLO its objective, budget remaining, SLI over the 30-day window (as a
 * share of good events) and the burn rate over every alert window (error ratio / budget, shown as `x`).
 */
const SLO_IDS = ['backend-availability', 'ai-service-availability', 'backend-latency', 'backend-nft-mint'];
const BURN_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];
const SLO_PANELS: Record<string, [string[], Unit]> = Object.fromEntries(SLO_IDS.flatMap((id) => [
  [`slo-dashboard.json / ${id} / Objective`, [['slo:objective:ratio'], 'percentunit']],
  [`slo-dashboard.json / ${id} / Error budget remaining`, [['slo:error_budget:remaining_ratio'], 'percentunit']],
  [`slo-dashboard.json / ${id} / SLI over 30 days`, [['slo:sli_error:ratio_rate30d'], 'percentunit']],
  [`slo-dashboard.json / ${id} / Burn rate per alert window`, [BURN_WINDOWS.map((w) => `slo:sli_error:ratio_rate${w}`).sort(), 'suffix:x']],
]));

/** What the recording rules the panels read are computed from (so a recorded panel cannot read the wrong source either). */
const RECORDED: Record<string, string[]> = {
  'service:http_requests_errors:ratio_rate5m': ['http_requests_total'],
  'service:http_request_duration_seconds:p95_rate5m': ['http_request_duration_seconds_bucket'],
  'namespace_pod_container:cpu_usage:ratio_of_limit': ['container_cpu_usage_seconds_total', 'kube_pod_container_resource_limits'],
  'namespace_pod_container:memory_working_set:ratio_of_limit': ['container_memory_working_set_bytes', 'kube_pod_container_resource_limits'],
};

const catalog = catalogWithRecordings(ruleGroups(), CATALOG).catalog;
const metricsOf = (expr: string): string[] => [...new Set(analyze(expr.replace(/\$__rate_interval/g, '5m').replace(/\$service/g, '.+'), catalog).metrics)].sort();


describe.each(ENVS)('%s: dashboards', (e) => {
  test('every panel reads the metrics of its title, in its unit (and nothing else is on a dashboard)', () => {
    const data = findObject(synthesized[e]!, 'ConfigMap', 'grafana-dashboards').data as Record<string, string>;
    const seen: Record<string, [string[], Unit]> = {};
    for (const [file, json] of Object.entries(data)) {
      // The SLO dashboard repeats its panels per SLO, each under a row named by the SLO's id.
      let slo = '';
      for (const p of JSON.parse(json).panels ?? []) {
        if (p.type === 'row') slo = String(p.title).split(':')[0];
        for (const q of p.type === 'row' ? p.panels ?? [] : [p]) {
          const exprs: string[] = (q.targets ?? []).map((t: any) => t.expr);
          const key = file === 'slo-dashboard.json' ? `${file} / ${slo} / ${q.title}` : `${file} / ${q.title}`;
          seen[key] = [[...new Set(exprs.flatMap(metricsOf))].sort(), q.fieldConfig?.defaults?.unit];
        }
      }
    }
    expect(seen).toEqual({ ...PANELS, ...SLO_PANELS });
  });

  test('the recording rules the panels read are computed from the metrics their names say', () => {
    const { rules } = prometheusFiles(synthesized[e]!);
    const records: Record<string, string[]> = {};
    for (const text of Object.values(rules)) {
      for (const g of parse(text).groups) {
        for (const r of g.rules) if (r.record) records[r.labels?.slo ? `${r.record}{slo="${r.labels.slo}"}` : r.record] = metricsOf(r.expr);
      }
    }
    expect(records).toEqual({ ...RECORDED, ...SLO_RECORDED });
  });
});

/** Each SLO's events (issue 17): bad and total per SLI, and the recordings over every window built from them. */
const SLO_SOURCES: Record<string, string[]> = {
  'backend-availability': ['http_requests_total'],
  'ai-service-availability': ['http_requests_total'],
  'backend-latency': ['http_request_duration_seconds_bucket', 'http_request_duration_seconds_count'],
  'backend-nft-mint': ['knowton_transaction_errors_total', 'knowton_transactions_total'],
};
const SLO_RECORDED: Record<string, string[]> = Object.fromEntries(SLO_IDS.flatMap((id) => {
  const at = (record: string) => `${record}{slo="${id}"}`;
  const events = SLO_SOURCES[id].filter((m) => !/errors|_bucket/.test(m) || id === 'backend-availability' || id === 'ai-service-availability');
  const bad = id === 'backend-nft-mint' ? ['knowton_transaction_errors_total'] : SLO_SOURCES[id];
  // Windows of a day or more are derived from the 30-minute rates the SLO records.
  const base = ['slo:sli_bad_events:rate30m', 'slo:sli_events:rate30m'];
  const derived = (w: string) => ['1d', '3d', '30d'].includes(w);
  return [
    [at('slo:sli_events:rate30m'), events],
    [at('slo:sli_bad_events:rate30m'), bad],
    ...[...BURN_WINDOWS, '30d'].map((w) => [at(`slo:sli_error:ratio_rate${w}`), derived(w) ? base : SLO_SOURCES[id]]),
    ...['1h', '6h', '1d', '3d'].map((w) => [at(`slo:sli_events:rate${w}`), derived(w) ? ['slo:sli_events:rate30m'] : events]),
    [at('slo:objective:ratio'), []],
    [at('slo:error_budget:remaining_ratio'), ['slo:sli_error:ratio_rate30d']],
  ];
}));

// ---------------------------------------------------------------------------------------------
// Alerts

interface AlertRow {
  readonly group: string;
  readonly severity: 'critical' | 'warning' | 'info';
  /** The comparison closing the rendered expression (in the query's unit: `> 5` for 5%), or undefined. */
  readonly threshold?: string;
  readonly for?: string;
  /** A range window the expression must use, where the spec names one. */
  readonly window?: string;
  /** The environments whose rules have it, where not all: optional parts (remote write, a clustered Alertmanager). @default every one */
  readonly only?: readonly string[];
}

/**
 * Every alert, from the spec's "Alert Rules" and the README's rule table (monitoring group:
 * README's "Alert rules" table). Thresholds in the unit of the rendered query.
 */
const ALERTS: Record<string, AlertRow> = {
  ServiceDown: { group: 'service-health', severity: 'critical', threshold: '== 0', for: '2m' },
  HighErrorRate: { group: 'service-health', severity: 'warning', threshold: '> 5', for: '5m', window: '5m' },
  HighResponseTime: { group: 'service-health', severity: 'warning', threshold: '> 1', for: '10m' },
  HighCPUUsage: { group: 'resources', severity: 'warning', threshold: '> 80', for: '10m' },
  HighMemoryUsage: { group: 'resources', severity: 'warning', threshold: '> 85', for: '10m' },
  PodCrashLooping: { group: 'resources', severity: 'critical', threshold: '> 0', window: '15m' },
  // Issue 15: a container stuck waiting (ImagePullBackOff, CrashLoopBackOff, ...) for 5 minutes; an expected
  // service without a healthy target or available replica for 2 minutes pages.
  ContainerWaiting: { group: 'resources', severity: 'warning', threshold: '> 0', for: '5m' },
  ServiceMissing: { group: 'service-health', severity: 'critical', threshold: '> 0', for: '2m' },
  PostgreSQLDown: { group: 'database', severity: 'critical', threshold: '== 0', for: '1m' },
  HighDatabaseConnections: { group: 'database', severity: 'warning', threshold: '> 80', for: '5m' },
  LowNFTMintingRate: { group: 'business', severity: 'warning', threshold: '< 1', for: '2h', window: '1h' },
  NoActiveUsers: { group: 'business', severity: 'warning', threshold: '< 10', for: '1h' },
  HighTransactionFailureRate: { group: 'business', severity: 'warning', threshold: '> 10', for: '10m' },
  BusinessMetricsExporterFailing: { group: 'business', severity: 'warning', threshold: '> 3', for: '10m', window: '10m' },
  Watchdog: { group: 'monitoring', severity: 'info' },
  PrometheusConfigReloadFailed: { group: 'monitoring', severity: 'warning', threshold: '== 0', for: '10m' },
  // The upstream mixin's, for the features this stack uses (README's alert table).
  PrometheusNotConnectedToAlertmanagers: { group: 'monitoring', severity: 'critical', threshold: '< 1', for: '10m' },
  PrometheusMissingRuleEvaluations: { group: 'monitoring', severity: 'warning', threshold: '> 0', for: '15m' },
  PrometheusTSDBCompactionsFailing: { group: 'monitoring', severity: 'warning', threshold: '> 0', window: '1h' },
  PrometheusWALFailures: { group: 'monitoring', severity: 'warning', threshold: '> 0', window: '3h' },
  PrometheusRuleEvaluationFailures: { group: 'monitoring', severity: 'warning', threshold: '> 0', for: '5m' },
  PrometheusNotificationsFailing: { group: 'monitoring', severity: 'critical', threshold: '> 1', for: '15m' },
  // a single Alertmanager's; a cluster's members are AlertmanagerMemberDown's
  AlertmanagerDown: { group: 'monitoring', severity: 'critical', threshold: '== 0', for: '5m', only: ['dev', 'staging', 'remote-write'] },
  AlertmanagerConfigReloadFailed: { group: 'monitoring', severity: 'warning', threshold: '== 0', for: '10m' },
  AlertmanagerNotificationsFailing: { group: 'monitoring', severity: 'critical', threshold: '> 1', for: '15m' },
  MonitoringTargetDown: { group: 'monitoring', severity: 'warning', threshold: '== 0', for: '5m' },
  MonitoringTargetMissing: { group: 'monitoring', severity: 'warning', threshold: '> 0', for: '5m' },
  // Issue 15: the volume Prometheus writes to, under 15% free and predicted full within 4 days (6h trend)
  PrometheusVolumeFillingUp: { group: 'monitoring', severity: 'warning', threshold: '< 15', for: '1h', window: '6h' },
  // nearly full whatever the trend (the upstream mixin's critical 3%)
  PrometheusVolumeFull: { group: 'monitoring', severity: 'critical', threshold: '< 3', for: '5m' },
  // only where prometheus.remoteWrite is set (no profile; 'remote-write' is dev with a receiver added)
  PrometheusRemoteWriteFailing: { group: 'monitoring', severity: 'critical', threshold: '> 1', for: '15m', window: '5m', only: ['remote-write'] },
  PrometheusRemoteWriteBehind: { group: 'monitoring', severity: 'critical', threshold: '> 120', for: '15m', window: '5m', only: ['remote-write'] },
  // only where Alertmanager is clustered (prod: 3 replicas; down is 2 or more unscrapable)
  AlertmanagerClusterMembersInconsistent: { group: 'monitoring', severity: 'warning', threshold: '< 3', for: '15m', window: '5m', only: ['prod'] },
  AlertmanagerClusterDown: { group: 'monitoring', severity: 'critical', threshold: '< 2', for: '5m', only: ['prod'] },
  AlertmanagerMemberDown: { group: 'monitoring', severity: 'warning', threshold: '== 0', for: '15m', only: ['prod'] },
  AlertmanagerConfigInconsistent: { group: 'monitoring', severity: 'warning', threshold: '>= 2', for: '20m', only: ['prod'] },
};

/** The README's "Environments" table: alert overrides per environment. */
const OVERRIDES: Record<Env | 'remote-write', Record<string, Partial<AlertRow>>> = {
  dev: {},
  staging: { NoActiveUsers: { threshold: '< 1' } },
  prod: { HighDatabaseConnections: { threshold: '> 150' } },
  'remote-write': {},
};

describe.each([...ENVS, 'remote-write' as const])('%s: alert rules', (e) => {
  test('every alert has the severity, threshold, for, window and group of the table (with the environment overrides)', () => {
    const dev = environmentConfig('dev');
    const objects = e === 'remote-write'
      ? loadObjects(synthTo({ ...dev, prometheus: { ...dev.prometheus, remoteWrite: [{ url: 'https://mimir.example.org/api/v1/push' }] } }))
      : synthesized[e]!;
    const { rules } = prometheusFiles(objects);
    const seen: Record<string, AlertRow> = {};
    // An alert's windows include those of the recording rules it reads.
    const records: Record<string, string> = {};
    for (const text of Object.values(rules)) for (const g of parse(text).groups) for (const r of g.rules) if (r.record) records[r.record] = r.expr;
    const expanded = (expr: string) => Object.entries(records).reduce((x, [rec, body]) => x.split(rec).join(`(${body})`), expr);
    for (const [file, text] of Object.entries(rules)) {
      for (const g of parse(text).groups) {
        expect(file).toBe(`${g.name}.rules.yml`);
        for (const r of g.rules.filter((x: any) => x.alert && g.name !== 'slo')) {
          // the comparison ends the expression, or comes before an `unless on () (...)` guard
          const cmp = /\s(==|!=|>=|<=|>|<)\s(-?[\d.e+]+)$/.exec(r.expr.replace(/ unless on \(\) \(.*\)$/, ''));
          const { only: _only, ...table } = ALERTS[r.alert] ?? {};
          void _only;
          const row = ALERTS[r.alert] ? { ...table, ...OVERRIDES[e][r.alert] } as AlertRow : undefined;
          const windows = [...expanded(r.expr).matchAll(/\[(\w+)\]/g)].map((m: RegExpMatchArray) => m[1]);
          seen[r.alert] = {
            group: g.name,
            severity: r.labels.severity,
            ...(cmp ? { threshold: `${cmp[1]} ${cmp[2]}` } : {}),
            ...(r.for ? { for: r.for } : {}),
            ...(row?.window && windows.includes(row.window) ? { window: row.window } : {}),
          };
          // The category label names the group; the description quotes the threshold's number.
          expect([r.alert, r.labels.category]).toEqual([r.alert, g.name]);
        }
      }
    }
    const expected = Object.fromEntries(Object.entries(ALERTS)
      .filter(([, row]) => !row.only || row.only.includes(e))
      .map(([name, { only: _only, ...row }]) => [name, { ...row, ...OVERRIDES[e][name] }]));
    expect(seen).toEqual(expected);
  });
});

/**
 * The SLO alerts, from the SRE workbook's tiers over a 30-day budget: page (critical) at 14.4x over 1h and 5m
 * and at 6x over 6h and 30m; ticket (warning) at 3x over 1d and 2h and at 1x over 3d and 6h; only above a
 * minimum event rate (1 a minute; NFT mints, 10 an hour).
 */
const SLO_ALERTS: Record<string, { prefix: string; objective: number; minPerSecond: number }> = {
  'backend-availability': { prefix: 'BackendAvailability', objective: 0.999, minPerSecond: 1 / 60 },
  'ai-service-availability': { prefix: 'AiServiceAvailability', objective: 0.995, minPerSecond: 1 / 60 },
  'backend-latency': { prefix: 'BackendLatency', objective: 0.99, minPerSecond: 1 / 60 },
  'backend-nft-mint': { prefix: 'BackendNftMint', objective: 0.99, minPerSecond: 10 / 3600 },
};
const TIERS: Array<[string, string, number, string]> = [['1h', '5m', 14.4, 'critical'], ['6h', '30m', 6, 'critical'], ['1d', '2h', 3, 'warning'], ['3d', '6h', 1, 'warning']];

describe.each(ENVS)('%s: SLO alerts', (e) => {
  test('every SLO has its four tiers: windows, burn rate over the budget, severity, minimum traffic', () => {
    const { rules } = prometheusFiles(synthesized[e]!);
    const seen = parse(rules['slo.rules.yml']).groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert).map((r: any) => {
      const terms = r.expr.split(/\s+and\s+/).map((t: string) => t.trim());
      return [r.alert, r.labels.severity, r.labels.slo, r.labels.burn_window, terms.map((t: string) => t.replace(/\{[^}]*\}/, ''))];
    }));
    const num = (x: number) => Number(x.toPrecision(12));
    const expected = Object.entries(SLO_ALERTS).flatMap(([id, s]) => TIERS.map(([long, short, factor, severity]) => [
      `${s.prefix}BurnRate${long}`, severity, id, long,
      [`slo:sli_error:ratio_rate${long} / ${num(1 - s.objective)} > ${factor}`, `slo:sli_error:ratio_rate${short} / ${num(1 - s.objective)} > ${factor}`,
        `slo:sli_events:rate${long} > ${num(s.minPerSecond)}`],
    ]));
    expect(seen.map((r: any[]) => [r[0], r[1], r[2], r[3], r[4].map((t: string) => t.replace(/(\d\.\d+)/g, (m) => String(num(Number(m)))))]))
      .toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Histograms

/**
 * Bucket upper bounds per histogram. HTTP: prom-client's defaults, which resolve the 1 s objective
 * (HighResponseTime) exactly; AI processing: inference takes seconds to a minute, so up to 60 s;
 * database queries: 1 ms to 5 s.
 */
const BUCKETS: Record<string, number[]> = {
  http_request_duration_seconds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  knowton_ai_processing_duration_seconds: [0.1, 0.5, 1, 2, 5, 10, 30, 60],
  db_query_duration_seconds: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
};

test("the catalog's histograms have exactly the buckets of the table", () => {
  const histograms = Object.fromEntries(CATALOG.metrics.filter((m: any) => m.kind === 'histogram' && m.buckets).map((m: any) => [m.name, [...m.buckets]]));
  expect(histograms).toEqual(BUCKETS);
});

test('a latency threshold an alert compares a histogram quantile with is a bucket bound (no interpolation at the threshold)', () => {
  const { rules } = prometheusFiles(synthesized.dev!);
  const records: Record<string, string> = {};
  const alerts: Array<[string, string]> = [];
  for (const text of Object.values(rules)) {
    for (const g of parse(text).groups) for (const r of g.rules) (r.record ? (records[r.record] = r.expr) : alerts.push([r.alert, r.expr]));
  }
  let checked = 0;
  for (const [name, expr] of alerts) {
    const source = Object.entries(records).find(([rec]) => expr.startsWith(rec))?.[1] ?? expr;
    const hist = /histogram_quantile\([^,]+,.*?(\w+)_bucket/.exec(source)?.[1];
    if (!hist) continue;
    const threshold = Number(/[><]=?\s(-?[\d.e+]+)$/.exec(expr)![1]);
    expect([name, BUCKETS[hist]?.includes(threshold)]).toEqual([name, true]);
    checked++;
  }
  expect(checked).toBeGreaterThanOrEqual(1);
});

// ---------------------------------------------------------------------------------------------
// Runbooks

test('the committed docs/runbooks are exactly what the rules render', () => {
  const dir = path.join(__dirname, '..', 'docs', 'runbooks');
  // .knowton-synth is synth's list of the files it wrote (lib/synth.ts), not a page.
  const committed = Object.fromEntries(fs.readdirSync(dir).filter((f) => f !== '.knowton-synth').sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
  const rendered = renderAllRunbooks();
  expect(Object.keys(committed)).toEqual(Object.keys(rendered).sort());
  for (const [f, text] of Object.entries(rendered)) expect([f, committed[f]]).toEqual([f, text]);
  expect(Object.keys(rendered)).toEqual(expect.arrayContaining([...Object.keys(ALERTS).map((a) => `${a}.md`), 'README.md']));
});

test("no runbook's command names one environment's namespace: they say $NS, and the page says which namespaces it stands for", () => {
  const rendered = renderAllRunbooks();
  const withNs = Object.entries(rendered).filter(([, text]) => text.includes('-n $NS'));
  expect(withNs.length).toBeGreaterThan(10);
  for (const [file, text] of Object.entries(rendered)) {
    // a command on one namespace would send prod's on-call engineer to dev
    expect([file, text.match(/kubectl -n knowton-[a-z]+/g)]).toEqual([file, null]);
  }
  for (const [file, text] of withNs) {
    expect([file, text]).toEqual([file, expect.stringContaining('`$NS` is the namespace of the environment the alert comes from (its `environment` label): `knowton-dev`, `knowton-staging` or `knowton-prod`. Set it first, e.g. `NS=knowton-prod`. On a cluster that runs prometheus-operator (the `operator` profile), KnowTon\'s own objects are in `knowton`')]);
  }
});

import { APP, Catalog, CATALOG, http, kubeStateMetrics, LABEL_EXAMPLES, metric, Metric } from '../lib/catalog';
import { Units } from '../lib/units';

// The spec's "Metrics Exported" section, with the labels it names.
const SPEC_METRICS: Array<[string, string, string[]]> = [
  ['process_cpu_seconds_total', 'counter', []],
  ['process_resident_memory_bytes', 'gauge', []],
  ['nodejs_heap_size_total_bytes', 'gauge', []],
  ['nodejs_heap_size_used_bytes', 'gauge', []],
  ['http_requests_total', 'counter', ['method', 'route', 'status']],
  ['http_request_duration_seconds', 'histogram', []],
  ['active_connections', 'gauge', []],
  ['knowton_nft_mints_total', 'counter', ['category', 'creator']],
  ['knowton_total_nfts', 'gauge', []],
  ['knowton_trading_volume_usd', 'gauge', ['pair', 'timeframe']],
  ['knowton_royalty_revenue_usd', 'gauge', ['creator']],
  ['knowton_active_users_total', 'gauge', ['timeframe']],
  ['knowton_active_bonds_total', 'gauge', []],
  ['knowton_total_value_locked_usd', 'gauge', []],
  ['knowton_nfts_by_category', 'gauge', ['category']],
  ['knowton_ai_processing_duration_seconds', 'histogram', []],
  ['knowton_fingerprinting_total', 'counter', []],
  ['knowton_valuation_total', 'counter', []],
  ['knowton_recommendation_total', 'counter', []],
  ['knowton_gas_fees_total', 'counter', ['operation', 'network']],
  ['knowton_transaction_errors_total', 'counter', []],
  ['db_query_duration_seconds', 'histogram', []],
  ['redis_cache_total', 'counter', []],
  ['kafka_messages_total', 'counter', []],
];

describe('metric catalog', () => {
  test.each(SPEC_METRICS)('declares %s as a %s with the spec labels', (name, kind, labels) => {
    const m = CATALOG.get(name);
    expect(m).toBeDefined();
    expect(m!.kind).toBe(kind);
    expect(m!.help).not.toBe('');
    for (const l of labels) expect(m!.ownLabels).toContain(l);
    expect(m!.source).toBe(APP);
  });

  test('adds the transaction counter (failure rate denominator) and the exporter error counter', () => {
    const tx = CATALOG.get('knowton_transactions_total')!;
    expect(tx.kind).toBe('counter');
    expect(tx.ownLabels).toEqual(['operation', 'network']);
    expect(CATALOG.get('knowton_transaction_errors_total')!.ownLabels).toEqual(tx.ownLabels);
    const errors = CATALOG.get('knowton_metrics_exporter_errors_total')!;
    expect(errors.kind).toBe('counter');
    expect(errors.ownLabels).toEqual(['collector']);
  });

  test('declares the exporter metrics the rules use', () => {
    for (const name of [
      'up',
      'kube_pod_container_status_restarts_total',
      'kube_pod_container_resource_limits',
      'container_cpu_usage_seconds_total',
      'container_memory_working_set_bytes',
      'pg_up',
      'pg_stat_database_numbackends',
      'prometheus_config_last_reload_successful',
      'prometheus_rule_evaluation_failures_total',
      'prometheus_notifications_errors_total',
      'alertmanager_notifications_failed_total',
      'node_cpu_seconds_total',
    ]) {
      expect(CATALOG.get(name)).toBeDefined();
    }
    expect(CATALOG.get('container_cpu_usage_seconds_total')!.source.job).toBe('kubelet-cadvisor');
    expect(CATALOG.get('kube_pod_labels')!.labels).toContain('label_app');
  });

  test('histograms have ascending buckets; counters end in _total', () => {
    for (const m of CATALOG.metrics) {
      if (m.kind === 'histogram') {
        expect(m.buckets!.length).toBeGreaterThan(3);
        expect([...m.buckets!].sort((a, b) => a - b)).toEqual(m.buckets);
      }
      if (m.kind === 'counter') expect(m.name).toMatch(/_total$/);
    }
    expect(http.requestDuration.buckets).toContain(1);
  });

  test('every label has example values for generated tests', () => {
    const missing = CATALOG.metrics.flatMap((m) => m.labels.filter((l) => !LABEL_EXAMPLES[l]?.length).map((l) => `${m.name}:${l}`));
    expect(missing).toEqual([]);
  });

  test('application series carry the scrape target labels', () => {
    expect(http.requests.labels).toEqual(['method', 'route', 'status', 'job', 'instance', 'service', 'namespace', 'pod']);
  });

  test('lookup resolves histogram series and only those', () => {
    expect(CATALOG.lookup('http_request_duration_seconds_bucket')).toMatchObject({ part: 'bucket', monotonic: true });
    expect(CATALOG.lookup('http_request_duration_seconds_bucket')!.labels).toContain('le');
    expect(CATALOG.lookup('http_request_duration_seconds_sum')!.labels).not.toContain('le');
    expect(CATALOG.lookup('http_request_duration_seconds')).toBeUndefined();
    expect(CATALOG.lookup('pg_up')).toMatchObject({ part: 'value', monotonic: false });
    expect(CATALOG.lookup('http_requests_total')).toMatchObject({ monotonic: true });
    expect(CATALOG.lookup('nope_total')).toBeUndefined();
  });

  test('a variant fixes a label and the unit that goes with it', () => {
    expect(kubeStateMetrics.cpuLimit.fixedMatchers).toEqual({ resource: 'cpu' });
    expect(kubeStateMetrics.cpuLimit.unit).toBe(Units.CORES);
    expect(kubeStateMetrics.memoryLimit.unit).toBe(Units.BYTES);
    expect(kubeStateMetrics.cpuLimit.name).toBe(kubeStateMetrics.resourceLimits.name);
  });

  test('rejects bad declarations', () => {
    expect(() => metric(APP, { name: 'bad-name', kind: 'gauge', unit: Units.COUNT, labels: [], help: 'x' })).toThrow("'bad-name' is not a valid metric name");
    expect(() => metric(APP, { name: 'h', kind: 'histogram', unit: Units.SECONDS, labels: [], help: 'x', buckets: [1, 0.5] })).toThrow('histogram h needs ascending buckets, got [1, 0.5]');
    expect(() => metric(APP, { name: 'g', kind: 'gauge', unit: Units.COUNT, labels: [], help: 'x', buckets: [1] })).toThrow('gauge g cannot have buckets');
    const other = { name: 'other', job: 'other', targetLabels: [] };
    const a = new Metric(APP, { name: 'dup', kind: 'gauge', unit: Units.COUNT, labels: [], help: 'x' });
    const b = new Metric(other, { name: 'dup', kind: 'gauge', unit: Units.COUNT, labels: [], help: 'x' });
    expect(() => new Catalog([a, b])).toThrow('metric dup is declared twice (sources knowton application and other)');
    const again = new Metric(APP, { name: 'dup', kind: 'gauge', unit: Units.COUNT, labels: [], help: 'y' });
    expect(() => new Catalog([a, again])).toThrow('metric dup is declared twice');
    // a variant and its metric are one entry, the whole metric, in either order
    expect(new Catalog([kubeStateMetrics.cpuLimit, kubeStateMetrics.resourceLimits]).get('kube_pod_container_resource_limits')).toBe(kubeStateMetrics.resourceLimits);
  });
});

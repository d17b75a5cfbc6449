import { blockchain, business, cadvisor, CATALOG, http, kubeStateMetrics, postgres, scrape } from '../lib/catalog';
import { bucketRates, checkQuery, constant, gauge, histogramQuantile, increase, Query, QueryError, rate, ratio, renderCondition, share } from '../lib/promql';
import { count, cores, Duration, percent, perHour, perSecond, ratio as ratioOf, seconds, Units } from '../lib/units';

const check = (expr: string) => () => checkQuery(expr, { context: 'panel "Test"' });

describe('checkQuery', () => {
  test('accepts a valid query and returns the labels of its result', () => {
    const a = checkQuery('sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m]))', { context: 'x' });
    expect([...a.type.labels]).toEqual(['service']);
    expect(a.metrics).toEqual(['http_requests_total']);
    expect(a.ranges.map((r) => `${r.fn} ${r.window}`)).toEqual(['rate 5m', 'rate 5m']);
  });

  test('a dashboard query with its Grafana macros substituted', () => {
    const expr = 'sum by (service) (rate(http_requests_total{service=~"$service"}[$__rate_interval]))'.replace('$__rate_interval', '1m').replace('$service', 'backend');
    expect([...checkQuery(expr, { context: 'panel' }).type.labels]).toEqual(['service']);
  });

  test.each([
    ['rate(http_requests_total[5m]', 'panel "Test": syntax error: the query ends too early (unclosed parenthesis, bracket or string?)'],
    ['sum(rate(http_requests_total[5m])) >> 1', 'syntax error at character 37'],
    ['sum(rate(http_request_total[5m]))', 'unknown metric http_request_total (not in the metric catalog)'],
    ['up{servce="backend"}', "unknown label 'servce' on up (it has: instance, job, namespace, node, pod, service)"],
    ['sum by (service) (http_requests_total)', 'counter http_requests_total is used without rate() or increase() (it is passed to sum())'],
    ['http_requests_total > 0', 'counter http_requests_total is used without rate() or increase()'],
    ['avg_over_time(http_requests_total[5m])', 'counter http_requests_total is used without rate() or increase() (it is passed to avg_over_time())'],
    ['rate(pg_up[5m])', 'rate() of pg_up, which is a gauge, not a counter (use deriv() or delta())'],
    ['http_request_duration_seconds', 'http_request_duration_seconds is a histogram: select http_request_duration_seconds_bucket'],
    ['sum by (servce) (up)', "sum by (servce): label 'servce' is not on its input"],
    ['histogram_quantile(0.95, sum by (service) (rate(http_request_duration_seconds_bucket[5m])))', "histogram_quantile() needs the 'le' label"],
    ['container_memory_working_set_bytes / kube_pod_container_resource_limits', "the two sides of '/' in"],
    ['sum by (pod) (container_memory_working_set_bytes) / on(node) sum by (pod) (kube_pod_container_resource_limits)', "on(node) in"],
  ])('rejects %s', (expr, message) => {
    expect(check(expr)).toThrow(QueryError);
    expect(check(expr)).toThrow(message);
  });

  test('names where the query is used and the query itself', () => {
    expect(check('up{x="1"}')).toThrow(/^panel "Test": unknown label 'x' on up .* in query: up\{x="1"\}$/);
  });

  test('infers result labels through offsets, subqueries, joins and label_replace', () => {
    const labels = (expr: string) => [...checkQuery(expr, { context: 'x' }).type.labels].sort();
    expect(labels('sum by (service) (rate(http_requests_total[5m] offset 1h))')).toEqual(['service']);
    expect(labels('sum(rate(http_requests_total[5m] @ end()))')).toEqual([]);
    expect(labels('max_over_time(sum by (service) (rate(http_requests_total[5m]))[1h:1m])')).toEqual(['service']);
    expect(labels('sum by (instance) (pg_up) * on(instance) group_left(service) up')).toEqual(['instance', 'service']);
    // `or` keeps only the labels both sides have: the app's `service` is not on pg_up
    expect(labels('up{job="x"} or on(job) pg_up')).toEqual(['instance', 'job', 'namespace', 'node', 'pod']);
    expect(labels('sum(up) or vector(0)')).toEqual([]);
    expect(labels('label_replace(sum by (job) (pg_up), "app", "$1", "job", "(.*)")')).toEqual(['app', 'job']);
    expect(labels('topk(3, sum by (service) (rate(http_requests_total[5m])))')).toEqual(['service']);
    expect(checkQuery('max_over_time(sum(rate(http_requests_total[5m]))[1h:1m])', { context: 'x' }).ranges.map((r) => `${r.fn} ${r.window}`)).toEqual(['rate 5m', 'subquery 1h']);
  });

  test('an unknown metric is reported alone, without follow-up label complaints', () => {
    expect(() => checkQuery('sum by (service) (x_total)', { context: 'c' })).toThrow(/^c: unknown metric x_total \(not in the metric catalog\) in query/);
  });

  test('a counter in a subquery still needs rate()', () => {
    expect(check('max_over_time(http_requests_total[1h:])')).toThrow('counter http_requests_total is used without rate() or increase()');
  });

  test('counters may be counted or tested for absence without rate()', () => {
    expect(check('count(http_requests_total)')).not.toThrow();
    expect(check('absent(knowton_nft_mints_total)')).not.toThrow();
    expect(check('increase(kube_pod_container_status_restarts_total[15m]) > 0')).not.toThrow();
  });
});

describe('typed query builders', () => {
  test('render PromQL from catalog metrics', () => {
    expect(gauge(postgres.up).expr).toBe('pg_up');
    expect(gauge(scrape.up, { where: { job: /knowton-.+/ } }).expr).toBe('up{job=~"knowton-.+"}');
    expect(gauge(postgres.backends, { aggregate: 'sum', by: ['instance'] }).expr).toBe('sum by (instance) (pg_stat_database_numbackends)');
    expect(gauge(kubeStateMetrics.cpuLimit).expr).toBe('kube_pod_container_resource_limits{resource="cpu"}');
    expect(gauge(cadvisor.memoryWorkingSet, { where: { container: { not: '' } } }).expr).toBe('container_memory_working_set_bytes{container!=""}');
    expect(rate(http.requests, { window: Duration.minutes(5), by: ['service'] }).expr).toBe('sum by (service) (rate(http_requests_total[5m]))');
    expect(increase(kubeStateMetrics.containerRestarts, { window: Duration.minutes(15) }).expr).toBe('increase(kube_pod_container_status_restarts_total[15m])');
    expect(histogramQuantile(0.95, http.requestDuration, { window: Duration.minutes(5), by: ['service'] }).expr).toBe(
      'histogram_quantile(0.95, sum by (le, service) (rate(http_request_duration_seconds_bucket[5m])))',
    );
    expect(share(http.requests, { matching: { status: /5../ }, window: Duration.minutes(5), by: ['service'] }).expr).toBe(
      'sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m]))',
    );
    expect(constant(1).expr).toBe('vector(1)');
    expect(gauge(scrape.up, { where: { job: { not: /knowton-.+/ } } }).expr).toBe('up{job!~"knowton-.+"}');
    expect(gauge(scrape.up, { where: { job: { not: 'prometheus' } } }).expr).toBe('up{job!="prometheus"}');
    expect(() => gauge(scrape.up, { where: { job: /knowton/i } })).toThrow('matcher job=~/knowton/i: invalid flags "i": none: the matcher has flags, which PromQL cannot express');
  });

  test('every builder output passes checkQuery', () => {
    const w = { window: Duration.minutes(5) };
    for (const q of [
      ratio(rate(cadvisor.cpuUsage, { ...w, by: ['namespace', 'pod', 'container'] }), gauge(kubeStateMetrics.cpuLimit, { aggregate: 'sum', by: ['namespace', 'pod', 'container'] })),
      ratio(rate(blockchain.transactionErrors, { ...w, by: ['network'] }), rate(blockchain.transactions, { ...w, by: ['network'] })),
      rate(business.nftMints, { window: Duration.hours(1) }).orZero(),
    ]) {
      expect(() => checkQuery(q.expr, { context: q.description })).not.toThrow();
    }
  });

  test('units follow the metric: rate of a count is per second, of CPU seconds is cores', () => {
    expect(rate(http.requests, { window: Duration.minutes(5) }).unit).toBe(Units.PER_SECOND);
    expect(rate(cadvisor.cpuUsage, { window: Duration.minutes(5) }).unit).toBe(Units.CORES);
    expect(histogramQuantile(0.5, http.requestDuration, { window: Duration.minutes(5) }).unit).toBe(Units.SECONDS);
    expect(share(http.requests, { matching: { status: '500' }, window: Duration.minutes(5) }).unit).toBe(Units.RATIO);
  });

  test('a threshold is rendered in its own unit, the library doing the conversion', () => {
    const mints = rate(business.nftMints, { window: Duration.hours(1) });
    expect(renderCondition(mints.below(perHour(1)))).toBe('sum(rate(knowton_nft_mints_total[1h])) * 3600 < 1');
    expect(renderCondition(mints.below(perSecond(0.5)))).toBe('sum(rate(knowton_nft_mints_total[1h])) < 0.5');
    const errors = share(http.requests, { matching: { status: /5../ }, window: Duration.minutes(5), by: ['service'] });
    expect(renderCondition(errors.above(percent(5)))).toBe(`(${errors.expr}) * 100 > 5`);
    expect(renderCondition(errors.above(ratioOf(0.05)))).toBe(`${errors.expr} > 0.05`);
    expect(renderCondition(mints.orZero().below(perHour(1)))).toBe('(sum(rate(knowton_nft_mints_total[1h])) or vector(0)) * 3600 < 1');
    expect(renderCondition(mints.atLeast(perHour(2)))).toBe('sum(rate(knowton_nft_mints_total[1h])) * 3600 >= 2');
    // a query in a larger unit than its threshold's is divided, never multiplied by a rounded constant
    const perHourQuery = new Query('vector(1)', Units.PER_HOUR, 'x');
    expect(renderCondition(perHourQuery.above(perSecond(1)))).toBe('vector(1) / 3600 > 1');
    expect(renderCondition(new Query('vector(1)', Units.PERCENT, 'x').above(ratioOf(0.5)))).toBe('vector(1) / 100 > 0.5');
    expect(renderCondition(mints.atMost(perHour(2)))).toBe('sum(rate(knowton_nft_mints_total[1h])) * 3600 <= 2');
  });

  test('a threshold in the wrong unit, or a label the metric lacks, does not compile', () => {
    const latency = histogramQuantile(0.95, http.requestDuration, { window: Duration.minutes(5) });
    const cpu = rate(cadvisor.cpuUsage, { window: Duration.minutes(5) });
    const errors = share(http.requests, { matching: { status: /5../ }, window: Duration.minutes(5) });
    // Never called: these lines are checked by the compiler only.
    const compileOnly = (): unknown[] => [
      // @ts-expect-error a latency in seconds compared with a percentage
      latency.above(percent(80)),
      // @ts-expect-error a ratio compared with seconds
      errors.above(seconds(1)),
      // @ts-expect-error CPU cores compared with a per-hour rate
      cpu.above(perHour(1)),
      // @ts-expect-error connections (a count) compared with a ratio
      gauge(postgres.backends).above(percent(80)),
      // @ts-expect-error http_requests_total has no label "servce"
      rate(http.requests, { window: Duration.minutes(5), by: ['servce'] }),
      // @ts-expect-error pg_up has no label "database"
      gauge(postgres.up, { where: { database: 'knowton' } }),
      // @ts-expect-error a counter is not a gauge
      gauge(http.requests),
      // @ts-expect-error a gauge has no rate
      rate(postgres.up, { window: Duration.minutes(5) }),
      // @ts-expect-error a window is a Duration, not a number of seconds
      rate(http.requests, { window: 300 }),
    ];
    expect(typeof compileOnly).toBe('function');
    // the same thresholds in the right units compile and render
    expect(renderCondition(cpu.above(cores(2)))).toBe('sum(rate(container_cpu_usage_seconds_total[5m])) > 2');
    expect(renderCondition(latency.above(seconds(1)))).toContain('> 1');
    expect(renderCondition(errors.above(percent(80)))).toContain('* 100 > 80');
  });

  test('fixtures: series that make a query return a value', () => {
    const g = gauge(postgres.backends, { aggregate: 'sum', by: ['instance'] }).fixture!(81);
    expect(g.series).toEqual([{ labels: {
      __name__: 'pg_stat_database_numbackends',
      datid: '16384',
      datname: 'knowton',
      job: 'postgres-exporter',
      instance: '10.42.1.7:9000',
      namespace: 'knowton-dev',
      pod: 'postgres-exporter-6c9d8f7b5-w2n4p',
      node: 'worker-1',
    }, kind: 'gauge', level: 81 }]);
    expect(g.labels).toEqual({ instance: '10.42.1.7:9000' });
    const s = share(http.requests, { matching: { status: /5../ }, window: Duration.minutes(5), by: ['service'] }).fixture!(0.25);
    expect(s.series.map((x) => [x.labels.status, x.level])).toEqual([
      ['500', 2.5],
      ['200', 7.5],
    ]);
    expect(s.labels).toEqual({ service: 'backend' });
    // the sample label satisfies a regular expression matcher
    expect(gauge(scrape.up, { where: { job: /kube-state-metrics|node-exporter/ } }).fixture!(0).series[0].labels.job).toBe('kube-state-metrics');
  });

  test('histogram fixtures put the quantile where asked, on both interpolation branches', () => {
    // histogram_quantile as Prometheus computes it from cumulative bucket counts
    const quantile = (phi: number, b: Array<[string, number]>): number => {
      const rank = phi * b[b.length - 1][1];
      const i = b.findIndex(([, c]) => c >= rank);
      const lo = i === 0 ? 0 : Number(b[i - 1][0]);
      const below = i === 0 ? 0 : b[i - 1][1];
      return lo + (Number(b[i][0]) - lo) * ((rank - below) / (b[i][1] - below));
    };
    const buckets = http.requestDuration.buckets!;
    for (const v of [1.05, 0.95, 0.3, 4, 0.0049]) expect(quantile(0.95, bucketRates(buckets, 0.95, v, 10))).toBeCloseTo(v, 9);
    expect(() => bucketRates(buckets, 0.95, 20, 10)).toThrow('value 20 is outside the histogram');
    expect(() => bucketRates(buckets, 0.95, 0.001, 10)).toThrow("cannot be made 0.001: below the first bucket's interpolation range");
  });

  test('a raw query keeps its unit and has no fixture', () => {
    const q = new Query('vector(1)', Units.COUNT, 'one');
    expect(q.above(count(0)).threshold.amount).toBe(0);
    expect(q.fixture).toBeUndefined();
    expect(q.in(Units.COUNT)).toBe('vector(1)');
  });

  test('the default catalog is used unless another is given', () => {
    expect(() => checkQuery('pg_up', { context: 'x', catalog: CATALOG.with([]) })).not.toThrow();
  });
});

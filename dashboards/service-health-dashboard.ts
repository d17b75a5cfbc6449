// Service Health: are the KnowTon services up, busy, fast and error-free?
import { alertsOf, dashboard, histogramAverage, row, SELECTED_SERVICE, stat, timeseries } from '../lib/dashboards';
import { http, postgres, scrape, system } from '../lib/catalog';
import { gauge, histogramQuantile, rate } from '../lib/promql';
import { Duration } from '../lib/units';
import type { RuleGroup } from '../lib/alerting';
import { errorRatio } from '../rules/service-health';

const window = Duration.minutes(5); // shown as $__rate_interval
const service = SELECTED_SERVICE;

export const serviceHealthDashboard = (groups: readonly RuleGroup[]): object => dashboard({
  uid: 'knowton-service-health',
  title: 'KnowTon Service Health',
  description: 'Uptime, resources, traffic, latency and errors of the KnowTon services.',
  alerts: alertsOf(groups),
  rows: [
    row('Availability', [
      stat('Service uptime', { query: gauge(scrape.up, { where: { job: /knowton-.+/, service } }), legend: '{{service}} {{pod}}' }, { width: 24 }),
    ]),
    row('Resources', [
      timeseries('CPU by service', { query: rate(system.cpuSeconds, { window, where: { service }, by: ['service'] }), legend: '{{service}}' }),
      timeseries('Memory by service', { query: gauge(system.residentMemory, { where: { service }, aggregate: 'sum', by: ['service'] }), legend: '{{service}}' }),
    ]),
    row('Traffic and latency', [
      timeseries('Request rate', { query: rate(http.requests, { window, where: { service }, by: ['service'] }), legend: '{{service}}' }),
      timeseries('Response time', [
        { query: histogramQuantile(0.5, http.requestDuration, { window, where: { service }, by: ['service'] }), legend: 'p50 {{service}}' },
        { query: histogramQuantile(0.95, http.requestDuration, { window, where: { service }, by: ['service'] }), legend: 'p95 {{service}}' },
        { query: histogramQuantile(0.99, http.requestDuration, { window, where: { service }, by: ['service'] }), legend: 'p99 {{service}}' },
      ]),
      timeseries('Average response time by service', { query: histogramAverage(http.requestDuration, { window, by: ['service'] }), legend: '{{service}}' }),
      timeseries('Error rate', { query: errorRatio.query, legend: '{{service}}' }),
    ]),
    row('Database', [
      timeseries('Database connections', [
        { query: gauge(postgres.backends, { aggregate: 'sum', by: ['instance'] }), legend: 'connections {{instance}}' },
        { query: gauge(postgres.maxConnections, { aggregate: 'max' }), legend: 'max_connections' },
      ]),
    ]),
  ],
});

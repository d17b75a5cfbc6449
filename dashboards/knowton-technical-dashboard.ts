// Technical Health: nodes, request rates and latencies, availability, database connection pools,
// and the services' dependencies (database queries, Redis, Kafka, the AI models, the Node.js runtime).
import { alertsOf, dashboard, row, SELECTED_SERVICE, stat, timeseries } from '../lib/dashboards';
import { ai, data, http, kubeStateMetrics, nodeExporter, postgres, scrape, system } from '../lib/catalog';
import { gauge, histogramQuantile, rate, ratio, share } from '../lib/promql';
import { Duration } from '../lib/units';
import type { RuleGroup } from '../lib/alerting';
import { cpuOfLimit, memoryOfLimit } from '../rules/resources';
import { p95Latency } from '../rules/service-health';

const window = Duration.minutes(5); // shown as $__rate_interval
const service = SELECTED_SERVICE;

export const technicalDashboard = (groups: readonly RuleGroup[]): object => dashboard({
  uid: 'knowton-technical',
  title: 'KnowTon Technical Health',
  description: 'System resources, request rates and latencies, availability and database connection pools.',
  alerts: alertsOf(groups),
  rows: [
    row('Nodes (node-exporter)', [
      timeseries('Node CPU busy', { query: share(nodeExporter.cpuSeconds, { matching: { mode: { not: 'idle' } }, window, by: ['instance'] }), legend: '{{instance}}' }, { width: 8 }),
      timeseries('Node memory available', { query: ratio(gauge(nodeExporter.memoryAvailable), gauge(nodeExporter.memoryTotal)), legend: '{{instance}}' }, { width: 8 }),
      timeseries('Filesystem space available', {
        query: ratio(gauge(nodeExporter.filesystemAvailable, { where: { fstype: { not: 'tmpfs' } } }), gauge(nodeExporter.filesystemSize, { where: { fstype: { not: 'tmpfs' } } })),
        legend: '{{instance}} {{mountpoint}}',
      }, { width: 8 }),
    ]),
    row('Containers', [
      timeseries('CPU of limit', { query: cpuOfLimit.query, legend: '{{pod}} {{container}}' }),
      timeseries('Memory of limit', { query: memoryOfLimit.query, legend: '{{pod}} {{container}}' }),
    ]),
    row('Requests', [
      timeseries('Request rate by route', { query: rate(http.requests, { window, where: { service }, by: ['service', 'route'] }), legend: '{{service}} {{route}}' }),
      timeseries('95th percentile response time', { query: p95Latency.query, legend: '{{service}}' }),
    ]),
    row('Availability', [
      stat('Targets up', { query: gauge(scrape.up, { where: { job: /knowton-.+/, service }, aggregate: 'sum', by: ['service'] }), legend: '{{service}}' }, { width: 12 }),
      stat('PostgreSQL up', { query: gauge(postgres.up), legend: '{{instance}}' }, { width: 12 }),
    ]),
    row('Database connection pools', [
      timeseries('Connections', { query: gauge(postgres.backends, { aggregate: 'sum', by: ['instance'] }), legend: '{{instance}}' }),
      timeseries('Connections by database', { query: gauge(postgres.backends, { aggregate: 'sum', by: ['datname'] }), legend: '{{datname}}' }),
    ]),
    row('Dependencies', [
      timeseries('95th percentile database query time', { query: histogramQuantile(0.95, data.queryDuration, { window, where: { service }, by: ['service', 'operation'] }), legend: '{{service}} {{operation}}' }, { width: 8 }),
      timeseries('Redis cache hit ratio', { query: share(data.redisCache, { matching: { result: 'hit' }, window, where: { service }, by: ['service'] }), legend: '{{service}}' }, { width: 8 }),
      timeseries('Kafka messages by topic and status', { query: rate(data.kafkaMessages, { window, where: { service }, by: ['topic', 'status'] }), legend: '{{topic}} {{status}}' }, { width: 8 }),
    ]),
    row('AI services', [
      timeseries('95th percentile AI processing time', { query: histogramQuantile(0.95, ai.processingDuration, { window, where: { service }, by: ['operation'] }), legend: '{{operation}}' }, { width: 24 }),
      timeseries('Fingerprinting by status', { query: rate(ai.fingerprinting, { window, where: { service }, by: ['status'] }), legend: '{{status}}' }, { width: 8 }),
      timeseries('Valuations by status', { query: rate(ai.valuation, { window, where: { service }, by: ['status'] }), legend: '{{status}}' }, { width: 8 }),
      timeseries('Recommendations by status', { query: rate(ai.recommendation, { window, where: { service }, by: ['status'] }), legend: '{{status}}' }, { width: 8 }),
    ]),
    row('Runtime', [
      timeseries('Node.js heap used', { query: gauge(system.heapUsed, { where: { service }, aggregate: 'sum', by: ['service'] }), legend: '{{service}}' }, { width: 8 }),
      timeseries('Node.js heap size', { query: gauge(system.heapTotal, { where: { service }, aggregate: 'sum', by: ['service'] }), legend: '{{service}}' }, { width: 8 }),
      timeseries('Active connections', { query: gauge(http.activeConnections, { where: { service }, aggregate: 'sum', by: ['service'] }), legend: '{{service}}' }, { width: 8 }),
    ]),
    row('Pods (kube-state-metrics)', [
      stat('Pods by phase', { query: gauge(kubeStateMetrics.podPhase, { aggregate: 'sum', by: ['phase'] }), legend: '{{phase}}' }, { width: 8 }),
      timeseries('CPU requested by pod', {
        query: gauge(kubeStateMetrics.cpuRequest, { aggregate: 'sum', by: ['namespace', 'pod'] }),
        legend: '{{namespace}} {{pod}}',
      }, { width: 8 }),
      timeseries('Memory requested by pod', { query: gauge(kubeStateMetrics.memoryRequest, { aggregate: 'sum', by: ['namespace', 'pod'] }), legend: '{{namespace}} {{pod}}' }, { width: 8 }),
    ]),
  ],
});

// Technical Health: nodes, request rates and latencies, availability, database connection pools.
import { alertsOf, dashboard, row, SELECTED_SERVICE, stat, timeseries } from '../lib/dashboards';
import { http, nodeExporter, postgres, scrape } from '../lib/catalog';
import { gauge, rate, ratio, share } from '../lib/promql';
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
  ],
});

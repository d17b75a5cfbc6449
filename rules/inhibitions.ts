// Which alert explains which: while the cause fires, Alertmanager does not send its consequences.
import type { Inhibition } from '../lib/alerting/inhibit';

export const INHIBITIONS: readonly Inhibition[] = [
  {
    source: 'ServiceMissing',
    targets: ['ServiceDown', 'HighErrorRate', 'HighResponseTime', 'BusinessMetricsExporterFailing'],
    equal: ['service'],
    why: 'a service with no running pod pages once, as missing; its failed scrapes, errors, latency and stale business metrics follow from it',
  },
  {
    source: 'ServiceDown',
    targets: ['HighErrorRate', 'HighResponseTime'],
    equal: ['service'],
    why: 'a pod that cannot be scraped explains the errors and slow answers of its service',
  },
  {
    source: 'PostgreSQLDown',
    targets: ['HighDatabaseConnections'],
    equal: ['instance'],
    why: 'a connection count read while the server is unreachable is stale',
  },
  {
    source: 'PostgreSQLDown',
    targets: ['BusinessMetricsExporterFailing'],
    // The business collectors read the environment's one database: any of its exporters being down explains them.
    equal: [],
    why: 'the business collectors fail because they cannot reach the database',
  },
  {
    source: 'AlertmanagerClusterDown',
    targets: ['AlertmanagerMemberDown'],
    // A clustered environment has one Alertmanager cluster: its being down explains every member down.
    equal: [],
    why: 'half or more of the Alertmanager cluster down pages once; the members down are its detail',
  },
];

// Database: PostgreSQL reachable, and not running out of connections.
import { AlertRule, RuleGroup } from '../lib/alerting';
import { postgres } from '../lib/catalog';
import { gauge } from '../lib/promql';
import { count, Duration } from '../lib/units';

export const database = new RuleGroup({
  name: 'database',
  category: 'database',
  alerts: [
    new AlertRule({
      name: 'PostgreSQLDown',
      severity: 'critical',
      component: 'postgresql',
      when: gauge(postgres.up).equals(count(0)),
      for: Duration.minutes(1),
      summary: 'PostgreSQL is unreachable',
      description: 'postgres-exporter {{ $labels.instance }} cannot connect to PostgreSQL: pg_up = {{ value }}.',
      firstChecks: [
        'Immediate database recovery: is the PostgreSQL pod running? `kubectl -n $NS get pods -l app=postgres`.',
        'PostgreSQL logs: crash, full disk, failed recovery?',
        'Can the exporter still authenticate (password rotated)? Check the exporter logs.',
      ],
    }),
    new AlertRule({
      name: 'HighDatabaseConnections',
      severity: 'warning',
      component: 'postgresql',
      when: gauge(postgres.backends, { aggregate: 'sum', by: ['instance'] }).above(count(80)),
      for: Duration.minutes(5),
      summary: 'Many connections to PostgreSQL',
      description: 'PostgreSQL behind {{ $labels.instance }} has {{ value }} active connections (threshold {{ threshold }}).',
      firstChecks: [
        'Check for connection leaks: `SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3;`.',
        'Many idle connections point to a pool that does not release them; many active ones to slow queries.',
        'Compare with max_connections (pg_settings_max_connections).',
      ],
    }),
  ],
});

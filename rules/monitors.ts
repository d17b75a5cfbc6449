// Monitor the monitors: Prometheus, Alertmanager and the exporters, and a Watchdog.
import { ALWAYS, AlertRule, RuleGroup } from '../lib/alerting';
import { alertmanager, prometheus, scrape } from '../lib/catalog';
import { gauge, increase, rate, ratio } from '../lib/promql';
import { count, Duration, percent } from '../lib/units';
import { DEFAULT_RULE_CONTEXT, jobsOf, RuleContext } from './context';

/** Job names are DNS labels (letters, digits, -): no character needs escaping in the alternation. */
const oneOf = (names: readonly string[]) => new RegExp(names.join('|'));

/** The monitoring group, filtering on the jobs of `ctx` (the standalone stack's or the operator stack's). */
export function monitorRules(ctx: RuleContext): RuleGroup {
  const jobs = jobsOf(ctx);
  return new RuleGroup({
    name: 'monitoring',
    category: 'monitoring',
    alerts: [
      new AlertRule({
        name: 'Watchdog',
        severity: 'info',
        component: 'alerting',
        when: ALWAYS,
        for: Duration.minutes(0),
        summary: 'Alerting pipeline heartbeat',
        description: 'This alert always fires. Route it to a dead man\'s switch: if it stops arriving, Prometheus or Alertmanager is broken.',
        firstChecks: [
          'If the heartbeat stopped: is Prometheus running (`kubectl -n knowton-dev get pod prometheus-0`)?',
          'Is Alertmanager running and reachable from Prometheus (PrometheusNotificationsFailing)?',
        ],
      }),
      new AlertRule({
        name: 'PrometheusConfigReloadFailed',
        severity: 'warning',
        component: 'prometheus',
        when: gauge(prometheus.configReloadSuccessful, { over: { fn: 'min_over_time', window: Duration.minutes(5) } }).equals(count(0)),
        for: Duration.minutes(10),
        summary: 'Prometheus failed to reload its configuration',
        description: 'The last configuration reload of {{ $labels.instance }} failed (value {{ value }}); it keeps running the previous configuration.',
        firstChecks: [
          '`kubectl -n knowton-dev logs prometheus-0 | grep -i reload` gives the error.',
          'Run `promtool check config` on the ConfigMap content; revert the last change to it.',
        ],
      }),
      new AlertRule({
        name: 'PrometheusRuleEvaluationFailures',
        severity: 'warning',
        component: 'prometheus',
        when: increase(prometheus.ruleEvaluationFailures, { window: Duration.minutes(5), aggregate: 'sum', by: ['rule_group'] }).above(count(0)),
        for: Duration.minutes(5),
        summary: 'Prometheus fails to evaluate rules of {{ $labels.rule_group }}',
        description: '{{ value }} evaluations of rule group {{ $labels.rule_group }} failed in the last 5 minutes: its alerts may not fire.',
        firstChecks: [
          'Prometheus UI, Status → Rules: the failing rule and its error.',
          'Typical causes: many-to-many matching after a label change, or a query hitting the sample limit.',
        ],
      }),
      // From the upstream Prometheus mixin, for the features this stack uses.
      new AlertRule({
        name: 'PrometheusNotConnectedToAlertmanagers',
        severity: 'critical',
        component: 'prometheus',
        // max over 5 minutes: a failed self-scrape must not read as "none"
        when: gauge(prometheus.alertmanagersDiscovered, { over: { fn: 'max_over_time', window: Duration.minutes(5) } })
          .describedAs('the most Alertmanagers Prometheus knew over 5 minutes')
          .below(count(1)),
        for: Duration.minutes(10),
        summary: 'Prometheus {{ $labels.instance }} knows no Alertmanager',
        description: 'Prometheus {{ $labels.instance }} has known {{ value }} Alertmanagers over the last 5 minutes: every alert it fires is lost.',
        firstChecks: [
          'The alerting section of prometheus.yml: does it list alertmanager-service:9093?',
          'Does the Alertmanager Service resolve and have endpoints? `kubectl -n knowton-dev get endpoints alertmanager-service`.',
        ],
      }),
      new AlertRule({
        name: 'PrometheusMissingRuleEvaluations',
        severity: 'warning',
        component: 'prometheus',
        when: increase(prometheus.ruleGroupIterationsMissed, { window: Duration.minutes(5), aggregate: 'sum', by: ['rule_group'] }).above(count(0)),
        for: Duration.minutes(15),
        summary: 'Prometheus skips evaluations of {{ $labels.rule_group }}',
        description: 'Rule group {{ $labels.rule_group }} missed {{ value }} evaluations in the last 5 minutes: one evaluation takes longer than its interval, so its alerts fire late.',
        firstChecks: [
          'Prometheus UI, Status → Rules: the evaluation time of the group against its interval.',
          'A slow query (many series, long range): move it into a recording rule or give the group a longer interval.',
          'Is Prometheus CPU-throttled (HighCPUUsage on prometheus-0)?',
        ],
      }),
      new AlertRule({
        name: 'PrometheusTSDBCompactionsFailing',
        severity: 'warning',
        component: 'prometheus',
        // Prometheus retries a failed compaction every minute, so an hour's window sees a lasting failure.
        when: increase(prometheus.compactionsFailed, { window: Duration.hours(1), aggregate: 'sum', by: ['instance'] }).above(count(0)),
        for: Duration.minutes(0),
        summary: 'Prometheus {{ $labels.instance }} fails to compact its TSDB',
        description: '{{ value }} TSDB compactions of {{ $labels.instance }} failed in the last hour: the head block grows and the disk fills.',
        firstChecks: [
          '`kubectl -n knowton-dev logs prometheus-0 | grep -i compact` gives the error.',
          'Is the volume full or read-only? `kubectl -n knowton-dev exec prometheus-0 -- df -h /prometheus`.',
        ],
      }),
      new AlertRule({
        name: 'PrometheusWALFailures',
        severity: 'warning',
        component: 'prometheus',
        // WAL truncation follows each head compaction (every 2 hours): 3 hours see one.
        when: increase(prometheus.walTruncationsFailed, { window: Duration.hours(3), aggregate: 'sum', by: ['instance'] }).above(count(0)),
        for: Duration.minutes(0),
        summary: 'Prometheus {{ $labels.instance }} fails to truncate its write-ahead log',
        description: '{{ value }} WAL truncations of {{ $labels.instance }} failed in the last 3 hours: the WAL grows and a restart replays more of it.',
        firstChecks: [
          '`kubectl -n knowton-dev logs prometheus-0 | grep -i wal` gives the error.',
          'Disk full or corrupt segment: free space, or move the corrupt segment away and restart.',
        ],
      }),
      new AlertRule({
        name: 'PrometheusNotificationsFailing',
        severity: 'critical',
        component: 'prometheus',
        when: ratio(
          rate(prometheus.notificationErrors, { window: Duration.minutes(5), by: ['alertmanager'] }),
          rate(prometheus.notificationsSent, { window: Duration.minutes(5), by: ['alertmanager'] }),
        ).above(percent(1)),
        for: Duration.minutes(15),
        summary: 'Prometheus cannot send alerts to {{ $labels.alertmanager }}',
        description: '{{ value }} of the alerts sent to Alertmanager {{ $labels.alertmanager }} failed (threshold {{ threshold }}): alerts are being lost.',
        firstChecks: [
          'Is Alertmanager up (AlertmanagerDown)? `kubectl -n knowton-dev get pods -l app=alertmanager`.',
          'Prometheus logs: `kubectl -n knowton-dev logs prometheus-0 | grep -i notifier`.',
          'Network policy between Prometheus and alertmanager-service:9093.',
        ],
      }),
      new AlertRule({
        name: 'AlertmanagerNotificationsFailing',
        severity: 'critical',
        component: 'alertmanager',
        when: ratio(
          rate(alertmanager.notificationsFailed, { window: Duration.minutes(5), by: ['integration'] }),
          rate(alertmanager.notifications, { window: Duration.minutes(5), by: ['integration'] }),
        ).above(percent(1)),
        for: Duration.minutes(15),
        summary: 'Alertmanager fails to deliver notifications via {{ $labels.integration }}',
        description: '{{ value }} of the {{ $labels.integration }} notifications failed (threshold {{ threshold }}).',
        firstChecks: [
          'Alertmanager logs: `kubectl -n knowton-dev logs -l app=alertmanager | grep -i notify`.',
          'Is the receiver Secret (Slack webhook, SMTP password) present and valid?',
          'Can the pod reach the internet (hooks.slack.com, the SMTP server)?',
        ],
      }),
      new AlertRule({
        name: 'AlertmanagerConfigReloadFailed',
        severity: 'warning',
        component: 'alertmanager',
        when: gauge(alertmanager.configReloadSuccessful, { over: { fn: 'min_over_time', window: Duration.minutes(5) } }).equals(count(0)),
        for: Duration.minutes(10),
        summary: 'Alertmanager failed to reload its configuration',
        description: 'The last configuration reload of Alertmanager {{ $labels.instance }} failed (value {{ value }}); it keeps the previous configuration.',
        firstChecks: ['Run `amtool check-config` on the ConfigMap content; the Alertmanager logs give the error.'],
      }),
      new AlertRule({
        name: 'AlertmanagerDown',
        severity: 'critical',
        component: 'alertmanager',
        when: gauge(scrape.up, { where: { job: jobs.alertmanager } }).equals(count(0)),
        for: Duration.minutes(5),
        summary: 'Alertmanager is down',
        description: 'Prometheus cannot scrape Alertmanager {{ $labels.instance }} (up = {{ value }}): no notification is sent.',
        firstChecks: [
          '`kubectl -n knowton-dev get pods -l app=alertmanager` and its logs.',
          'A configuration that does not load keeps Alertmanager from starting: `amtool check-config`.',
        ],
      }),
      new AlertRule({
        name: 'MonitoringTargetDown',
        severity: 'warning',
        component: 'monitoring',
        when: gauge(scrape.up, { where: { job: oneOf([jobs.prometheus, jobs.kubeStateMetrics, jobs.nodeExporter, jobs.postgresExporter, jobs.cadvisor]) } }).equals(count(0)),
        for: Duration.minutes(5),
        summary: 'Monitoring target {{ $labels.job }} is down',
        description: 'Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }} (up = {{ value }}): alerts that use its metrics cannot fire.',
        firstChecks: [
          'Prometheus UI, Status → Targets: the scrape error.',
          '`kubectl -n knowton-dev get pods` for the exporter; its logs.',
          'Network policy: Prometheus must reach the exporter port.',
        ],
      }),
    ],
  });
}

export const monitors = monitorRules(DEFAULT_RULE_CONTEXT);

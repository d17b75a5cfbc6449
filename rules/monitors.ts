// Monitor the monitors: Prometheus, Alertmanager and the exporters, and a Watchdog.
import { ALWAYS, AlertRule, RuleGroup } from '../lib/alerting';
import { alertmanager, prometheus, scrape } from '../lib/catalog';
import { gauge, increase, rate, ratio } from '../lib/promql';
import { count, Duration, percent } from '../lib/units';

export const monitors = new RuleGroup({
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
      when: gauge(prometheus.configReloadSuccessful).equals(count(0)),
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
      when: gauge(alertmanager.configReloadSuccessful).equals(count(0)),
      for: Duration.minutes(10),
      summary: 'Alertmanager failed to reload its configuration',
      description: 'The last configuration reload of Alertmanager {{ $labels.instance }} failed (value {{ value }}); it keeps the previous configuration.',
      firstChecks: ['Run `amtool check-config` on the ConfigMap content; the Alertmanager logs give the error.'],
    }),
    new AlertRule({
      name: 'AlertmanagerDown',
      severity: 'critical',
      component: 'alertmanager',
      when: gauge(scrape.up, { where: { job: 'alertmanager' } }).equals(count(0)),
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
      when: gauge(scrape.up, { where: { job: /prometheus|kube-state-metrics|node-exporter|postgres-exporter|kubelet-cadvisor/ } }).equals(count(0)),
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

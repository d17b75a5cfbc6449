// Service health: are the KnowTon services up, and do they answer well and fast?
import { AlertRule, RecordingRule, RuleGroup } from '../lib/alerting';
import { http, kubeStateMetrics, scrape } from '../lib/catalog';
import { anyOf, gauge, histogramQuantile, missing, share, unavailable } from '../lib/promql';
import { DEFAULT_RULE_CONTEXT, namespaceMatcher, RuleContext } from './context';
import { count, Duration, percent, seconds } from '../lib/units';

// Shared with the Service Health dashboard, so computed once by recording rules.
export const errorRatio = new RecordingRule(
  'service:http_requests_errors:ratio_rate5m',
  share(http.requests, { matching: { status: /5../ }, window: Duration.minutes(5), by: ['service'] }).describedAs(
    'the share of HTTP requests to a service answered with a 5xx status, over 5 minutes',
  ),
);
export const p95Latency = new RecordingRule(
  'service:http_request_duration_seconds:p95_rate5m',
  histogramQuantile(0.95, http.requestDuration, { window: Duration.minutes(5), by: ['service'] }).describedAs(
    'the 95th percentile of the response time of a service, over 5 minutes',
  ),
);

/**
 * A service with no healthy pod, seen both ways a cluster shows it: no scrape target at up = 1 (the
 * app job keeps only Running pods, so scaled to 0, Pending or evicted leaves no `up` at all), or
 * kube-state-metrics' Deployment of the service (by its app label) without an available replica.
 */
export function serviceMissing(ctx: RuleContext): AlertRule {
  const namespace = namespaceMatcher(ctx);
  return new AlertRule({
    name: 'ServiceMissing',
    severity: 'critical',
    component: 'application',
    when: anyOf(
      ['service'],
      missing(scrape.up, { label: 'service', expected: ctx.expectedServices, where: { job: /knowton-.+/ }, healthy: 1 }),
      unavailable(kubeStateMetrics.deploymentLabels, kubeStateMetrics.deploymentAvailable, {
        on: ['namespace', 'deployment'],
        label: 'label_app',
        as: 'service',
        where: { namespace, label_app: new RegExp(ctx.expectedServices.join('|')) },
      }),
    )
      .describedAs('1 for an expected service without a healthy scrape target or without an available replica')
      .above(count(0)),
    for: Duration.minutes(2),
    summary: 'Service {{ $labels.service }} has no running pod',
    description: 'Expected service {{ $labels.service }} has no healthy scrape target or no available replica (missing = {{ value }}): it is down, scaled to 0 or its pods cannot start.',
    firstChecks: [
      'Immediate investigation required: `kubectl -n <namespace> get deploy,pods -l app=<service>`.',
      'Pods Pending: `kubectl describe pod` shows why (unschedulable, ImagePullBackOff, quota). Evicted: node pressure.',
      'Deployment at 0 replicas: who scaled it (`kubectl rollout history`, the HPA, a cost job)?',
      'Pods Running but no target: is the prometheus.io/scrape annotation and the app label still on the pod template?',
    ],
  });
}

export function serviceHealthRules(ctx: RuleContext): RuleGroup {
  return new RuleGroup({
  name: 'service-health',
  category: 'service-health',
  recordings: [errorRatio, p95Latency],
  alerts: [
    serviceMissing(ctx),
    new AlertRule({
      name: 'ServiceDown',
      severity: 'critical',
      component: 'application',
      when: gauge(scrape.up, { where: { job: /knowton-.+/ } }).equals(count(0)),
      for: Duration.minutes(2),
      summary: 'Service {{ $labels.service }} is down',
      description: 'Prometheus cannot scrape {{ $labels.pod }} ({{ $labels.instance }}) of {{ $labels.job }} in {{ $labels.namespace }}: up = {{ value }}.',
      firstChecks: [
        'Immediate investigation required.',
        '`kubectl -n <namespace> get pod <pod>`: is it Running and Ready? Look at its events and restarts.',
        '`kubectl -n <namespace> logs <pod>` for a crash or a failed start.',
        'Prometheus UI, Status → Targets: the scrape error of the target.',
      ],
    }),
    new AlertRule({
      name: 'HighErrorRate',
      severity: 'warning',
      component: 'application',
      when: errorRatio.query.above(percent(5)),
      for: Duration.minutes(5),
      summary: 'High HTTP error rate on {{ $labels.service }}',
      description: '{{ value }} of the HTTP requests of {{ $labels.service }} failed with a 5xx status in the last 5 minutes (threshold {{ threshold }}).',
      firstChecks: [
        'Check logs and investigate cause: `kubectl -n $NS logs -l app=<service> --since=15m | grep -i error`.',
        'Service Health dashboard: which routes fail (http_requests_total by route and status)?',
        'Did a deployment just happen? `kubectl -n $NS rollout history deployment/<service>`.',
        'Are its dependencies (PostgreSQL, Redis, Kafka, the blockchain RPC) healthy?',
      ],
    }),
    new AlertRule({
      name: 'HighResponseTime',
      severity: 'warning',
      component: 'application',
      when: p95Latency.query.above(seconds(1)),
      for: Duration.minutes(10),
      summary: 'Slow responses from {{ $labels.service }}',
      description: 'The 95th percentile response time of {{ $labels.service }} is {{ value }} (threshold {{ threshold }}).',
      firstChecks: [
        'Performance investigation needed: which routes are slow (http_request_duration_seconds by route)?',
        'Database: slow queries (db_query_duration_seconds) and connection count.',
        'CPU throttling or memory pressure of the pods (HighCPUUsage, HighMemoryUsage).',
      ],
    }),
  ],
  });
}

/** dev's group, for the dashboards' tests. */
export const serviceHealth = serviceHealthRules(DEFAULT_RULE_CONTEXT);

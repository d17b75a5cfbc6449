// Monitor the monitors: Prometheus, Alertmanager and the exporters, and a Watchdog.
import { ALWAYS, AlertRule, RuleGroup } from '../lib/alerting';
import { alertmanager, kubelet, prometheus, scrape } from '../lib/catalog';
import { distinctValues, fillingUp, gauge, increase, lead, minBy, missing, rate, ratio, withLabel } from '../lib/promql';
import { count, Duration, percent, seconds } from '../lib/units';
import { DEFAULT_RULE_CONTEXT, jobsOf, MonitoringJobs, namespaceMatcher, RuleContext } from './context';

/** Job names are DNS labels (letters, digits, -): no character needs escaping in the alternation. */
const oneOf = (names: readonly string[]) => new RegExp([...new Set(names)].join('|'));

/**
 * The monitors' alerts of an environment: remote write and the Alertmanager cluster only where it has them,
 * filtering on the jobs of `ctx` (the standalone stack's or an operator stack's). The volume of an operator
 * stack's Prometheus is not the stack's to watch (kube-prometheus-stack's own rules do).
 */
export function monitorRules(ctx: RuleContext = DEFAULT_RULE_CONTEXT): RuleGroup {
  const replicas = ctx.alertmanagerReplicas ?? 1;
  const jobs = jobsOf(ctx);
  // An operator stack's Prometheus scrapes every team's Prometheus, Alertmanager and node: KnowTon's alerts
  // watch only the platform's own pair, which its alerts go through, and of the targets only its own.
  const own: Own = ctx.jobs === undefined
    ? { targets: [jobs.prometheus, jobs.kubeStateMetrics, jobs.nodeExporter, jobs.postgresExporter, jobs.cadvisor, jobs.kubelet] }
    // Of KnowTon's own namespace: the chart's Prometheus also scrapes other teams' postgres-exporters, whose
    // `up` would hide ours being down or gone.
    : { prometheus: { job: jobs.prometheus }, alertmanager: { job: jobs.alertmanager }, targets: [jobs.postgresExporter], targetsNamespace: namespaceMatcher(ctx) };
  return new RuleGroup({
    name: 'monitoring',
    category: 'monitoring',
    alerts: [
      ...alerts(jobs, own, replicas === 1 || ctx.everyVariant === true),
      ...(ctx.jobs === undefined ? [volumeFillingUp(ctx), volumeFull(ctx)] : []),
      ...(ctx.remoteWrite ? remoteWriteAlerts() : []),
      ...(replicas > 1 ? alertmanagerClusterAlerts(replicas, jobs) : []),
    ],
  });
}

/** Matchers of the Prometheus and Alertmanager series the alerts read (none: every one scraped), and the targets MonitoringTargetDown watches. */
interface Own {
  readonly prometheus?: { readonly job: string };
  readonly alertmanager?: { readonly job: string };
  readonly targets: readonly string[];
  /** The namespaces of the targets, where other teams' targets share their job names. @default any */
  readonly targetsNamespace?: RegExp;
}

/** `single`: the environment has one Alertmanager, whose being down is AlertmanagerDown's (a cluster's members are AlertmanagerMemberDown's). */
const alerts = (jobs: MonitoringJobs, own: Own, single: boolean): AlertRule[] => [
  new AlertRule({
    name: 'Watchdog',
    severity: 'info',
    component: 'alerting',
    when: ALWAYS,
    for: Duration.minutes(0),
    summary: 'Alerting pipeline heartbeat',
    description: 'This alert always fires. Route it to a dead man\'s switch: if it stops arriving, Prometheus or Alertmanager is broken.',
    firstChecks: [
      'If the heartbeat stopped: is Prometheus running (`kubectl -n $NS get pod prometheus-0`)?',
      'Is Alertmanager running and reachable from Prometheus (PrometheusNotificationsFailing)?',
    ],
  }),
  new AlertRule({
    name: 'PrometheusConfigReloadFailed',
    severity: 'warning',
    component: 'prometheus',
    when: gauge(prometheus.configReloadSuccessful, { where: own.prometheus, over: { fn: 'min_over_time', window: Duration.minutes(5) } }).equals(count(0)),
    for: Duration.minutes(10),
    summary: 'Prometheus {{ $labels.pod }} failed to reload its configuration',
    description: 'The last configuration reload of Prometheus {{ $labels.pod }} failed (value {{ value }}); it keeps running the previous configuration.',
    firstChecks: [
      '`kubectl -n $NS logs prometheus-0 | grep -i reload` gives the error.',
      'Run `promtool check config` on the ConfigMap content; revert the last change to it.',
    ],
  }),
  new AlertRule({
    name: 'PrometheusRuleEvaluationFailures',
    severity: 'warning',
    component: 'prometheus',
    when: increase(prometheus.ruleEvaluationFailures, { where: own.prometheus, window: Duration.minutes(5), aggregate: 'sum', by: ['pod', 'rule_group'] }).above(count(0)),
    for: Duration.minutes(5),
    summary: 'Prometheus {{ $labels.pod }} fails to evaluate rules of {{ $labels.rule_group }}',
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
    when: gauge(prometheus.alertmanagersDiscovered, { where: own.prometheus, over: { fn: 'max_over_time', window: Duration.minutes(5) } })
      .describedAs('the most Alertmanagers Prometheus knew over 5 minutes')
      .below(count(1)),
    for: Duration.minutes(10),
    summary: 'Prometheus {{ $labels.pod }} knows no Alertmanager',
    description: 'Prometheus {{ $labels.pod }} has known {{ value }} Alertmanagers over the last 5 minutes: every alert it fires is lost.',
    firstChecks: [
      'The alerting section of prometheus.yml: does it list alertmanager-service:9093?',
      'Does the Alertmanager Service resolve and have endpoints? `kubectl -n $NS get endpoints alertmanager-service`.',
    ],
  }),
  new AlertRule({
    name: 'PrometheusMissingRuleEvaluations',
    severity: 'warning',
    component: 'prometheus',
    when: increase(prometheus.ruleGroupIterationsMissed, { where: own.prometheus, window: Duration.minutes(5), aggregate: 'sum', by: ['pod', 'rule_group'] }).above(count(0)),
    for: Duration.minutes(15),
    summary: 'Prometheus {{ $labels.pod }} skips evaluations of {{ $labels.rule_group }}',
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
    when: increase(prometheus.compactionsFailed, { where: own.prometheus, window: Duration.hours(1), aggregate: 'sum', by: ['pod'] }).above(count(0)),
    for: Duration.minutes(0),
    summary: 'Prometheus {{ $labels.pod }} fails to compact its TSDB',
    description: '{{ value }} TSDB compactions of {{ $labels.pod }} failed in the last hour: the head block grows and the disk fills.',
    firstChecks: [
      '`kubectl -n $NS logs prometheus-0 | grep -i compact` gives the error.',
      'Is the volume full or read-only? `kubectl -n $NS exec prometheus-0 -- df -h /prometheus`.',
    ],
  }),
  new AlertRule({
    name: 'PrometheusWALFailures',
    severity: 'warning',
    component: 'prometheus',
    // WAL truncation follows each head compaction (every 2 hours): 3 hours see one.
    when: increase(prometheus.walTruncationsFailed, { where: own.prometheus, window: Duration.hours(3), aggregate: 'sum', by: ['pod'] }).above(count(0)),
    for: Duration.minutes(0),
    summary: 'Prometheus {{ $labels.pod }} fails to truncate its write-ahead log',
    description: '{{ value }} WAL truncations of {{ $labels.pod }} failed in the last 3 hours: the WAL grows and a restart replays more of it.',
    firstChecks: [
      '`kubectl -n $NS logs prometheus-0 | grep -i wal` gives the error.',
      'Disk full or corrupt segment: free space, or move the corrupt segment away and restart.',
    ],
  }),
  notificationsFailing(own, single),
  new AlertRule({
    name: 'AlertmanagerNotificationsFailing',
    severity: 'critical',
    component: 'alertmanager',
    when: ratio(
      rate(alertmanager.notificationsFailed, { where: own.alertmanager, window: Duration.minutes(5), by: ['integration'] }),
      rate(alertmanager.notifications, { where: own.alertmanager, window: Duration.minutes(5), by: ['integration'] }),
    ).above(percent(1)),
    for: Duration.minutes(15),
    summary: 'Alertmanager fails to deliver notifications via {{ $labels.integration }}',
    description: '{{ value }} of the {{ $labels.integration }} notifications failed (threshold {{ threshold }}).',
    firstChecks: [
      'Alertmanager logs: `kubectl -n $NS logs -l app.kubernetes.io/name=alertmanager | grep -i notify`.',
      'Is the receiver Secret (Slack webhook, SMTP password) present and valid?',
      'Can the pod reach the internet (hooks.slack.com, the SMTP server)?',
    ],
  }),
  new AlertRule({
    name: 'AlertmanagerConfigReloadFailed',
    severity: 'warning',
    component: 'alertmanager',
    when: gauge(alertmanager.configReloadSuccessful, { where: own.alertmanager, over: { fn: 'min_over_time', window: Duration.minutes(5) } }).equals(count(0)),
    for: Duration.minutes(10),
    summary: 'Alertmanager failed to reload its configuration',
    description: 'The last configuration reload of Alertmanager {{ $labels.instance }} failed (value {{ value }}); it keeps the previous configuration.',
    firstChecks: ['Run `amtool check-config` on the ConfigMap content; the Alertmanager logs give the error.'],
  }),
  ...(single ? [new AlertRule({
    name: 'AlertmanagerDown',
    severity: 'critical',
    component: 'alertmanager',
    when: gauge(scrape.up, { where: { job: jobs.alertmanager } }).equals(count(0)),
    for: Duration.minutes(5),
    summary: 'Alertmanager is down',
    description: 'Prometheus cannot scrape Alertmanager {{ $labels.instance }} (up = {{ value }}): no notification is sent.',
    firstChecks: [
      '`kubectl -n $NS get pods -l app.kubernetes.io/name=alertmanager` and its logs.',
      'A configuration that does not load keeps Alertmanager from starting: `amtool check-config`.',
    ],
  })] : []),
  new AlertRule({
    name: 'MonitoringTargetDown',
    severity: 'warning',
    component: 'monitoring',
    when: gauge(scrape.up, { where: { job: oneOf(own.targets), namespace: own.targetsNamespace } }).equals(count(0)),
    for: Duration.minutes(5),
    summary: 'Monitoring target {{ $labels.job }} is down',
    description: 'Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }} (up = {{ value }}): alerts that use its metrics cannot fire.',
    firstChecks: [
      'Prometheus UI, Status → Targets: the scrape error.',
      '`kubectl -n $NS get pods` for the exporter; its logs.',
      'Network policy: Prometheus must reach the exporter port.',
    ],
  }),
  new AlertRule({
    name: 'MonitoringTargetMissing',
    severity: 'warning',
    component: 'monitoring',
    // A target that is not discovered has no `up` series at all, so MonitoringTargetDown (up == 0) cannot
    // see it: an exporter Pending (no IP, no endpoint), scaled to 0, or a job whose discovery finds nothing.
    // A job with series, even all at 0, is MonitoringTargetDown's: the two never fire for the same job.
    when: missing(scrape.up, { label: 'job', expected: own.targets, where: { namespace: own.targetsNamespace } }).above(count(0)),
    for: Duration.minutes(5),
    summary: 'Monitoring job {{ $labels.job }} has no target',
    description: 'Prometheus discovers no target of {{ $labels.job }} (missing = {{ value }}): its exporter is not running or not found. Alerts that use its metrics cannot fire.',
    firstChecks: [
      'Prometheus UI, Status → Targets and Service Discovery: is the job there at all, with how many targets dropped?',
      '`kubectl -n $NS get pods -o wide` for the exporter: Pending (`kubectl describe pod`: quota, node pressure, a hostPort another node exporter holds), scaled to 0, or never Ready (no endpoint)?',
      'Discovery: the Service and its endpoints (`kubectl -n $NS get endpoints`), the labels the job selects, Prometheus\'s RBAC to list them.',
    ],
  }),
];

/**
 * Alerts Prometheus could not hand to Alertmanager. Prometheus sends each alert to every Alertmanager it
 * lists: in a cluster one member down fails every send to it while the others deliver (a warning,
 * AlertmanagerMemberDown), so the page is for every member failing, named by the best one's share.
 */
function notificationsFailing(own: Own, single: boolean): AlertRule {
  const failed = ratio(
    rate(prometheus.notificationErrors, { where: own.prometheus, window: Duration.minutes(5), by: ['pod', 'alertmanager'] }),
    rate(prometheus.notificationsSent, { where: own.prometheus, window: Duration.minutes(5), by: ['pod', 'alertmanager'] }),
  );
  return new AlertRule({
    name: 'PrometheusNotificationsFailing',
    severity: 'critical',
    component: 'prometheus',
    when: (single ? failed : minBy(failed, ['pod']).describedAs('the share of alerts that failed to reach the Alertmanager that took them best')).above(percent(1)),
    for: Duration.minutes(15),
    summary: single ? 'Prometheus {{ $labels.pod }} cannot send alerts to {{ $labels.alertmanager }}' : 'Prometheus {{ $labels.pod }} cannot send alerts to any Alertmanager',
    description: single
      ? '{{ value }} of the alerts sent to Alertmanager {{ $labels.alertmanager }} failed (threshold {{ threshold }}): alerts are being lost.'
      : 'Of the alerts sent to each Alertmanager of the cluster, at least {{ value }} failed (threshold {{ threshold }}): alerts are being lost.',
    firstChecks: [
      'Is Alertmanager up (AlertmanagerDown; in a cluster AlertmanagerMemberDown or AlertmanagerClusterDown)? `kubectl -n $NS get pods -l app.kubernetes.io/name=alertmanager`.',
      'Prometheus logs: `kubectl -n $NS logs prometheus-0 | grep -i notifier`.',
      'Network policy between Prometheus and alertmanager-service:9093.',
    ],
  });
}

const queue = ['remote_name', 'url'] as const;

/** From the upstream mixin, where `prometheus.remoteWrite` sends a copy of every sample elsewhere. */
function remoteWriteAlerts(): AlertRule[] {
  return [
    new AlertRule({
      name: 'PrometheusRemoteWriteFailing',
      severity: 'critical',
      component: 'prometheus',
      // samples_total counts every attempt (2.42 measured: a receiver answering 400 raises both alike), so the ratio stays within 0-100%.
      when: ratio(
        rate(prometheus.remoteSamplesFailed, { window: Duration.minutes(5), by: ['pod', ...queue] }),
        rate(prometheus.remoteSamples, { window: Duration.minutes(5), by: ['pod', ...queue] }),
      ).above(percent(1)),
      for: Duration.minutes(15),
      summary: 'Prometheus {{ $labels.pod }} loses samples remote-written to {{ $labels.remote_name }}',
      description: '{{ value }} of the samples sent to {{ $labels.url }} were refused for good (threshold {{ threshold }}): they are missing from long-term storage.',
      firstChecks: [
        '`kubectl -n $NS logs prometheus-0 | grep -i remote` gives the receiver\'s answer (400: bad samples, 401/403: credentials).',
        'Is the remote write Secret present and current? A rotated token gives 401 until the Secret is updated.',
        'Does the receiver refuse samples by its own limits (out-of-order, too many series per tenant)?',
      ],
    }),
    new AlertRule({
      name: 'PrometheusRemoteWriteBehind',
      severity: 'critical',
      component: 'prometheus',
      // max over 5 minutes on both sides: a failed self-scrape must not hide the gap. The queue's series
      // exists once it sent anything: a receiver that never answered shows as retries in the logs instead.
      when: lead(
        gauge(prometheus.remoteHighestTimestampIn, { over: { fn: 'max_over_time', window: Duration.minutes(5) } }),
        gauge(prometheus.remoteHighestSentTimestamp, { over: { fn: 'max_over_time', window: Duration.minutes(5) } }),
        { ignoring: queue },
      ).describedAs('how far the newest sample sent by a remote write queue lags the newest sample Prometheus took in').above(seconds(120)),
      for: Duration.minutes(15),
      summary: 'Remote write of Prometheus {{ $labels.pod }} to {{ $labels.remote_name }} falls behind',
      description: 'The newest sample sent to {{ $labels.url }} is {{ value }} older than the newest one taken in (threshold {{ threshold }}): long-term storage lags, and samples older than the WAL keeps are lost.',
      firstChecks: [
        '`kubectl -n $NS logs prometheus-0 | grep -i remote`: "Failed to send batch, retrying" means the receiver is down or slow.',
        'Is the receiver up and reachable (NetworkPolicy `prometheus` egress to its port)?',
        'Shards at `maxShards` (prometheus_remote_storage_shards): raise `prometheus.remoteWrite[].maxShards` or ask the receiver for more capacity.',
      ],
    }),
  ];
}

/** From the upstream Alertmanager mixin, where `replicas` Alertmanagers gossip silences and notifications. */
function alertmanagerClusterAlerts(replicas: number, jobs: MonitoringJobs): AlertRule[] {
  // "Down" as the mixin means it: at least half of the members cannot be scraped, so fewer than a majority
  // up (of 2, one down is half: with `replicas - floor(replicas / 2)` it took both, when nothing can deliver).
  const fewestUp = Math.floor(replicas / 2) + 1;
  return [
    // One member down is no outage: the others deliver, and AlertmanagerClusterDown pages at half of them. A
    // node drain or a volume slow to attach takes a member away for minutes: a warning after 15, no page.
    new AlertRule({
      name: 'AlertmanagerMemberDown',
      severity: 'warning',
      component: 'alertmanager',
      when: gauge(scrape.up, { where: { job: jobs.alertmanager } }).equals(count(0)),
      for: Duration.minutes(15),
      summary: 'Alertmanager {{ $labels.pod }} is down; the rest of the cluster delivers',
      description: 'Prometheus cannot scrape Alertmanager {{ $labels.pod }} ({{ $labels.instance }}, up = {{ value }}) for 15 minutes: the other members send the notifications, with one member less to survive the next failure.',
      firstChecks: [
        '`kubectl -n $NS get pods -l app.kubernetes.io/name=alertmanager -o wide` and `kubectl -n $NS describe pod <pod>`: Pending (its volume bound to a lost node or zone), crash-looping, or not Ready?',
        'Its logs: `kubectl -n $NS logs <pod>`. A configuration that does not load keeps it from starting: `amtool check-config`.',
      ],
    }),
    new AlertRule({
      name: 'AlertmanagerClusterMembersInconsistent',
      severity: 'warning',
      component: 'alertmanager',
      // max over 5 minutes: a failed scrape must not read as a member lost; a lasting partition still shows
      when: gauge(alertmanager.clusterMembers, { over: { fn: 'max_over_time', window: Duration.minutes(5) } })
        .describedAs('the most cluster members this Alertmanager saw over 5 minutes')
        .below(count(replicas)),
      for: Duration.minutes(15),
      summary: 'Alertmanager {{ $labels.pod }} sees only part of its cluster',
      description: 'Alertmanager {{ $labels.pod }} has seen at most {{ value }} cluster members over 5 minutes, of {{ threshold }} expected: members that do not gossip send duplicate notifications and miss silences.',
      firstChecks: [
        '`kubectl -n $NS get pods -l app.kubernetes.io/name=alertmanager`: are all replicas Running and Ready?',
        'Alertmanager logs: `kubectl -n $NS logs alertmanager-0 | grep -i -e memberlist -e cluster`.',
        'NetworkPolicy: the replicas must reach each other on the gossip port (9094, TCP and UDP).',
      ],
    }),
    new AlertRule({
      name: 'AlertmanagerClusterDown',
      severity: 'critical',
      component: 'alertmanager',
      // or 0: a cluster whose every target is gone (StatefulSet deleted) has no `up` left to sum
      when: gauge(scrape.up, { where: { job: jobs.alertmanager }, aggregate: 'sum' })
        .orZero()
        .describedAs('the Alertmanagers Prometheus can scrape')
        .below(count(fewestUp)),
      for: Duration.minutes(5),
      summary: 'Half or more of the Alertmanager cluster is down',
      description: 'Only {{ value }} of the cluster\'s Alertmanagers can be scraped (fewer than {{ threshold }}): notifications depend on the rest, and silences may be lost.',
      firstChecks: [
        '`kubectl -n $NS get pods -l app.kubernetes.io/name=alertmanager` and `kubectl -n $NS describe pod` of the missing ones.',
        'A node drain or zone outage: the PodDisruptionBudget keeps a majority only against voluntary evictions.',
        'A configuration that does not load stops every replica at its next restart: `amtool check-config`.',
      ],
    }),
    new AlertRule({
      name: 'AlertmanagerConfigInconsistent',
      severity: 'warning',
      component: 'alertmanager',
      when: distinctValues(alertmanager.configHash, { members: replicas })
        .describedAs('the number of different configurations the Alertmanagers run')
        .atLeast(count(2)),
      for: Duration.minutes(20),
      summary: 'The Alertmanagers run different configurations',
      description: 'The cluster\'s Alertmanagers run {{ value }} different configurations for 20 minutes: routing depends on which member sends.',
      firstChecks: [
        'Did one replica fail to reload (AlertmanagerConfigReloadFailed)? Its logs give the error.',
        'The kubelet updates mounted ConfigMaps within a minute or two: after longer, restart the odd member.',
      ],
    }),
  ];
}

/** The volume claims Prometheus keeps its TSDB on (claim `data` of StatefulSet `prometheus`), in the watched namespaces. */
const prometheusVolumes = (ctx: RuleContext) => ({ namespace: namespaceMatcher(ctx), persistentvolumeclaim: /data-prometheus-[0-9]+/ });
const podOfClaim = { label: 'pod', from: 'persistentvolumeclaim', regex: /data-(.+)/ };

/** From the upstream Kubernetes mixin, for the volume Prometheus keeps its TSDB on. */
function volumeFillingUp(ctx: RuleContext): AlertRule {
  return new AlertRule({
    name: 'PrometheusVolumeFillingUp',
    severity: 'warning',
    component: 'prometheus',
    // The trend over 6 hours says it runs out within 4 days, and less than 15% is left: a slow leak is
    // seen days ahead, a volume that is merely full but steady (retentionSize holds it) does not page.
    when: withLabel(
      fillingUp(kubelet.volumeAvailable, kubelet.volumeCapacity, {
        trend: Duration.hours(6),
        horizon: Duration.days(4),
        where: prometheusVolumes(ctx),
      }),
      podOfClaim,
    ).below(percent(15)),
    for: Duration.hours(1),
    summary: 'The volume of {{ $labels.pod }} fills up within 4 days',
    description: 'Volume claim {{ $labels.persistentvolumeclaim }} of {{ $labels.pod }} has {{ value }} free (threshold {{ threshold }}) and at the pace of the last 6 hours fills within 4 days: Prometheus then stops writing samples.',
    firstChecks: [
      'How fast does it grow? Grafana Explore: `kubelet_volume_stats_available_bytes{persistentvolumeclaim="data-prometheus-0"}` over 7 days.',
      'Does `retentionSize` (90% of the volume by default) keep the TSDB below the volume? It counts the blocks, the WAL and the memory-mapped chunks; a compaction in progress needs room on top of it.',
      'A new target or label with many values (cardinality): Prometheus UI, Status → TSDB Status, top series by metric name.',
      'Grow each claim if its StorageClass allows expansion (`kubectl -n $NS edit pvc data-prometheus-0`), then set `prometheus.storageSize` to match: a StatefulSet\'s volumeClaimTemplates cannot change, so before the next apply run `kubectl -n $NS delete statefulset prometheus --cascade=orphan` (the pods and claims stay).',
    ],
  });
}

/**
 * A volume nearly full whatever its trend: the upstream mixin's critical 3%. PrometheusVolumeFillingUp
 * looks at the trend, so a volume that filled and then stayed flat (retentionSize deleting blocks no
 * faster than samples arrive, or a compaction's headroom gone) never fires it.
 */
function volumeFull(ctx: RuleContext): AlertRule {
  const where = prometheusVolumes(ctx);
  return new AlertRule({
    name: 'PrometheusVolumeFull',
    severity: 'critical',
    component: 'prometheus',
    when: withLabel(ratio(gauge(kubelet.volumeAvailable, { where }), gauge(kubelet.volumeCapacity, { where })), podOfClaim)
      .describedAs('the free share of the volume (kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes)')
      .below(percent(3)),
    for: Duration.minutes(5),
    summary: 'The volume of {{ $labels.pod }} is nearly full',
    description: 'Volume claim {{ $labels.persistentvolumeclaim }} of {{ $labels.pod }} has {{ value }} free (threshold {{ threshold }}): once it is full, Prometheus stops writing samples and compacting, and every alert goes blind.',
    firstChecks: [
      'Is it still growing? Grafana Explore: `kubelet_volume_stats_available_bytes{persistentvolumeclaim="data-prometheus-0"}` over the last day.',
      'Does `retentionSize` (90% of the volume by default) leave room for a compaction? A compaction writes the new block before deleting the old ones: lower `prometheus.retentionSize` or grow the volume.',
      'Grow each claim if its StorageClass allows expansion (`kubectl -n $NS edit pvc data-prometheus-0`), then set `prometheus.storageSize` to match: before the next apply run `kubectl -n $NS delete statefulset prometheus --cascade=orphan` (the pods and claims stay).',
    ],
  });
}

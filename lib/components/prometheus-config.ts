/**
 * prometheus.yml as a plain object. Kept apart from the construct so tests can render it, and so the
 * scrape jobs each exporter contributes are described in one vocabulary.
 */
import { Duration } from '../units';

/** Where the in-cluster service account credentials are mounted. */
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A scrape job over the endpoints of one Service in the stack's namespace. */
export interface ServiceScrapeTarget {
  /** The job label, e.g. `kube-state-metrics`. */
  readonly jobName: string;
  /** Namespace of the Service. */
  readonly namespace: string;
  /** Name of the Service whose endpoints are scraped. */
  readonly serviceName: string;
  /** Name of the Service port that serves metrics. */
  readonly portName: string;
  /** Metrics path. @default '/metrics' */
  readonly metricsPath?: string;
  /**
   * Keep the labels the target exposes over the scrape's own: kube-state-metrics describes other pods,
   * and its `namespace`/`pod` must stay theirs rather than become `exported_namespace`/`exported_pod`.
   * @default false
   */
  readonly honorLabels?: boolean;
}

export interface PrometheusConfigOptions {
  readonly scrapeInterval: Duration;
  readonly scrapeTimeout: Duration;
  readonly evaluationInterval: Duration;
  readonly externalLabels: Record<string, string>;
  /** Directory the rule ConfigMap is mounted at. */
  readonly rulesDir: string;
  /** Namespaces whose annotated pods are scraped as KnowTon applications. */
  readonly appNamespaces: readonly string[];
  /** Exporter and component jobs discovered through their Services. */
  readonly serviceTargets: readonly ServiceScrapeTarget[];
  /**
   * The Prometheus pods themselves, through their headless Service: every replica scrapes every replica,
   * so an alert about one carries its `pod` and both replicas send it with the same labels.
   */
  readonly self: ServiceScrapeTarget;
  /** Alertmanager addresses (`host:port`); none leaves out the alerting block. */
  readonly alertmanagers: readonly string[];
  /** Skip verification of the kubelet's serving certificate (self-signed on most clusters). */
  readonly kubeletInsecureSkipVerify: boolean;
  /** External labels that tell HA replicas apart; dropped from alerts so Alertmanager deduplicates them. */
  readonly replicaLabels: readonly string[];
  /** remote_write endpoints, already in Prometheus's form. */
  readonly remoteWrite: readonly object[];
}

/** cAdvisor exposes hundreds of series per container; keep the ones the rules and dashboards read. */
export const CADVISOR_METRICS = [
  'container_cpu_usage_seconds_total',
  'container_cpu_cfs_periods_total',
  'container_cpu_cfs_throttled_periods_total',
  'container_memory_working_set_bytes',
  'container_network_receive_bytes_total',
  'container_network_transmit_bytes_total',
];

/** The job that scrapes KnowTon application pods; relabelling turns it into `knowton-<app>`. */
export const APP_JOB = 'knowton-apps';

/**
 * The app pod job's relabelling: keeps running pods annotated `prometheus.io/scrape: "true"` with an `app` label,
 * and gives their series `job="knowton-<app>"`, `service`, `namespace` and `pod`. Shared with the operator's PodMonitor.
 */
export function appPodRelabelings(): Array<Record<string, unknown>> {
  const ann = (name: string) => `__meta_kubernetes_pod_annotation_prometheus_io_${name}`;
  return [
    { source_labels: [ann('scrape')], regex: 'true', action: 'keep' },
    { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Running', action: 'keep' },
    // The app label names the service; pods without one cannot be told apart in the dashboards.
    { source_labels: ['__meta_kubernetes_pod_label_app'], regex: '.+', action: 'keep' },
    { source_labels: [ann('scheme')], regex: '(https?)', target_label: '__scheme__' },
    { source_labels: [ann('path')], regex: '(.+)', target_label: '__metrics_path__' },
    // Address from the pod IP and the port annotation; IPv6 addresses need brackets.
    {
      source_labels: ['__meta_kubernetes_pod_ip', ann('port')],
      regex: '([0-9.]+);([0-9]+)',
      replacement: '$1:$2',
      target_label: '__address__',
    },
    {
      source_labels: ['__meta_kubernetes_pod_ip', ann('port')],
      regex: '([0-9a-fA-F:]*:[0-9a-fA-F:]*);([0-9]+)',
      replacement: '[$1]:$2',
      target_label: '__address__',
    },
    { source_labels: ['__meta_kubernetes_pod_label_app'], replacement: 'knowton-$1', target_label: 'job' },
    { source_labels: ['__meta_kubernetes_pod_label_app'], target_label: 'service' },
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
  ];
}

function appPodJob(o: PrometheusConfigOptions): object {
  return {
    job_name: APP_JOB,
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [...o.appNamespaces] } }],
    relabel_configs: appPodRelabelings(),
  };
}

function cadvisorJob(o: PrometheusConfigOptions): object {
  return {
    job_name: 'kubelet-cadvisor',
    scheme: 'https',
    metrics_path: '/metrics/cadvisor',
    kubernetes_sd_configs: [{ role: 'node' }],
    authorization: { credentials_file: `${SA_DIR}/token` },
    tls_config: { ca_file: `${SA_DIR}/ca.crt`, insecure_skip_verify: o.kubeletInsecureSkipVerify },
    relabel_configs: [{ source_labels: ['__meta_kubernetes_node_name'], target_label: 'node' }],
    metric_relabel_configs: [
      { source_labels: ['__name__'], regex: CADVISOR_METRICS.join('|'), action: 'keep' },
      // Pod-level cgroup totals (container="") and the pause container would double-count CPU and
      // memory; network counters exist only at pod level, so they stay.
      { source_labels: ['__name__', 'container'], regex: 'container_(cpu|memory)_.+;(|POD)', action: 'drop' },
    ],
  };
}

/** The kubelet's own /metrics: only the volume stats, of volume claims in the watched namespaces. */
export const KUBELET_METRICS = ['kubelet_volume_stats_available_bytes', 'kubelet_volume_stats_capacity_bytes'];

function kubeletJob(o: PrometheusConfigOptions): object {
  return {
    job_name: 'kubelet',
    scheme: 'https',
    metrics_path: '/metrics',
    kubernetes_sd_configs: [{ role: 'node' }],
    authorization: { credentials_file: `${SA_DIR}/token` },
    tls_config: { ca_file: `${SA_DIR}/ca.crt`, insecure_skip_verify: o.kubeletInsecureSkipVerify },
    relabel_configs: [{ source_labels: ['__meta_kubernetes_node_name'], target_label: 'node' }],
    // The kubelet exposes thousands of its own series (request latencies, runtime operations): none is read.
    metric_relabel_configs: [
      { source_labels: ['__name__'], regex: KUBELET_METRICS.join('|'), action: 'keep' },
      { source_labels: ['namespace'], regex: [...o.appNamespaces].join('|'), action: 'keep' },
    ],
  };
}

function serviceJob(t: ServiceScrapeTarget): object {
  return {
    job_name: t.jobName,
    metrics_path: t.metricsPath ?? '/metrics',
    ...(t.honorLabels ? { honor_labels: true } : {}),
    kubernetes_sd_configs: [{ role: 'endpoints', namespaces: { names: [t.namespace] } }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_service_name'], regex: t.serviceName, action: 'keep' },
      { source_labels: ['__meta_kubernetes_endpoint_port_name'], regex: t.portName, action: 'keep' },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
    ],
  };
}

export function renderPrometheusConfig(o: PrometheusConfigOptions): Record<string, unknown> {
  const config: Record<string, unknown> = {
    global: {
      scrape_interval: o.scrapeInterval.toPromDuration(),
      scrape_timeout: o.scrapeTimeout.toPromDuration(),
      evaluation_interval: o.evaluationInterval.toPromDuration(),
      ...(Object.keys(o.externalLabels).length ? { external_labels: o.externalLabels } : {}),
    },
    rule_files: [`${o.rulesDir}/*.yml`],
  };
  if (o.alertmanagers.length) {
    config.alerting = {
      ...(o.replicaLabels.length
        ? { alert_relabel_configs: [{ action: 'labeldrop', regex: o.replicaLabels.join('|') }] }
        : {}),
      alertmanagers: [{ api_version: 'v2', static_configs: [{ targets: [...o.alertmanagers] }] }],
    };
  }
  if (o.remoteWrite.length) config.remote_write = [...o.remoteWrite];
  config.scrape_configs = [
    serviceJob(o.self),
    appPodJob(o),
    cadvisorJob(o),
    kubeletJob(o),
    ...o.serviceTargets.map(serviceJob),
  ];
  return config;
}

import { Units } from '../units';
import { metric, Source } from './metric';

/**
 * Metrics of the exporters and of the monitoring stack itself, as far as the rules and dashboards
 * use them. Job names are the contract with the scrape configuration in lib/components.
 */
const exporterSource = <T extends string>(name: string, job: string, targetLabels: readonly T[], pod?: string): Source<T> => ({
  name,
  job,
  targetLabels,
  ...(pod ? { examples: { pod, instance: '10.42.1.7:9000' } as Partial<Record<T, string>> } : {}),
});
// Exporters scraped through their Service's endpoints get the namespace, pod and node of the
// exporter pod. (kube-state-metrics needs honor_labels so that its own namespace and pod labels,
// those of the pods it describes, win over these.)
const endpointLabels = ['job', 'instance', 'namespace', 'pod', 'node'] as const;
export const KUBE_STATE_METRICS = exporterSource('kube-state-metrics', 'kube-state-metrics', endpointLabels, 'kube-state-metrics-5b8f7c9d4-q7k2m');
export const NODE_EXPORTER = exporterSource('node-exporter', 'node-exporter', endpointLabels, 'node-exporter-h4x9z');
export const POSTGRES_EXPORTER = exporterSource('postgres-exporter', 'postgres-exporter', endpointLabels, 'postgres-exporter-6c9d8f7b5-w2n4p');
export const ALERTMANAGER = exporterSource('Alertmanager', 'alertmanager', endpointLabels, 'alertmanager-0');
// The kubelet is scraped per node.
export const CADVISOR = exporterSource('cAdvisor', 'kubelet-cadvisor', ['job', 'instance', 'node']);
// The kubelet's own /metrics (volume stats), scraped per node.
export const KUBELET = exporterSource('kubelet', 'kubelet', ['job', 'instance', 'node']);
// Every Prometheus replica scrapes every replica through their headless Service's endpoints: `pod` names it.
export const PROMETHEUS = exporterSource('Prometheus', 'prometheus', endpointLabels, 'prometheus-0');
/** The series Prometheus writes for its own alerting rules: each alert's labels, no target's. */
export const ALERT_RULES = exporterSource('alerting rules', '.*', []);
/** `up` exists for every target, with that target's labels. */
export const ANY_TARGET = exporterSource('any scrape target', '.+', ['job', 'instance', 'service', 'namespace', 'pod', 'node']);

const { SECONDS, BYTES, COUNT, CORES } = Units;

export const scrape = {
  up: metric(ANY_TARGET, { name: 'up', kind: 'gauge', unit: COUNT, labels: [], help: '1 if the last scrape of the target succeeded, 0 if not.' }),
};

const containerLabels = ['namespace', 'pod', 'uid', 'container'] as const;
const resourceLimits = metric(KUBE_STATE_METRICS, {
  name: 'kube_pod_container_resource_limits',
  kind: 'gauge',
  unit: COUNT,
  labels: [...containerLabels, 'node', 'resource', 'unit'],
  help: 'The resource limit of a container; its unit depends on the resource label.',
});
const resourceRequests = metric(KUBE_STATE_METRICS, {
  name: 'kube_pod_container_resource_requests',
  kind: 'gauge',
  unit: COUNT,
  labels: [...containerLabels, 'node', 'resource', 'unit'],
  help: 'The resource request of a container; its unit depends on the resource label.',
});

export const kubeStateMetrics = {
  containerRestarts: metric(KUBE_STATE_METRICS, { name: 'kube_pod_container_status_restarts_total', kind: 'counter', unit: COUNT, labels: containerLabels, help: 'Restarts of a container.' }),
  resourceLimits,
  cpuLimit: resourceLimits.variant({ resource: 'cpu' }, CORES),
  memoryLimit: resourceLimits.variant({ resource: 'memory' }, BYTES),
  resourceRequests,
  cpuRequest: resourceRequests.variant({ resource: 'cpu' }, CORES),
  memoryRequest: resourceRequests.variant({ resource: 'memory' }, BYTES),
  // label_app comes from --metric-labels-allowlist=pods=[app]
  podLabels: metric(KUBE_STATE_METRICS, { name: 'kube_pod_labels', kind: 'gauge', unit: COUNT, labels: ['namespace', 'pod', 'uid', 'label_app'], help: 'Kubernetes labels of a pod (allowlisted ones).' }),
  // label_app comes from --metric-labels-allowlist=deployments=[app]: the service a Deployment runs
  deploymentLabels: metric(KUBE_STATE_METRICS, { name: 'kube_deployment_labels', kind: 'gauge', unit: COUNT, labels: ['namespace', 'deployment', 'label_app'], help: 'Kubernetes labels of a Deployment (allowlisted ones).' }),
  deploymentAvailable: metric(KUBE_STATE_METRICS, { name: 'kube_deployment_status_replicas_available', kind: 'gauge', unit: COUNT, labels: ['namespace', 'deployment'], help: 'Available replicas of a Deployment.' }),
  containerWaiting: metric(KUBE_STATE_METRICS, { name: 'kube_pod_container_status_waiting_reason', kind: 'gauge', unit: COUNT, labels: [...containerLabels, 'reason'], help: '1 while a container waits to start, with the reason.' }),
  podPhase: metric(KUBE_STATE_METRICS, { name: 'kube_pod_status_phase', kind: 'gauge', unit: COUNT, labels: ['namespace', 'pod', 'uid', 'phase'], help: '1 for the phase the pod is in.' }),
};

const cadvisorLabels = ['namespace', 'pod', 'container', 'id', 'image', 'name'] as const;
export const cadvisor = {
  cpuUsage: metric(CADVISOR, { name: 'container_cpu_usage_seconds_total', kind: 'counter', unit: SECONDS, labels: [...cadvisorLabels, 'cpu'], help: 'Cumulative CPU time consumed by a container, in seconds.' }),
  memoryWorkingSet: metric(CADVISOR, { name: 'container_memory_working_set_bytes', kind: 'gauge', unit: BYTES, labels: cadvisorLabels, help: 'Working set of a container: what the OOM killer compares with the limit.' }),
};

// Volume stats of the mounted PersistentVolumeClaims, from the kubelet of the node the pod runs on.
const volumeLabels = ['namespace', 'persistentvolumeclaim'] as const;
export const kubelet = {
  volumeAvailable: metric(KUBELET, { name: 'kubelet_volume_stats_available_bytes', kind: 'gauge', unit: BYTES, labels: volumeLabels, help: 'Bytes free on a mounted volume claim, for its pod\'s user.' }),
  volumeCapacity: metric(KUBELET, { name: 'kubelet_volume_stats_capacity_bytes', kind: 'gauge', unit: BYTES, labels: volumeLabels, help: 'Capacity of a mounted volume claim, in bytes.' }),
};

export const nodeExporter = {
  cpuSeconds: metric(NODE_EXPORTER, { name: 'node_cpu_seconds_total', kind: 'counter', unit: SECONDS, labels: ['cpu', 'mode'], help: 'Seconds the CPUs spent in each mode.' }),
  memoryAvailable: metric(NODE_EXPORTER, { name: 'node_memory_MemAvailable_bytes', kind: 'gauge', unit: BYTES, labels: [], help: 'Memory available to start new applications, in bytes.' }),
  memoryTotal: metric(NODE_EXPORTER, { name: 'node_memory_MemTotal_bytes', kind: 'gauge', unit: BYTES, labels: [], help: 'Total memory, in bytes.' }),
  filesystemAvailable: metric(NODE_EXPORTER, { name: 'node_filesystem_avail_bytes', kind: 'gauge', unit: BYTES, labels: ['device', 'fstype', 'mountpoint'], help: 'Filesystem space available to non-root users, in bytes.' }),
  filesystemSize: metric(NODE_EXPORTER, { name: 'node_filesystem_size_bytes', kind: 'gauge', unit: BYTES, labels: ['device', 'fstype', 'mountpoint'], help: 'Filesystem size, in bytes.' }),
};

export const postgres = {
  up: metric(POSTGRES_EXPORTER, { name: 'pg_up', kind: 'gauge', unit: COUNT, labels: [], help: '1 if the exporter could connect to PostgreSQL, 0 if not.' }),
  backends: metric(POSTGRES_EXPORTER, { name: 'pg_stat_database_numbackends', kind: 'gauge', unit: COUNT, labels: ['datid', 'datname'], help: 'Backends (connections) currently connected to each database.' }),
  maxConnections: metric(POSTGRES_EXPORTER, { name: 'pg_settings_max_connections', kind: 'gauge', unit: COUNT, labels: [], help: 'The max_connections setting of the server.' }),
};

// A remote write queue: its configured name and the receiver's URL.
const remoteQueueLabels = ['remote_name', 'url'] as const;

export const prometheus = {
  configReloadSuccessful: metric(PROMETHEUS, { name: 'prometheus_config_last_reload_successful', kind: 'gauge', unit: COUNT, labels: [], help: '1 if the last configuration reload succeeded, 0 if not.' }),
  ruleEvaluationFailures: metric(PROMETHEUS, { name: 'prometheus_rule_evaluation_failures_total', kind: 'counter', unit: COUNT, labels: ['rule_group'], help: 'Rule evaluations that failed.' }),
  notificationsSent: metric(PROMETHEUS, { name: 'prometheus_notifications_sent_total', kind: 'counter', unit: COUNT, labels: ['alertmanager'], help: 'Alerts sent to an Alertmanager.' }),
  notificationErrors: metric(PROMETHEUS, { name: 'prometheus_notifications_errors_total', kind: 'counter', unit: COUNT, labels: ['alertmanager'], help: 'Errors sending alerts to an Alertmanager.' }),
  alertmanagersDiscovered: metric(PROMETHEUS, { name: 'prometheus_notifications_alertmanagers_discovered', kind: 'gauge', unit: COUNT, labels: [], help: 'Alertmanagers Prometheus knows to send alerts to.' }),
  ruleGroupIterationsMissed: metric(PROMETHEUS, { name: 'prometheus_rule_group_iterations_missed_total', kind: 'counter', unit: COUNT, labels: ['rule_group'], help: 'Rule group evaluations skipped because the previous one was still running.' }),
  compactionsFailed: metric(PROMETHEUS, { name: 'prometheus_tsdb_compactions_failed_total', kind: 'counter', unit: COUNT, labels: [], help: 'TSDB compactions that failed.' }),
  walTruncationsFailed: metric(PROMETHEUS, { name: 'prometheus_tsdb_wal_truncations_failed_total', kind: 'counter', unit: COUNT, labels: [], help: 'WAL truncations that failed.' }),
  // Remote write (2.42 and 3.x alike; 3.7 deprecates highest_timestamp_in_seconds for a per-queue gauge, 3.5 is pinned)
  remoteSamples: metric(PROMETHEUS, { name: 'prometheus_remote_storage_samples_total', kind: 'counter', unit: COUNT, labels: remoteQueueLabels, help: 'Samples sent to a remote write receiver, counting every attempt, failed ones included.' }),
  remoteSamplesFailed: metric(PROMETHEUS, { name: 'prometheus_remote_storage_samples_failed_total', kind: 'counter', unit: COUNT, labels: remoteQueueLabels, help: 'Samples a remote write receiver refused for good (non-recoverable errors, 4xx): they are lost.' }),
  remoteHighestTimestampIn: metric(PROMETHEUS, { name: 'prometheus_remote_storage_highest_timestamp_in_seconds', kind: 'gauge', unit: SECONDS, labels: [], help: 'Newest sample timestamp that came into remote storage, in seconds since the epoch.' }),
  remoteHighestSentTimestamp: metric(PROMETHEUS, { name: 'prometheus_remote_storage_queue_highest_sent_timestamp_seconds', kind: 'gauge', unit: SECONDS, labels: remoteQueueLabels, help: 'Newest sample timestamp a remote write queue sent, in seconds since the epoch (absent until its first send).' }),
};

export const alerting = {
  alerts: metric(ALERT_RULES, { name: 'ALERTS', kind: 'gauge', unit: COUNT, labels: ['alertname', 'alertstate'], help: '1 for each pending or firing alert, with the alert\'s own labels.' }),
};

export const alertmanager = {
  configReloadSuccessful: metric(ALERTMANAGER, { name: 'alertmanager_config_last_reload_successful', kind: 'gauge', unit: COUNT, labels: [], help: '1 if the last configuration reload succeeded, 0 if not.' }),
  notifications: metric(ALERTMANAGER, { name: 'alertmanager_notifications_total', kind: 'counter', unit: COUNT, labels: ['integration'], help: 'Notification attempts, by integration (slack, email, ...).' }),
  notificationsFailed: metric(ALERTMANAGER, { name: 'alertmanager_notifications_failed_total', kind: 'counter', unit: COUNT, labels: ['integration'], help: 'Notification attempts that failed, by integration.' }),
  clusterMembers: metric(ALERTMANAGER, { name: 'alertmanager_cluster_members', kind: 'gauge', unit: COUNT, labels: [], help: 'Members of the gossip cluster this Alertmanager sees, itself included.' }),
  configHash: metric(ALERTMANAGER, { name: 'alertmanager_config_hash', kind: 'gauge', unit: COUNT, labels: [], help: 'Hash of the loaded configuration (a number, not a count): members that differ run different configurations.' }),
};

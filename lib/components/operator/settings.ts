/**
 * Where the KnowTon resources meet an existing prometheus-operator stack (kube-prometheus-stack by default):
 * its namespace, the label selectors of its Prometheus, Alertmanager and Grafana, and its own jobs' names.
 */
import type { MonitoringJobs } from '../../../rules/context';
import { Duration } from '../../units';
import { check, checkDnsLabel, checkDuration, checkKeys, checkUrl, keysOf } from '../../validate';

/** Labels an object carries so that the operator stack selects it (a `matchLabels` selector). */
export type SelectorLabels = Readonly<Record<string, string>>;

export interface OperatorSettings {
  /** Namespace the operator stack (prometheus-operator, Prometheus, Alertmanager, Grafana) runs in. @default 'monitoring' */
  readonly namespace?: string;
  /** Helm release name of kube-prometheus-stack: the default selector labels (`release: <name>`) and job names derive from it. @default 'kube-prometheus-stack' */
  readonly release?: string;
  /** Labels the Prometheus's `ruleSelector` matches (PrometheusRule). @default { release: <release> } */
  readonly ruleSelector?: SelectorLabels;
  /** Labels the Prometheus's `podMonitorSelector` matches (the application pods' PodMonitor). @default { release: <release> } */
  readonly podMonitorSelector?: SelectorLabels;
  /** Labels the Prometheus's `serviceMonitorSelector` matches (postgres-exporter's ServiceMonitor). @default { release: <release> } */
  readonly serviceMonitorSelector?: SelectorLabels;
  /** Labels the Alertmanager's `alertmanagerConfigSelector` matches. @default { release: <release> } */
  readonly alertmanagerConfigSelector?: SelectorLabels;
  /** The one label Grafana's dashboard sidecar looks for on ConfigMaps (`grafana.sidecar.dashboards.label`/`labelValue`). @default { grafana_dashboard: '1' } */
  readonly grafanaDashboardLabels?: SelectorLabels;
  /** Namespace of the dashboard ConfigMaps: one the sidecar searches (`grafana.sidecar.dashboards.searchNamespace`). @default the operator namespace */
  readonly dashboardNamespace?: string;
  /** The operator stack's job names the monitoring alerts filter on. @default kube-prometheus-stack's for `release` (operatorJobs) */
  readonly jobs?: Partial<Omit<MonitoringJobs, 'postgresExporter'>>;
  /** The Prometheus's scrape interval (the rules' `for` and rate windows are checked against it). @default 30s (kube-prometheus-stack's) */
  readonly scrapeInterval?: Duration;
  /** The Prometheus's rule evaluation interval. @default 30s (kube-prometheus-stack's) */
  readonly evaluationInterval?: Duration;
  /** Grafana's URL as people open it: the alerts' `dashboard_url` links point there. @default the in-cluster Service, `http://<release>-grafana.<namespace>.svc` */
  readonly grafanaUrl?: string;
  /** Name of the Secret (in the KnowTon namespace) holding the receivers' credentials. @default 'alertmanager-receivers' */
  readonly receiverSecretName?: string;
  /** Key of that Secret per credential, where it differs from the standalone stack's (e.g. `{ 'pagerduty-routing-key': 'pd-key' }`). @default the standalone keys */
  readonly receiverSecretKeys?: Readonly<Record<string, string>>;
}

export const OPERATOR_SETTINGS_KEYS = keysOf<OperatorSettings>()([
  'namespace', 'release', 'ruleSelector', 'podMonitorSelector', 'serviceMonitorSelector', 'alertmanagerConfigSelector',
  'grafanaDashboardLabels', 'dashboardNamespace', 'jobs', 'scrapeInterval', 'evaluationInterval', 'grafanaUrl', 'receiverSecretName', 'receiverSecretKeys',
]);
export const OPERATOR_JOB_KEYS = keysOf<NonNullable<OperatorSettings['jobs']>>()(['prometheus', 'alertmanager', 'kubeStateMetrics', 'nodeExporter', 'cadvisor', 'kubelet']);

export const OPERATOR_DEFAULTS = {
  namespace: 'monitoring',
  release: 'kube-prometheus-stack',
  grafanaDashboardLabels: { grafana_dashboard: '1' },
  scrapeInterval: Duration.seconds(30),
  evaluationInterval: Duration.seconds(30),
  receiverSecretName: 'alertmanager-receivers',
} as const;

/**
 * kube-prometheus-stack's name for its own objects (its `fullname` template): the release name if it contains
 * the chart's name, else `<release>-kube-prometheus-stack`, cut to 26 characters.
 */
export function chartFullname(release: string): string {
  const chart = 'kube-prometheus-stack';
  return (release.includes(chart) ? release : `${release}-${chart}`).slice(0, 26).replace(/-+$/, '');
}

/**
 * The job label of each target of kube-prometheus-stack: a ServiceMonitor's job is its Service's name, or the
 * value of the Service label its `jobLabel` names (`kube-state-metrics`, `node-exporter`, `kubelet` for every
 * kubelet endpoint, cAdvisor's included: its series carry `metrics_path="/metrics/cadvisor"`).
 */
export function operatorJobs(settings: OperatorSettings = {}): Omit<MonitoringJobs, 'postgresExporter'> {
  const fullname = chartFullname(settings.release ?? OPERATOR_DEFAULTS.release);
  return {
    prometheus: `${fullname}-prometheus`,
    alertmanager: `${fullname}-alertmanager`,
    kubeStateMetrics: 'kube-state-metrics',
    nodeExporter: 'node-exporter',
    cadvisor: 'kubelet',
    kubelet: 'kubelet',
    ...settings.jobs,
  };
}

/** A resolved OperatorSettings: every default filled in. */
export interface OperatorTarget {
  readonly namespace: string;
  readonly release: string;
  readonly ruleSelector: SelectorLabels;
  readonly podMonitorSelector: SelectorLabels;
  readonly serviceMonitorSelector: SelectorLabels;
  readonly alertmanagerConfigSelector: SelectorLabels;
  readonly grafanaDashboardLabels: SelectorLabels;
  readonly dashboardNamespace: string;
  readonly jobs: Omit<MonitoringJobs, 'postgresExporter'>;
  readonly scrapeInterval: Duration;
  readonly evaluationInterval: Duration;
  readonly grafanaUrl: string;
  readonly receiverSecretName: string;
  readonly receiverSecretKeys: Readonly<Record<string, string>>;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A selector's labels: a non-empty object of valid Kubernetes label keys and values. */
function checkSelector(where: string, field: string, labels: unknown): void {
  check(isObject(labels) && Object.keys(labels).length > 0, where, field, labels, 'a non-empty object of labels (matchLabels), e.g. { release: "kube-prometheus-stack" }');
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    check(LABEL_KEY.test(k), where, `${field} key`, k, 'a Kubernetes label key (an optional DNS prefix and /, then at most 63 letters, digits, -, _ or .)');
    check(typeof v === 'string' && LABEL_VALUE.test(v), where, `${field}.${k}`, v, 'a Kubernetes label value (at most 63 letters, digits, -, _ or .)');
  }
}

/** Checks the settings and fills in the defaults. Throws a ConfigError naming `where`, the field, the value and what is allowed. */
export function resolveOperatorSettings(settings: OperatorSettings | undefined, where = 'StackConfig.operator'): OperatorTarget {
  const s = settings ?? {};
  checkKeys(where, s, OPERATOR_SETTINGS_KEYS);
  const namespace = s.namespace ?? OPERATOR_DEFAULTS.namespace;
  checkDnsLabel(where, 'namespace', namespace);
  const release = s.release ?? OPERATOR_DEFAULTS.release;
  check(typeof release === 'string' && /^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/.test(release), where, 'release', release,
    'a Helm release name (at most 53 lowercase letters, digits and -)');
  const byRelease = { release };
  const selectors = {
    ruleSelector: s.ruleSelector ?? byRelease,
    podMonitorSelector: s.podMonitorSelector ?? byRelease,
    serviceMonitorSelector: s.serviceMonitorSelector ?? byRelease,
    alertmanagerConfigSelector: s.alertmanagerConfigSelector ?? byRelease,
    grafanaDashboardLabels: s.grafanaDashboardLabels ?? OPERATOR_DEFAULTS.grafanaDashboardLabels,
  };
  for (const [field, labels] of Object.entries(selectors)) checkSelector(where, field, labels);
  // The sidecar looks for one label (its `label` and `labelValue`).
  check(Object.keys(selectors.grafanaDashboardLabels).length === 1, where, 'grafanaDashboardLabels', selectors.grafanaDashboardLabels,
    'exactly one label, the one grafana.sidecar.dashboards.label/labelValue names');
  const dashboardNamespace = s.dashboardNamespace ?? namespace;
  checkDnsLabel(where, 'dashboardNamespace', dashboardNamespace);
  checkKeys(`${where}.jobs`, s.jobs, OPERATOR_JOB_KEYS);
  const jobs = operatorJobs(s);
  for (const [k, v] of Object.entries(jobs)) {
    check(typeof v === 'string' && /^[a-zA-Z0-9][-a-zA-Z0-9_.]*$/.test(v), where, `jobs.${k}`, v, 'a job name (letters, digits, -, _ or .)');
  }
  const scrapeInterval = checkDuration(where, 'scrapeInterval', s.scrapeInterval ?? OPERATOR_DEFAULTS.scrapeInterval, Duration.seconds(1), '1s');
  const evaluationInterval = checkDuration(where, 'evaluationInterval', s.evaluationInterval ?? OPERATOR_DEFAULTS.evaluationInterval, Duration.seconds(1), '1s');
  const grafanaUrl = s.grafanaUrl ?? `http://${release}-grafana.${namespace}.svc`;
  checkUrl(where, 'grafanaUrl', grafanaUrl, { example: 'https://grafana.example.com' });
  const receiverSecretName = s.receiverSecretName ?? OPERATOR_DEFAULTS.receiverSecretName;
  checkDnsLabel(where, 'receiverSecretName', receiverSecretName);
  const receiverSecretKeys = s.receiverSecretKeys ?? {};
  check(isObject(receiverSecretKeys), where, 'receiverSecretKeys', receiverSecretKeys, 'an object of Secret keys by credential');
  for (const [k, v] of Object.entries(receiverSecretKeys)) {
    check(typeof v === 'string' && SECRET_KEY.test(v), where, `receiverSecretKeys.${k}`, v, 'a Secret key (letters, digits, -, _ or ., at most 253)');
  }
  return {
    namespace, release, ...selectors, dashboardNamespace, jobs, scrapeInterval, evaluationInterval, grafanaUrl, receiverSecretName, receiverSecretKeys,
  };
}

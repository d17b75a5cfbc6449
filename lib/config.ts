/**
 * StackConfig: everything a platform engineer may set, each field with its default, and the
 * environment profiles `npm run synth` chooses from. Component defaults live next to their
 * constructs (PROMETHEUS_DEFAULTS, ...); this file only says which ones an environment changes.
 */
import { SloOverride, SLO_OVERRIDE_KEYS } from './slo/slo';
import { ALERTMANAGER_KEYS, AlertmanagerProps } from './components/alertmanager';
import { GRAFANA_KEYS, GrafanaProps } from './components/grafana';
import { INGRESS_DEFAULTS, INGRESS_KEYS, MonitoringIngressProps, UI_NAMES } from './components/ingress';
import { KUBE_STATE_METRICS_KEYS, KubeStateMetricsProps } from './components/kube-state-metrics';
import { NODE_EXPORTER_KEYS, NodeExporterProps } from './components/node-exporter';
import { POSTGRES_EXPORTER_KEYS, PostgresExporterProps } from './components/postgres-exporter';
import { PROMETHEUS_KEYS, PrometheusProps, REMOTE_WRITE_KEYS } from './components/prometheus';
import { RESOURCE_SPEC_KEYS } from './components/common';
import { OperatorSettings } from './components/operator/settings';
import { ALERTMANAGER_CONFIG_KEYS, EMAIL_KEYS, ROUTE_TIMINGS_KEYS, SEVERITIES, SLACK_CHANNEL_KEYS, TIME_INTERVAL_KEYS } from './alertmanager/config';

import type { NamespaceMode, PodSecurityLevel } from './components/namespace';
import { ALERT_OVERRIDE_KEYS, AlertOverride } from './alerting/rule';
import { count } from './units';
import { ConfigError, check, checkCidr, checkDnsLabel, checkKeys, checkLabels, checkOwnNamespace, checkPort, checkUrl, keysOf } from './validate';

/**
 * Props each component gets from the stack, not from StackConfig: the settings types omit them, and
 * the unknown-key check refuses them (`prometheus: { namespace }` would otherwise override the stack's).
 */
const FROM_STACK = {
  prometheus: ['namespace', 'watchedNamespaces', 'ruleFiles', 'serviceTargets', 'alertmanagers'],
  kubeStateMetrics: ['namespace'],
  nodeExporter: ['namespace'],
  postgresExporter: ['namespace'],
  alertmanager: ['namespace', 'externalUrl'],
  grafana: ['namespace', 'prometheusUrl', 'scrapeInterval', 'alertmanagerUrl', 'dashboards', 'rootUrl'],
  ingress: ['namespace', 'uis'],
} as const;
type Settings<P, K extends keyof typeof FROM_STACK> = Omit<P, (typeof FROM_STACK)[K][number]>;

/** Where traffic the NetworkPolicies allow goes outside the stack's namespaces. */
export interface NetworkSettings {
  /** Namespace of the ingress controller's pods. @default 'ingress-nginx' */
  readonly ingressControllerNamespace?: string;
  /** Labels of the ingress controller's pods. @default { 'app.kubernetes.io/name': 'ingress-nginx' } */
  readonly ingressControllerPodLabels?: Record<string, string>;
  /** Namespace of the cluster DNS pods. @default 'kube-system' */
  readonly dnsNamespace?: string;
  /** Labels of the cluster DNS pods. @default { 'k8s-app': 'kube-dns' } */
  readonly dnsPodLabels?: Record<string, string>;
  /** Addresses of the API server, kubelets and nodes (outside the pod network). @default '0.0.0.0/0' */
  readonly clusterCidr?: string;
  /** Address range of the PostgreSQL server postgres-exporter connects to. @default '0.0.0.0/0' */
  readonly postgresCidr?: string;
  /** Port of the PostgreSQL server. @default 5432 */
  readonly postgresPort?: number;
  /** Where Alertmanager may send notifications (Slack, PagerDuty, SMTP, heartbeat). @default '0.0.0.0/0' */
  readonly notificationCidr?: string;
  /** Address of NodeLocal DNSCache on every node (usually 169.254.20.10), where the pods' DNS goes when it is installed. @default none */
  readonly nodeLocalDns?: string;
}

/**
 * What synth generates for an environment: the whole stack (`standalone`), or, for a cluster that already runs
 * prometheus-operator (kube-prometheus-stack), the operator's resources: PodMonitor/ServiceMonitor,
 * PrometheusRule, AlertmanagerConfig and dashboard ConfigMaps, beside postgres-exporter.
 */
export const STACK_MODES = ['standalone', 'operator'] as const;
export type StackMode = (typeof STACK_MODES)[number];

export interface StackConfig {
  /** Environment name, stamped on every series as the `environment` external label. @default 'dev' */
  readonly environment?: string;
  /** The whole stack, or resources for an existing prometheus-operator (see README, Clusters that run prometheus-operator). @default 'standalone' */
  readonly mode?: StackMode;
  /** The operator stack the resources are for (namespace, selectors, job names); only with mode 'operator'. @default kube-prometheus-stack's defaults (OperatorSettings) */
  readonly operator?: OperatorSettings;
  /** Namespace of every object of the stack but node-exporter. @default 'knowton-dev' */
  readonly namespace?: string;
  /**
   * Whether the KnowTon applications run in `namespace` too (`shared-with-apps`, the spec's layout) or it is
   * the stack's own (`dedicated`). Shared: the NetworkPolicies select only the stack's pods and the Namespace
   * gets Pod Security warn/audit `restricted` but no `enforce`. Dedicated: every pod of the namespace is denied
   * by default and `restricted` is enforced.
   * @default 'shared-with-apps'
   */
  readonly namespaceMode?: NamespaceMode;
  /**
   * Pod Security level enforced on `namespace`. Shared: only a level the applications are known to meet
   * (`baseline`, `privileged`), never `restricted`.
   * @default 'restricted' when dedicated, none when shared
   */
  readonly podSecurityEnforce?: PodSecurityLevel;
  /** Namespace of node-exporter, which needs host access and so the `privileged` level. @default '<namespace>-node-exporter' */
  readonly hostNamespace?: string;
  /** Further namespaces whose annotated application pods are scraped. @default [] (only `namespace`) */
  readonly watchedNamespaces?: readonly string[];
  /**
   * Services (the `app` label of their pods) that must each have a healthy target: ServiceMissing pages,
   * critical, when one has none for 2 minutes (scaled to 0, Pending, evicted, or not ready).
   * @default INSTRUMENTED_SERVICES of the catalog (backend, ai-service)
   */
  readonly expectedServices?: readonly string[];
  /** Prometheus settings; see PrometheusProps for each default. @default {} */
  readonly prometheus?: Settings<PrometheusProps, 'prometheus'>;
  /** kube-state-metrics settings. @default {} */
  readonly kubeStateMetrics?: Settings<KubeStateMetricsProps, 'kubeStateMetrics'>;
  /** node-exporter settings. @default {} */
  readonly nodeExporter?: Settings<NodeExporterProps, 'nodeExporter'>;
  /** postgres-exporter settings. @default {} */
  readonly postgresExporter?: Settings<PostgresExporterProps, 'postgresExporter'>;
  /** Alertmanager settings: receivers, channels, timings; see AlertmanagerProps. @default {} */
  readonly alertmanager?: Settings<AlertmanagerProps, 'alertmanager'>;
  /** Grafana settings; datasource URLs and dashboards come from the stack. @default {} */
  readonly grafana?: Settings<GrafanaProps, 'grafana'>;
  /** Ingress settings (domain, class, TLS, authentication). @default {} (prometheus/grafana/alertmanager.knowton.io, TLS, basic auth) */
  readonly ingress?: Settings<MonitoringIngressProps, 'ingress'>;
  /** Per-alert threshold or `for` overrides by alert name, e.g. `{ HighDatabaseConnections: { threshold: count(150) } }`. @default {} (the rules as written in rules/) */
  readonly alerts?: Readonly<Record<string, AlertOverride>>;
  /** Per-SLO objective or window overrides by SLO (`<service>-<name>`), e.g. `{ 'backend-availability': { objective: percent(99.5) } }`. @default {} (the SLOs as written in slos/) */
  readonly slos?: Readonly<Record<string, SloOverride>>;
  /** NetworkPolicy peers outside the stack. @default {} */
  readonly network?: NetworkSettings;
}

// One list per interface, checked against it by tsc: a new field is one more word here.
export const STACK_CONFIG_KEYS = keysOf<StackConfig>()([
  'environment', 'namespace', 'namespaceMode', 'podSecurityEnforce', 'hostNamespace', 'watchedNamespaces', 'expectedServices', 'prometheus',
  'kubeStateMetrics', 'nodeExporter', 'postgresExporter', 'alertmanager', 'grafana', 'ingress', 'alerts', 'slos', 'network',
  'mode', 'operator',
]);
export const NETWORK_SETTINGS_KEYS = keysOf<NetworkSettings>()([
  'ingressControllerNamespace', 'ingressControllerPodLabels', 'dnsNamespace', 'dnsPodLabels', 'clusterCidr', 'postgresCidr',
  'postgresPort', 'notificationCidr', 'nodeLocalDns',
]);

/** The Alertmanager settings an AlertmanagerConfig carries: receivers, routes, timings, time intervals. */
export const OPERATOR_ALERTMANAGER_KEYS = ALERTMANAGER_CONFIG_KEYS.filter((k) => !['slackApiUrl', 'resolveTimeout', 'secretsDir', 'configDir'].includes(k));

/** The keys a component's settings accept in StackConfig: its props but those the stack sets. */
function settingsKeys(all: readonly string[], component: keyof typeof FROM_STACK): string[] {
  return all.filter((k) => !(FROM_STACK[component] as readonly string[]).includes(k));
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks the shape of a StackConfig before anything is built: no unknown key at any level (synth
 * transpiles without type checking, so `retension` would otherwise be ignored), and the settings that
 * are only the stack's to check (namespaces, NetworkPolicy addresses and ports). Values a component
 * owns are checked by its construct.
 */
export function checkStackConfig(config: StackConfig): void {
  const at = (field: string) => `StackConfig.${field}`;
  checkKeys('StackConfig', config, STACK_CONFIG_KEYS);
  check(config.mode === undefined || STACK_MODES.includes(config.mode), 'StackConfig', 'mode', config.mode, STACK_MODES.join(' or '));
  // Settings of the other mode would be silently ignored.
  if (config.mode === 'operator') {
    for (const field of ['prometheus', 'kubeStateMetrics', 'nodeExporter', 'alertmanager', 'grafana', 'ingress', 'network', 'hostNamespace', 'namespaceMode', 'podSecurityEnforce'] as const) {
      check(config[field] === undefined || field === 'alertmanager', 'StackConfig', field, config[field],
        "nothing in mode 'operator': the operator stack runs Prometheus, Alertmanager, Grafana and the exporters (set StackConfig.operator)");
    }
    // Only the routing: the Alertmanager itself (image, replicas, storage, global settings) is the operator stack's.
    checkKeys(at('alertmanager'), config.alertmanager, OPERATOR_ALERTMANAGER_KEYS);
  } else {
    check(config.operator === undefined, 'StackConfig', 'operator', config.operator, "nothing unless mode is 'operator'");
  }
  // Each component's keys, and its fields that are a ResourceSpec (kube-state-metrics' `resources` is a list of kinds).
  const components: Record<keyof typeof FROM_STACK, [readonly string[], string[]]> = {
    prometheus: [PROMETHEUS_KEYS, ['resources']],
    kubeStateMetrics: [KUBE_STATE_METRICS_KEYS, ['containerResources']],
    nodeExporter: [NODE_EXPORTER_KEYS, ['containerResources']],
    postgresExporter: [POSTGRES_EXPORTER_KEYS, ['containerResources']],
    alertmanager: [ALERTMANAGER_KEYS, ['resources', 'reloaderResources']],
    grafana: [GRAFANA_KEYS, ['containerResources']],
    ingress: [INGRESS_KEYS, []],
  };
  for (const [name, [keys, resourceFields]] of Object.entries(components) as Array<[keyof typeof FROM_STACK, [readonly string[], string[]]]>) {
    const settings = config[name] as Record<string, unknown> | undefined;
    checkKeys(at(name), settings, settingsKeys(keys, name));
    for (const field of resourceFields) {
      if (isObject(settings) && settings[field] !== undefined) checkKeys(at(`${name}.${field}`), settings[field], RESOURCE_SPEC_KEYS);
    }
  }
  const prometheus = config.prometheus;
  if (prometheus?.remoteWrite !== undefined) {
    check(Array.isArray(prometheus.remoteWrite), 'StackConfig', 'prometheus.remoteWrite', prometheus.remoteWrite, 'a list of receivers');
    prometheus.remoteWrite.forEach((rw, i) => checkKeys(at(`prometheus.remoteWrite[${i}]`), rw, REMOTE_WRITE_KEYS));
  }
  checkLabels('StackConfig', 'prometheus.externalLabels', prometheus?.externalLabels, true);
  for (const own of ['environment', 'replica']) {
    check(!Object.keys(prometheus?.externalLabels ?? {}).includes(own), 'StackConfig', `prometheus.externalLabels.${own}`, prometheus?.externalLabels?.[own],
      `nothing: the stack sets ${own} itself (${own === 'environment' ? 'from StackConfig.environment' : "each replica's pod name, dropped from alerts"})`);
  }
  const am = config.alertmanager;
  if (am) {
    checkKeys(at('alertmanager.email'), am.email, EMAIL_KEYS);
    checkKeys(at('alertmanager.slackChannels'), am.slackChannels, SLACK_CHANNEL_KEYS);
    checkKeys(at('alertmanager.routing'), am.routing, SEVERITIES);
    checkKeys(at('alertmanager.muteTimeIntervals'), am.muteTimeIntervals, SEVERITIES);
    for (const [name, list] of Object.entries(am.timeIntervals ?? {})) {
      (Array.isArray(list) ? list : []).forEach((t, i) => checkKeys(at(`alertmanager.timeIntervals.${name}[${i}]`), t, TIME_INTERVAL_KEYS));
    }
    checkKeys(at('alertmanager.timings'), am.timings, [...SEVERITIES, 'default']);
    for (const [sev, t] of Object.entries(am.timings ?? {})) checkKeys(at(`alertmanager.timings.${sev}`), t, ROUTE_TIMINGS_KEYS);
  }
  checkKeys(at('network'), config.network, NETWORK_SETTINGS_KEYS);
  check(config.alerts === undefined || isObject(config.alerts), 'StackConfig', 'alerts', config.alerts, 'an object of overrides by alert name');
  for (const [name, override] of Object.entries(config.alerts ?? {})) checkKeys(at(`alerts.${name}`), override, ALERT_OVERRIDE_KEYS);
  check(config.slos === undefined || isObject(config.slos), 'StackConfig', 'slos', config.slos, 'an object of overrides by SLO (<service>-<name>)');
  for (const [name, override] of Object.entries(config.slos ?? {})) checkKeys(at(`slos.${name}`), override, SLO_OVERRIDE_KEYS);

  // The stack labels its namespaces `restricted`/`privileged` and denies all traffic in them.
  if (config.namespace !== undefined) checkOwnNamespace('StackConfig', 'namespace', config.namespace);
  if (config.hostNamespace !== undefined) checkOwnNamespace('StackConfig', 'hostNamespace', config.hostNamespace);
  if (config.watchedNamespaces !== undefined) {
    check(Array.isArray(config.watchedNamespaces), 'StackConfig', 'watchedNamespaces', config.watchedNamespaces, 'a list of namespace names');
    config.watchedNamespaces.forEach((n, i) => checkDnsLabel('StackConfig', `watchedNamespaces[${i}]`, n));
  }
  if (config.expectedServices !== undefined) {
    const services = config.expectedServices;
    check(Array.isArray(services) && services.length > 0 && new Set(services).size === services.length, 'StackConfig', 'expectedServices', services,
      'a non-empty list of distinct service names (the app label of their pods)');
    services.forEach((n, i) => checkDnsLabel('StackConfig', `expectedServices[${i}]`, n));
  }
  const net = config.network ?? {};
  for (const field of ['clusterCidr', 'postgresCidr', 'notificationCidr'] as const) {
    if (net[field] !== undefined) checkCidr('StackConfig', `network.${field}`, net[field]);
  }
  if (net.postgresPort !== undefined) checkPort('StackConfig', 'network.postgresPort', net.postgresPort);
  for (const field of ['ingressControllerNamespace', 'dnsNamespace'] as const) {
    if (net[field] !== undefined) checkDnsLabel('StackConfig', `network.${field}`, net[field]);
  }
  for (const field of ['ingressControllerPodLabels', 'dnsPodLabels'] as const) {
    const labels = net[field];
    if (labels === undefined) continue;
    check(isObject(labels) && Object.keys(labels).length > 0, 'StackConfig', `network.${field}`, labels, 'a non-empty object of pod labels');
    for (const [k, v] of Object.entries(labels)) {
      check(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(k), 'StackConfig', `network.${field} key`, k, 'a Kubernetes label key');
      check(typeof v === 'string' && /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(v), 'StackConfig', `network.${field}.${k}`, v, 'a Kubernetes label value (at most 63 letters, digits, -, _ or .)');
    }
  }
}

/**
 * The environment profiles. `dev` is the spec's `k8s/dev`, written to dist/ itself; the others are
 * written to dist/<name>/ (`kubectl apply -f dist/prod`). What differs is stated here and nowhere else.
 */
export const ENVIRONMENTS: Readonly<Record<string, StackConfig>> = {
  // The spec's deployment, with its routing as written: critical alerts page through PagerDuty. Its own
  // sub-domain, so that its UIs and the links in its notifications never open production's.
  dev: { environment: 'dev', namespace: 'knowton-dev', ingress: { domain: 'dev.knowton.io' } },
  staging: {
    environment: 'staging',
    namespace: 'knowton-staging',
    ingress: { domain: 'staging.knowton.io' },
    prometheus: { storageSize: '100Gi', retentionSize: '90GB' },
    alertmanager: {
      // Nobody is paged for staging: its alerts go to Slack only.
      pagerduty: false,
      // Testers work office hours (UTC): warnings and info wait for the next working day, critical alerts do not.
      timeIntervals: {
        'outside-business-hours': [
          { weekdays: ['saturday', 'sunday'] },
          { weekdays: ['monday:friday'], times: [{ start: '00:00', end: '08:00' }, { start: '18:00', end: '24:00' }] },
        ],
      },
      muteTimeIntervals: { warning: ['outside-business-hours'], info: ['outside-business-hours'] },
    },
    // Staging has testers, not users: only a staging nobody uses at all is worth a warning.
    alerts: { NoActiveUsers: { threshold: count(1) } },
  },
  prod: {
    environment: 'prod',
    namespace: 'knowton-prod',
    ingress: { domain: 'knowton.io' },
    prometheus: {
      // Two identical servers, each with its own `replica` label; Alertmanager deduplicates their alerts.
      replicas: 2,
      storageSize: '200Gi',
      retentionSize: '180GB',
      resources: { cpuRequest: '1', cpuLimit: '4', memoryRequest: '8Gi', memoryLimit: '12Gi' },
    },
    alertmanager: {
      // A gossip cluster of three survives one lost node and keeps silences and notifications in sync.
      replicas: 3,
      storageSize: '5Gi',
      email: { to: ['oncall@knowton.io'], from: 'alertmanager@knowton.io', smarthost: 'smtp.knowton.io:587' },
    },
    grafana: { containerResources: { cpuRequest: '200m', cpuLimit: '1', memoryRequest: '512Mi', memoryLimit: '1Gi' } },
    // Production's PostgreSQL is sized for 300 connections (dev's for 100): warn at half of it.
    alerts: { HighDatabaseConnections: { threshold: count(150) } },
  },
  // Production's routing as resources for a cluster that already runs kube-prometheus-stack (release
  // `kube-prometheus-stack` in `monitoring`): no second Prometheus, Alertmanager or Grafana.
  operator: {
    environment: 'operator',
    mode: 'operator',
    namespace: 'knowton',
    operator: { grafanaUrl: 'https://grafana.knowton.io' },
    alertmanager: {
      email: { to: ['oncall@knowton.io'], from: 'alertmanager@knowton.io', smarthost: 'smtp.knowton.io:587' },
    },
    alerts: { HighDatabaseConnections: { threshold: count(150) } },
  },
};

export const DEFAULT_ENVIRONMENT = 'dev';

/** The names of the profiles that build the whole stack (mode 'standalone'), not operator resources. */
export function standaloneEnvironmentNames(): string[] {
  return Object.keys(ENVIRONMENTS).filter((name) => (ENVIRONMENTS[name].mode ?? 'standalone') === 'standalone');
}

/** Every profile, the default first: the order `npm run synth` writes them in (default at the top of dist/). Throws a ConfigError if two share a host or URL. */
export function allEnvironments(): Record<string, StackConfig> {
  const all = {
    [DEFAULT_ENVIRONMENT]: ENVIRONMENTS[DEFAULT_ENVIRONMENT],
    ...Object.fromEntries(Object.entries(ENVIRONMENTS).filter(([name]) => name !== DEFAULT_ENVIRONMENT)),
  };
  checkEnvironmentsApart(all);
  return all;
}

/**
 * The Ingress hosts of a profile and the external URLs that its UIs and notifications link to (Prometheus's
 * generator links, Alertmanager's silence links, Grafana's root URL), as the stack derives them.
 */
export function publicEndpoints(config: StackConfig): { hosts: string[]; urls: string[] } {
  const domain = config.ingress?.domain ?? INGRESS_DEFAULTS.domain;
  const scheme = config.ingress?.tls === false ? 'http' : 'https';
  const hosts = UI_NAMES.map((ui) => `${ui}.${domain}`);
  const urls = hosts.map((h) => `${scheme}://${h}`);
  if (config.prometheus?.externalUrl !== undefined) {
    checkUrl('StackConfig', 'prometheus.externalUrl', config.prometheus.externalUrl, { example: 'https://prometheus.knowton.io' });
    urls[UI_NAMES.indexOf('prometheus')] = config.prometheus.externalUrl;
  }
  return { hosts, urls };
}

/**
 * Each environment runs in its own cluster: two profiles with one host would fight over its DNS name and
 * certificate, and one's notifications would link to the other's UIs. Throws a ConfigError naming both.
 */
export function checkEnvironmentsApart(environments: Readonly<Record<string, StackConfig>>): void {
  const owner = new Map<string, string>();
  for (const [name, config] of Object.entries(environments)) {
    // An operator profile serves no UI of its own.
    if (config.mode === 'operator') continue;
    const { hosts, urls } = publicEndpoints(config);
    const claimed = [...new Set([...hosts, ...urls.map((u) => new URL(u).host)])];
    for (const host of claimed) {
      const other = owner.get(host);
      if (other !== undefined && other !== name) {
        throw new ConfigError(`ENVIRONMENTS.${name}`, 'ingress.domain', config.ingress?.domain ?? INGRESS_DEFAULTS.domain,
          `a domain of its own: ${other} already serves ${host}; give each environment its own hosts and external URLs ` +
          '(e.g. dev.knowton.io, staging.knowton.io, knowton.io)');
      }
      owner.set(host, name);
    }
  }
}

/** The profile for `name`, or an error listing the ones that exist. */
export function environmentConfig(name: string): StackConfig {
  const config = ENVIRONMENTS[name];
  if (!config) {
    throw new Error(`unknown environment ${JSON.stringify(name)}: one of ${Object.keys(ENVIRONMENTS).join(', ')}`);
  }
  return config;
}

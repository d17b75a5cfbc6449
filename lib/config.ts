/**
 * StackConfig: everything a platform engineer may set, each field with its default, and the
 * environment profiles `npm run synth` chooses from. Component defaults live next to their
 * constructs (PROMETHEUS_DEFAULTS, ...); this file only says which ones an environment changes.
 */
import type { AlertmanagerProps } from './components/alertmanager';
import type { GrafanaProps } from './components/grafana';
import type { MonitoringIngressProps } from './components/ingress';
import type { KubeStateMetricsProps } from './components/kube-state-metrics';
import type { NodeExporterProps } from './components/node-exporter';
import type { PostgresExporterProps } from './components/postgres-exporter';
import type { PrometheusProps } from './components/prometheus';
import type { NamespaceMode, PodSecurityLevel } from './components/namespace';

import type { AlertOverride } from './alerting';
import { INGRESS_DEFAULTS, UI_NAMES } from './components/ingress';
import { count } from './units';
import { ConfigError } from './validate';

type Settings<P> = Omit<P, 'namespace'>;

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

export interface StackConfig {
  /** Environment name, stamped on every series as the `environment` external label. @default 'dev' */
  readonly environment?: string;
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
  /** Prometheus settings; see PrometheusProps for each default. @default {} */
  readonly prometheus?: Omit<Settings<PrometheusProps>, 'watchedNamespaces' | 'ruleFiles' | 'serviceTargets' | 'alertmanagers'>;
  /** kube-state-metrics settings. @default {} */
  readonly kubeStateMetrics?: Settings<KubeStateMetricsProps>;
  /** node-exporter settings. @default {} */
  readonly nodeExporter?: Settings<NodeExporterProps>;
  /** postgres-exporter settings. @default {} */
  readonly postgresExporter?: Settings<PostgresExporterProps>;
  /** Alertmanager settings: receivers, channels, timings; see AlertmanagerProps. @default {} */
  readonly alertmanager?: Omit<Settings<AlertmanagerProps>, 'externalUrl'>;
  /** Grafana settings; datasource URLs and dashboards come from the stack. @default {} */
  readonly grafana?: Omit<Settings<GrafanaProps>, 'prometheusUrl' | 'scrapeInterval' | 'alertmanagerUrl' | 'dashboards' | 'rootUrl'>;
  /** Ingress settings (domain, class, TLS, authentication). @default {} (prometheus/grafana/alertmanager.knowton.io, TLS, basic auth) */
  readonly ingress?: Omit<Settings<MonitoringIngressProps>, 'uis'>;
  /** Per-alert threshold or `for` overrides by alert name, e.g. `{ HighDatabaseConnections: { threshold: count(150) } }`. @default {} (the rules as written in rules/) */
  readonly alerts?: Readonly<Record<string, AlertOverride>>;
  /** NetworkPolicy peers outside the stack. @default {} */
  readonly network?: NetworkSettings;
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
    // Nobody is paged for staging: its alerts go to Slack only.
    alertmanager: { pagerduty: false },
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
};

export const DEFAULT_ENVIRONMENT = 'dev';

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
  if (config.prometheus?.externalUrl !== undefined) urls[UI_NAMES.indexOf('prometheus')] = config.prometheus.externalUrl;
  return { hosts, urls };
}

/**
 * Each environment runs in its own cluster: two profiles with one host would fight over its DNS name and
 * certificate, and one's notifications would link to the other's UIs. Throws a ConfigError naming both.
 */
export function checkEnvironmentsApart(environments: Readonly<Record<string, StackConfig>>): void {
  const owner = new Map<string, string>();
  for (const [name, config] of Object.entries(environments)) {
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

/**
 * The KnowTon monitoring as resources for a cluster that already runs prometheus-operator
 * (kube-prometheus-stack): the same rule groups, routing and dashboards as the standalone stack, from the
 * same functions, as PodMonitor/ServiceMonitor, PrometheusRule, AlertmanagerConfig and dashboard ConfigMaps.
 * postgres-exporter is KnowTon's own and is deployed as in the standalone stack.
 */
import { App, Chart } from 'cdk8s';
import { toYaml } from './yaml';
import { checkStackConfig, StackConfig } from './config';
import { RuleGroup, validateRuleGroups } from './alerting';
import { DEFAULT_SECRETS_DIR, renderAlertmanagerConfig, TEMPLATE_FILE, TEMPLATE_SOURCE } from './alertmanager';
import { WATCHDOG_ALERTNAME } from './alertmanager/config';
import { checkDashboards } from './dashboards/validate';
import { MonitoringNamespace } from './components/namespace';
import { PostgresExporter } from './components/postgres-exporter';
import { KnowtonAlertmanagerConfig } from './components/operator/alertmanager-config';
import { KnowtonDashboardConfigMaps } from './components/operator/dashboards';
import { KnowtonMonitors } from './components/operator/monitors';
import { KnowtonPrometheusRules } from './components/operator/prometheus-rule';
import { OperatorTarget, resolveOperatorSettings } from './components/operator/settings';
import { pruneLabels } from './prune';
import { alertingSources, watchedNamespaces } from './stack';
import { check } from './validate';
import { STANDALONE_JOBS } from '../rules/context';

/** The kube-prometheus-stack values file, relative to the environment's folder: in a subfolder, which `kubectl apply -f` does not descend into. */
export const HELM_VALUES_FILE = 'kube-prometheus-stack/values.yaml';

export class OperatorStack {
  readonly namespace: string;
  /** The operator stack the resources are for, defaults filled in. */
  readonly target: OperatorTarget;
  readonly ruleGroups: readonly RuleGroup[];
  /** The rule files, as the PrometheusRule objects hold them. */
  readonly ruleFiles: Readonly<Record<string, { groups: object[] }>>;
  /** Dashboard models by file name. */
  readonly dashboards: Readonly<Record<string, object>>;
  /** The alertmanager.yml the standalone stack would run with these settings, from which the AlertmanagerConfig is made. */
  readonly alertmanagerYml: Record<string, unknown>;
  /** Files beside the manifests, relative to the environment's folder: the values kube-prometheus-stack needs. */
  readonly files: ReadonlyMap<string, string>;

  constructor(app: App, config: StackConfig) {
    checkStackConfig(config);
    check(config.mode === 'operator', 'StackConfig', 'mode', config.mode, "'operator' (the standalone stack is MonitoringStack)");
    const environment = config.environment ?? 'dev';
    check(typeof environment === 'string' && /^[a-z][a-z0-9-]*$/.test(environment), 'StackConfig', 'environment', environment, 'a lowercase name such as dev, staging or prod');
    const target = resolveOperatorSettings(config.operator);
    this.target = target;
    const labels = pruneLabels(environment);
    const chart = (name: string) => new Chart(app, name, { disableResourceNameHashes: true, labels });

    const namespaces = new Chart(app, '00-namespace', { disableResourceNameHashes: true });
    const namespace = new MonitoringNamespace(namespaces, 'namespace', { name: config.namespace, mode: 'shared-with-apps', ownLabels: labels }).name;
    this.namespace = namespace;
    check(namespace !== target.namespace, 'StackConfig', 'namespace', namespace,
      `a namespace other than the operator's (${target.namespace}): the AlertmanagerConfig routes alerts of its own namespace`);
    // The operator routes an AlertmanagerConfig's alerts by their `namespace` label, which every alert gets (over
    // its query's): an alert about a pod of another namespace would be routed, but labelled, as this one's.
    const watched = watchedNamespaces(config, namespace);
    check(watched.length === 1, 'StackConfig', 'watchedNamespaces', config.watchedNamespaces,
      `nothing in mode 'operator' (only ${namespace}): alerts are routed by their namespace label, set to ${namespace}`);

    const alerting = alertingSources(config, {
      ruleContext: { watchedNamespaces: watched, jobs: { ...target.jobs, postgresExporter: STANDALONE_JOBS.postgresExporter } },
      grafanaUrl: target.grafanaUrl,
      // `environment`: the standalone stack's external label, which the notification titles start with.
      alertLabels: { namespace, environment },
    });
    this.ruleGroups = alerting.ruleGroups;
    this.ruleFiles = withWatchdogSeverity(alerting.ruleFiles, OPERATOR_WATCHDOG_SEVERITY);
    this.dashboards = alerting.dashboardModels;
    validateRuleGroups(this.ruleGroups, { scrapeInterval: target.scrapeInterval, evaluationInterval: target.evaluationInterval });
    checkDashboards(alerting.dashboardModels, { catalog: alerting.catalog, rateInterval: target.scrapeInterval.times(4) });

    const postgresExporter = new PostgresExporter(chart('postgres-exporter'), 'postgres-exporter', { namespace, ...config.postgresExporter });
    new KnowtonMonitors(chart('monitors'), 'monitors', {
      namespace,
      appNamespaces: watched,
      postgresExporter: postgresExporter.scrapeTarget,
      podMonitorLabels: target.podMonitorSelector,
      serviceMonitorLabels: target.serviceMonitorSelector,
    });
    new KnowtonPrometheusRules(chart('prometheus-rules'), 'prometheus-rules', { namespace, ruleFiles: this.ruleFiles, labels: target.ruleSelector });
    this.alertmanagerYml = renderAlertmanagerConfig({ ...config.alertmanager }, 'StackConfig.alertmanager');
    new KnowtonAlertmanagerConfig(chart('alertmanager-config'), 'alertmanager-config', {
      namespace,
      config: this.alertmanagerYml,
      secrets: { secretsDir: DEFAULT_SECRETS_DIR, secretName: target.receiverSecretName, keys: target.receiverSecretKeys },
      labels: target.alertmanagerConfigSelector,
    });
    new KnowtonDashboardConfigMaps(chart('grafana-dashboards'), 'grafana-dashboards', {
      namespace: target.dashboardNamespace,
      dashboards: alerting.dashboardModels,
      labels: target.grafanaDashboardLabels,
    });
    this.files = new Map([[HELM_VALUES_FILE, toYaml(helmValues(target))]]);
  }
}

/**
 * The Watchdog's severity in an operator stack. kube-prometheus-stack's InfoInhibitor mutes every `severity=info`
 * alert of a namespace while none of its alerts is a warning or critical, which would silence KnowTon's heartbeat
 * whenever all is well and page through the dead man's switch; the chart's own Watchdog uses `none` for the same
 * reason. Routing does not read it: the heartbeat route matches the alert's name.
 */
export const OPERATOR_WATCHDOG_SEVERITY = 'none';

export function withWatchdogSeverity(files: Readonly<Record<string, { groups: object[] }>>, severity: string): Record<string, { groups: object[] }> {
  type File = { groups: Array<{ rules: Array<{ alert?: string; labels?: Record<string, string> }> }> };
  return Object.fromEntries(Object.entries(files).map(([name, file]) => [name, {
    ...file,
    groups: (file as File).groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => (r.alert === WATCHDOG_ALERTNAME ? { ...r, labels: { ...r.labels, severity } } : r)),
    })),
  }]));
}

/**
 * The kube-prometheus-stack values under which its Prometheus, Alertmanager and Grafana pick these resources up,
 * to merge into the release's values (`helm upgrade -f`).
 */
export function helmValues(target: OperatorTarget): object {
  const selector = (labels: Readonly<Record<string, string>>) => ({ matchLabels: { ...labels } });
  const [labelKey, labelValue] = Object.entries(target.grafanaDashboardLabels)[0];
  return {
    prometheus: {
      prometheusSpec: {
        // false: the selectors below are used as written (true would replace an empty one with `release: <release>`).
        ruleSelectorNilUsesHelmValues: false,
        ruleSelector: selector(target.ruleSelector),
        // Every namespace, the chart's default: naming only KnowTon's would drop the platform's own monitors and rules.
        ruleNamespaceSelector: {},
        podMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelector: selector(target.podMonitorSelector),
        podMonitorNamespaceSelector: {},
        serviceMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelector: selector(target.serviceMonitorSelector),
        serviceMonitorNamespaceSelector: {},
      },
    },
    alertmanager: {
      alertmanagerSpec: {
        alertmanagerConfigSelector: selector(target.alertmanagerConfigSelector),
        alertmanagerConfigNamespaceSelector: {},
        // The operator adds namespace="<namespace>" to the AlertmanagerConfig's top route and inhibit rules.
        alertmanagerConfigMatcherStrategy: { type: 'OnNamespace' },
      },
      // The message templates the receivers name (the chart's config loads /etc/alertmanager/config/*.tmpl).
      templateFiles: { [TEMPLATE_FILE]: TEMPLATE_SOURCE },
    },
    grafana: {
      sidecar: { dashboards: { enabled: true, label: labelKey, labelValue, searchNamespace: target.dashboardNamespace } },
    },
    // ServiceMissing and the resource alerts read the `app` label of pods and Deployments.
    'kube-state-metrics': { metricLabelsAllowlist: ['pods=[app]', 'deployments=[app]'] },
  };
}

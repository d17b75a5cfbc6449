import { App, Chart } from 'cdk8s';
import { checkStackConfig, StackConfig } from './config';
import { Alertmanager, ALERTMANAGER_DEFAULTS } from './components/alertmanager';
import { Grafana } from './components/grafana';
import { MonitoringIngress } from './components/ingress';
import { KubeStateMetrics } from './components/kube-state-metrics';
import { MonitoringNamespace } from './components/namespace';
import { Flow, NetworkPolicies } from './components/network-policy';
import { NodeExporter } from './components/node-exporter';
import { PostgresExporter } from './components/postgres-exporter';
import { Prometheus } from './components/prometheus';
import { pruneLabels } from './prune';
import { check } from './validate';
import { catalogWithRecordings, checkInhibitions, checkRuleConditions, RuleGroup, renderRuleFile, validateRuleGroups } from './alerting';
import { checkDashboards } from './dashboards/validate';
import { EVERY_RULE_CONTEXT, ruleGroups, RuleContext } from '../rules';
import { INHIBITIONS } from '../rules/inhibitions';
import { INSTRUMENTED_SERVICES } from './catalog';
import { dashboards } from '../dashboards';
import { alertPanelLinks, dashboardUrl } from './alerting/dashboard-links';
import { slos as sloDeclarations } from '../slos';
import { BURN_RATE_PANEL, sloDashboard } from '../dashboards/slo-dashboard';

/** The SLO dashboard's file, beside the four of dashboards/index.ts. */
export const SLO_DASHBOARD_FILE = 'slo-dashboard.json';
import { checkSlos, Slo, sloCatalog, renderSloRuleFile, SLO_RULE_FILE } from './slo';
import { checkQuery } from './promql';

/** The namespaces whose pods are scraped and watched by the Kubernetes alerts: the stack's and `watchedNamespaces`. */
export function watchedNamespaces(config: StackConfig, namespace: string): string[] {
  return [...new Set([namespace, ...(config.watchedNamespaces ?? [])])];
}

/** What both modes generate from rules/, slos/ and dashboards/: checked rule groups, rule files and dashboards. */
export interface AlertingSources {
  readonly ruleGroups: readonly RuleGroup[];
  readonly slos: readonly Slo[];
  /** Rule files by name, as Prometheus reads them (`{ groups }`). */
  readonly ruleFiles: Record<string, { groups: object[] }>;
  /** Dashboard models by file name. */
  readonly dashboardModels: Record<string, object>;
  /** The catalog with the recorded series, for the dashboard checks. */
  readonly catalog: ReturnType<typeof sloCatalog>;
}

export interface AlertingOptions {
  /** The rules' context but the expected services (from StackConfig). */
  readonly ruleContext: Omit<RuleContext, 'expectedServices'>;
  /** Grafana's external URL, for the alerts' dashboard links. */
  readonly grafanaUrl: string;
  /** Labels added to every alert (render option). @default none */
  readonly alertLabels?: Readonly<Record<string, string>>;
}

/** Whether the inhibitions were checked against every alert an environment can have: once per process, not per environment. */
let inhibitionsChecked = false;

/**
 * The rule groups of rules/ and the SLOs of slos/ with this environment's overrides, checked, and rendered into
 * rule files and dashboards: one function for the standalone stack and the operator resources, so both ship
 * the same groups.
 */
export function alertingSources(config: StackConfig, options: AlertingOptions): AlertingSources {
  const overrides = config.alerts ?? {};
  const groups = ruleGroups({ expectedServices: config.expectedServices ?? INSTRUMENTED_SERVICES, ...options.ruleContext });
  const known = groups.flatMap((g) => g.alerts.map((a) => a.name));
  for (const name of Object.keys(overrides)) {
    check(known.includes(name), 'StackConfig', 'alerts', name, `the name of an alert of rules/: ${known.join(', ')}`);
  }
  const ruleGroupsOf = groups.map((g) => g.mapAlerts((a) => (overrides[a.name] ? a.with('StackConfig', overrides[a.name]) : a)));
  // Units first: a threshold in the wrong dimension cannot even be rendered meaningfully.
  checkRuleConditions(ruleGroupsOf);
  // Alertmanager's inhibitions name alerts and labels of these rules: a typo would mute nothing. One whose
  // source this environment lacks (the Alertmanager cluster's alerts outside a cluster) mutes nothing here,
  // harmlessly: it is checked against every alert an environment can have.
  if (!inhibitionsChecked) {
    checkInhibitions(INHIBITIONS, ruleGroups(EVERY_RULE_CONTEXT));
    inhibitionsChecked = true;
  }
  checkInhibitions(INHIBITIONS.filter((inh) => known.includes(inh.source)), ruleGroupsOf);
  // SLOs: the declarations of slos/ with this environment's objectives, checked before rendering.
  const sloOverrides = config.slos ?? {};
  const declared = sloDeclarations();
  for (const id of Object.keys(sloOverrides)) {
    check(declared.some((s) => s.id === id), 'StackConfig', 'slos', id, `the id of an SLO of slos/: ${declared.map((s) => s.id).join(', ')}`);
  }
  const slos = declared.map((s) => (sloOverrides[s.id] ? s.with(sloOverrides[s.id]) : s));
  checkSlos(slos, (s) => (sloOverrides[s.id] ? `StackConfig.slos.${s.id}` : `slos/${s.id}`));
  const catalog = sloCatalog(slos, catalogWithRecordings(ruleGroupsOf).catalog);
  const sloRuleFile = renderSloRuleFile(slos);
  for (const rule of sloRuleFile.groups.flatMap((g) => (g as { rules: Array<{ expr: string; record?: string; alert?: string }> }).rules)) {
    checkQuery(rule.expr, { context: `slos/: ${rule.record ? `recording rule ${rule.record}` : `alert ${rule.alert}`}`, catalog });
  }
  // Every alert links to the panel that shows it, found in the dashboards Grafana will serve.
  const dashboardModels: Record<string, object> = { ...dashboards(ruleGroupsOf), [SLO_DASHBOARD_FILE]: sloDashboard(slos) };
  const dashboardUrls = new Map([...alertPanelLinks(ruleGroupsOf, dashboardModels)].map(([name, link]) => [name, dashboardUrl(options.grafanaUrl, link)]));
  const render = { dashboardUrls, alertLabels: options.alertLabels };
  const ruleFiles: Record<string, { groups: object[] }> = Object.fromEntries(ruleGroupsOf.map((g) => [g.fileName, renderRuleFile(g, render)]));
  // Each SLO alert opens the burn-rate panel of its own SLO.
  const sloModel = dashboardModels[SLO_DASHBOARD_FILE] as { uid: string; panels: Array<{ id: number; title: string; targets?: Array<{ expr: string }> }> };
  for (const s of slos) {
    const panel = sloModel.panels.find((p) => p.title === BURN_RATE_PANEL && p.targets?.some((t) => t.expr.includes(`slo="${s.id}"`)));
    check(panel !== undefined, `slos/${s.id}`, 'dashboard panel', BURN_RATE_PANEL, 'a burn-rate panel of this SLO on the SLO dashboard');
    for (const a of s.alerts) dashboardUrls.set(a.name, dashboardUrl(options.grafanaUrl, { uid: sloModel.uid, panelId: panel!.id, byService: false }));
  }
  ruleFiles[SLO_RULE_FILE] = renderSloRuleFile(slos, render);
  return { ruleGroups: ruleGroupsOf, slos, ruleFiles, dashboardModels, catalog };
}

/**
 * The whole monitoring stack. Each component is its own Chart, so it lands in its own file of dist/
 * (`<chart>.k8s.yaml`) and a pull request shows which component a change touches. The namespaces'
 * chart is `00-namespace` so that `kubectl apply -f dist`, which goes in file-name order, creates them first.
 */
export class MonitoringStack {
  readonly namespace: string;
  readonly hostNamespace: string;
  readonly prometheus: Prometheus;
  readonly postgresExporter: PostgresExporter;
  readonly alertmanager: Alertmanager;
  readonly grafana: Grafana;
  readonly ingress: MonitoringIngress;
  /** The alerting and recording rules Prometheus loads. */
  readonly ruleGroups: readonly RuleGroup[];
  /** The service level objectives, with this environment's overrides. */
  readonly slos: readonly Slo[];

  /** Adds one chart per component to `app` (charts must be the App's children to get plain file names). */
  constructor(app: App, config: StackConfig = {}) {
    checkStackConfig(config);
    check((config.mode ?? 'standalone') === 'standalone', 'StackConfig', 'mode', config.mode, "'standalone' here; an 'operator' profile is built by OperatorStack");
    const environment = config.environment ?? 'dev';
    check(typeof environment === 'string' && /^[a-z][a-z0-9-]*$/.test(environment), 'StackConfig', 'environment', environment,
      'a lowercase name such as dev, staging or prod');
    // Every object's metadata (not pod templates or selectors, which are immutable in places) carries
    // these, so `kubectl apply --prune -l` can select exactly this environment's objects (README, Apply).
    const labels = pruneLabels(environment);
    const chart = (name: string) => new Chart(app, name, { disableResourceNameHashes: true, labels });

    // Not the chart's labels here: a namespace shared with the applications must never be selected by the
    // stack's prune or delete labels; a dedicated one gets them from MonitoringNamespace.
    const namespaces = new Chart(app, '00-namespace', { disableResourceNameHashes: true });
    const mainNamespace = new MonitoringNamespace(namespaces, 'namespace', {
      name: config.namespace,
      mode: config.namespaceMode,
      enforce: config.podSecurityEnforce,
      ownLabels: labels,
    });
    const namespace = mainNamespace.name;
    // node-exporter needs host namespaces and paths, which only the `privileged` level admits; it gets a
    // namespace of its own (always the stack's own), so the stack's other pods never need that level.
    const hostNamespace = new MonitoringNamespace(namespaces, 'host-namespace', {
      name: config.hostNamespace ?? `${namespace}-node-exporter`,
      mode: 'dedicated',
      enforce: 'privileged',
      ownLabels: labels,
    }).name;
    check(hostNamespace !== namespace, 'StackConfig', 'hostNamespace', hostNamespace,
      `a namespace other than ${namespace}: node-exporter's namespace admits privileged pods and is the stack's own`);
    this.namespace = namespace;
    this.hostNamespace = hostNamespace;

    const ingress = new MonitoringIngress(chart('ingress'), 'ingress', {
      namespace,
      ...config.ingress,
      uis: [
        {
          name: 'prometheus',
          serviceName: Prometheus.SERVICE.name,
          servicePort: Prometheus.SERVICE.port,
          needsAuth: true,
          paths: Prometheus.UI_PATHS,
          forbiddenPaths: Prometheus.FORBIDDEN_PATHS,
        },
        // Grafana has its own login and authorizes its admin API itself: all of it is routed.
        { name: 'grafana', serviceName: Grafana.SERVICE.name, servicePort: Grafana.SERVICE.port, needsAuth: false },
        {
          name: 'alertmanager',
          serviceName: Alertmanager.SERVICE.name,
          servicePort: Alertmanager.SERVICE.port,
          needsAuth: true,
          paths: Alertmanager.UI_PATHS,
          forbiddenPaths: Alertmanager.FORBIDDEN_PATHS,
        },
      ],
    });
    this.ingress = ingress;

    const ksm = new KubeStateMetrics(chart('kube-state-metrics'), 'kube-state-metrics', { namespace, ...config.kubeStateMetrics });
    const nodeExporter = new NodeExporter(chart('node-exporter'), 'node-exporter', { namespace: hostNamespace, ...config.nodeExporter });
    this.postgresExporter = new PostgresExporter(chart('postgres-exporter'), 'postgres-exporter', { namespace, ...config.postgresExporter });

    this.alertmanager = new Alertmanager(chart('alertmanager'), 'alertmanager', {
      namespace,
      ...config.alertmanager,
      externalUrl: ingress.urls.alertmanager,
    });

    const watched = watchedNamespaces(config, namespace);
    const alerting = alertingSources(config, { ruleContext: ruleContextOf({ ...config, namespace }), grafanaUrl: ingress.urls.grafana });
    this.ruleGroups = alerting.ruleGroups;
    this.slos = alerting.slos;
    const { ruleFiles, dashboardModels, catalog: sloCatalogOf } = alerting;

    this.prometheus = new Prometheus(chart('prometheus'), 'prometheus', {
      namespace,
      ...config.prometheus,
      watchedNamespaces: watched,
      externalLabels: { environment, ...config.prometheus?.externalLabels },
      externalUrl: config.prometheus?.externalUrl ?? ingress.urls.prometheus,
      serviceTargets: [ksm.scrapeTarget, nodeExporter.scrapeTarget, this.postgresExporter.scrapeTarget, this.alertmanager.scrapeTarget],
      alertmanagers: this.alertmanager.alertmanagers,
      ruleFiles,
    });
    // Rules are checked against the intervals they run with (once Prometheus has accepted those): a
    // `for` or a rate window too short for the scrape interval fails synth here, naming the rule.
    validateRuleGroups(this.ruleGroups, {
      scrapeInterval: this.prometheus.scrapeInterval,
      evaluationInterval: this.prometheus.evaluationInterval,
    });

    // Dashboards get the rules' checks too: syntax, catalog metrics and labels, with Grafana's macros
    // substituted as Grafana does ($__rate_interval is at least four scrape intervals).
    checkDashboards(dashboardModels, {
      catalog: sloCatalogOf,
      rateInterval: this.prometheus.scrapeInterval.times(4),
    });
    this.grafana = new Grafana(chart('grafana'), 'grafana', {
      namespace,
      ...config.grafana,
      prometheusUrl: this.prometheus.url,
      alertmanagerUrl: this.alertmanager.url,
      scrapeInterval: this.prometheus.scrapeInterval,
      rootUrl: ingress.urls.grafana,
      dashboards: dashboardModels,
    });

    const net = config.network ?? {};
    const prometheus = { app: 'prometheus', namespace };
    const grafana = { app: 'grafana', namespace };
    const alertmanager = { app: 'alertmanager', namespace };
    const cluster = { cidr: net.clusterCidr ?? '0.0.0.0/0' };
    const anywhere = { cidr: '0.0.0.0/0' };
    const ingressController = {
      namespace: net.ingressControllerNamespace ?? 'ingress-nginx',
      podLabels: net.ingressControllerPodLabels ?? { 'app.kubernetes.io/name': 'ingress-nginx' },
    };
    const dns = { namespace: net.dnsNamespace ?? 'kube-system', podLabels: net.dnsPodLabels ?? { 'k8s-app': 'kube-dns' } };
    if (net.nodeLocalDns !== undefined) {
      check(typeof net.nodeLocalDns === 'string' && /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(net.nodeLocalDns), 'StackConfig', 'network.nodeLocalDns',
        net.nodeLocalDns, 'an IPv4 address such as 169.254.20.10 (the link-local address NodeLocal DNSCache listens on)');
    }
    const dnsPorts = [{ port: 53, protocol: 'UDP' as const }, { port: 53 }];
    const web = {
      prometheus: [{ port: Prometheus.SERVICE.port }],
      grafana: [{ port: Grafana.SERVICE.port }],
      alertmanager: [{ port: Alertmanager.SERVICE.port }],
    };
    const pods = [prometheus, grafana, alertmanager, { app: 'kube-state-metrics', namespace }, { app: 'postgres-exporter', namespace }];
    const flows: Flow[] = [
      ...pods.map((p) => ({ from: p, to: dns, ports: dnsPorts, why: 'DNS' })),
      // NodeLocal DNSCache answers on a link-local address of the node, outside the pod network.
      ...(net.nodeLocalDns !== undefined
        ? pods.map((p) => ({ from: p, to: { cidr: `${net.nodeLocalDns}/32` }, ports: dnsPorts, why: 'DNS through NodeLocal DNSCache' }))
        : []),
      { from: ingressController, to: prometheus, ports: web.prometheus, why: 'the Prometheus UI through the Ingress' },
      { from: ingressController, to: grafana, ports: web.grafana, why: 'the Grafana UI through the Ingress' },
      { from: ingressController, to: alertmanager, ports: web.alertmanager, why: 'the Alertmanager UI through the Ingress' },
      // cert-manager answers HTTP-01 challenges from solver pods it creates beside the Ingress.
      ...(config.ingress?.clusterIssuer !== undefined
        ? [{
          from: ingressController,
          to: { app: 'cm-acme-http-solver', namespace, podLabels: { 'acme.cert-manager.io/http01-solver': 'true' } },
          ports: [{ port: 8089 }],
          why: "the ACME HTTP-01 challenge through the Ingress to cert-manager's solver pod",
        }]
        : []),
      { from: grafana, to: prometheus, ports: web.prometheus, why: 'Grafana queries Prometheus' },
      { from: prometheus, to: prometheus, ports: web.prometheus, why: 'every Prometheus replica scrapes every replica, so an alert names the broken one' },
      { from: grafana, to: alertmanager, ports: web.alertmanager, why: 'Grafana shows alerts and silences' },
      { from: prometheus, to: alertmanager, ports: web.alertmanager, why: 'Prometheus sends alerts and scrapes Alertmanager' },
      {
        from: alertmanager,
        to: alertmanager,
        ports: [{ port: Alertmanager.CLUSTER_PORT }, { port: Alertmanager.CLUSTER_PORT, protocol: 'UDP' }],
        why: 'Alertmanager peers gossip',
      },
      {
        from: alertmanager,
        to: { cidr: net.notificationCidr ?? '0.0.0.0/0' },
        ports: [{ port: 443 }, { port: 587 }, { port: 465 }, { port: 25 }],
        why: 'notifications to Slack, PagerDuty, the heartbeat (https) and SMTP',
      },
      { from: prometheus, to: { namespaces: watched }, ports: [], why: 'scrape annotated application pods on their own ports' },
      { from: prometheus, to: { app: 'kube-state-metrics', namespace }, ports: [{ port: KubeStateMetrics.PORT }], why: 'scrape kube-state-metrics' },
      { from: prometheus, to: { app: 'postgres-exporter', namespace }, ports: [{ port: PostgresExporter.PORT }], why: 'scrape postgres-exporter' },
      { from: prometheus, to: { app: 'node-exporter', namespace: hostNamespace }, ports: [{ port: NodeExporter.PORT }], why: 'scrape node-exporter' },
      // node-exporter runs on the host network, so its address is a node address, not a pod address.
      { from: prometheus, to: cluster, ports: [{ port: NodeExporter.PORT }, { port: 10250 }], why: 'scrape node-exporter and the kubelets (cAdvisor) on node addresses' },
      { from: prometheus, to: cluster, ports: [{ port: 443 }, { port: 6443 }], why: 'Kubernetes service discovery through the API server' },
      { from: { app: 'kube-state-metrics', namespace }, to: cluster, ports: [{ port: 443 }, { port: 6443 }], why: 'kube-state-metrics watches the API server' },
      {
        from: { app: 'postgres-exporter', namespace },
        to: { cidr: net.postgresCidr ?? '0.0.0.0/0' },
        ports: [{ port: net.postgresPort ?? 5432 }],
        why: 'postgres-exporter queries PostgreSQL',
      },
      // Many CNIs match ipBlock against addresses outside the pod network only: a PostgreSQL pod beside the
      // applications needs a pod peer.
      {
        from: { app: 'postgres-exporter', namespace },
        to: { namespaces: watched },
        ports: [{ port: net.postgresPort ?? 5432 }],
        why: 'postgres-exporter queries a PostgreSQL pod in the watched namespaces',
      },
    ];
    for (const rw of config.prometheus?.remoteWrite ?? []) {
      const url = new URL(rw.url);
      flows.push({
        from: prometheus,
        to: anywhere,
        ports: [{ port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) }],
        why: `remote_write to ${url.host}`,
      });
    }
    new NetworkPolicies(chart('network-policies'), 'network-policies', {
      namespaces: [
        { name: namespace, shared: mainNamespace.mode === 'shared-with-apps' },
        { name: hostNamespace, shared: false },
      ],
      flows,
    });
  }
}

/** What an environment's rules depend on: its services and namespaces, remote write, the Alertmanager cluster. */
export function ruleContextOf(config: StackConfig): RuleContext {
  const namespace = config.namespace ?? 'knowton-dev';
  return {
    expectedServices: config.expectedServices ?? INSTRUMENTED_SERVICES,
    watchedNamespaces: watchedNamespaces(config, namespace),
    remoteWrite: (config.prometheus?.remoteWrite ?? []).length > 0,
    alertmanagerReplicas: config.alertmanager?.replicas ?? ALERTMANAGER_DEFAULTS.replicas,
  };
}

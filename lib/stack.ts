import { App, Chart } from 'cdk8s';
import { StackConfig } from './config';
import { Alertmanager } from './components/alertmanager';
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
import { RuleGroup, renderRuleFile, validateRuleGroups } from './alerting';
import { ruleGroups } from '../rules';
import { dashboards } from '../dashboards';

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

  /** Adds one chart per component to `app` (charts must be the App's children to get plain file names). */
  constructor(app: App, config: StackConfig = {}) {
    const environment = config.environment ?? 'dev';
    check(/^[a-z][a-z0-9-]*$/.test(environment), 'StackConfig', 'environment', environment,
      'a lowercase name such as dev, staging or prod');
    // Every object's metadata (not pod templates or selectors, which are immutable in places) carries
    // these, so `kubectl apply --prune -l` can select exactly this environment's objects (README, Apply).
    const labels = pruneLabels(environment);
    const chart = (name: string) => new Chart(app, name, { disableResourceNameHashes: true, labels });

    const namespaces = chart('00-namespace');
    const namespace = new MonitoringNamespace(namespaces, 'namespace', { name: config.namespace }).name;
    // node-exporter needs host namespaces and paths, which only the `privileged` level admits; it gets a
    // namespace of its own so that everything else stays under `restricted`.
    const hostNamespace = new MonitoringNamespace(namespaces, 'host-namespace', {
      name: config.hostNamespace ?? `${namespace}-node-exporter`,
      podSecurity: 'privileged',
    }).name;
    check(hostNamespace !== namespace, 'StackConfig', 'hostNamespace', hostNamespace,
      `a namespace other than ${namespace}, which enforces the restricted Pod Security level`);
    this.namespace = namespace;
    this.hostNamespace = hostNamespace;

    const ingress = new MonitoringIngress(chart('ingress'), 'ingress', {
      namespace,
      ...config.ingress,
      uis: [
        { name: 'prometheus', serviceName: Prometheus.SERVICE.name, servicePort: Prometheus.SERVICE.port, needsAuth: true },
        { name: 'grafana', serviceName: Grafana.SERVICE.name, servicePort: Grafana.SERVICE.port, needsAuth: false },
        { name: 'alertmanager', serviceName: Alertmanager.SERVICE.name, servicePort: Alertmanager.SERVICE.port, needsAuth: true },
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

    const overrides = config.alerts ?? {};
    const groups = ruleGroups();
    const known = groups.flatMap((g) => g.alerts.map((a) => a.name));
    for (const name of Object.keys(overrides)) {
      check(known.includes(name), 'StackConfig', 'alerts', name, `the name of an alert of rules/: ${known.join(', ')}`);
    }
    this.ruleGroups = groups.map((g) => g.mapAlerts((a) => (overrides[a.name] ? a.with('StackConfig', overrides[a.name]) : a)));
    const ruleFiles = Object.fromEntries(this.ruleGroups.map((g) => [g.fileName, renderRuleFile(g)]));

    const watched = [...new Set([namespace, ...(config.watchedNamespaces ?? [])])];
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

    this.grafana = new Grafana(chart('grafana'), 'grafana', {
      namespace,
      ...config.grafana,
      prometheusUrl: this.prometheus.url,
      alertmanagerUrl: this.alertmanager.url,
      scrapeInterval: this.prometheus.scrapeInterval,
      rootUrl: ingress.urls.grafana,
      dashboards: dashboards(this.ruleGroups),
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
    const web = {
      prometheus: [{ port: Prometheus.SERVICE.port }],
      grafana: [{ port: Grafana.SERVICE.port }],
      alertmanager: [{ port: Alertmanager.SERVICE.port }],
    };
    const pods = [prometheus, grafana, alertmanager, { app: 'kube-state-metrics', namespace }, { app: 'postgres-exporter', namespace }];
    const flows: Flow[] = [
      ...pods.map((p) => ({ from: p, to: dns, ports: [{ port: 53, protocol: 'UDP' as const }, { port: 53 }], why: 'DNS' })),
      { from: ingressController, to: prometheus, ports: web.prometheus, why: 'the Prometheus UI through the Ingress' },
      { from: ingressController, to: grafana, ports: web.grafana, why: 'the Grafana UI through the Ingress' },
      { from: ingressController, to: alertmanager, ports: web.alertmanager, why: 'the Alertmanager UI through the Ingress' },
      { from: grafana, to: prometheus, ports: web.prometheus, why: 'Grafana queries Prometheus' },
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
    new NetworkPolicies(chart('network-policies'), 'network-policies', { namespaces: [namespace, hostNamespace], flows });
  }
}

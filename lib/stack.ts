import { App, Chart } from 'cdk8s';
import { StackConfig } from './config';
import { KubeStateMetrics } from './components/kube-state-metrics';
import { MonitoringNamespace } from './components/namespace';
import { NodeExporter } from './components/node-exporter';
import { PostgresExporter } from './components/postgres-exporter';
import { Prometheus } from './components/prometheus';
import { check } from './validate';

/**
 * The whole monitoring stack. Each component is its own Chart, so it lands in its own file of dist/
 * (`<chart>.k8s.yaml`) and a pull request shows which component a change touches. The namespace's
 * chart is `00-namespace` so that `kubectl apply -f dist`, which goes in file-name order, creates it first.
 */
export class MonitoringStack {
  readonly namespace: string;
  readonly prometheus: Prometheus;
  readonly postgresExporter: PostgresExporter;

  /** Adds one chart per component to `app` (charts must be the App's children to get plain file names). */
  constructor(app: App, config: StackConfig = {}) {
    const environment = config.environment ?? 'dev';
    check(/^[a-z][a-z0-9-]*$/.test(environment), 'StackConfig', 'environment', environment,
      'a lowercase name such as dev, staging or prod');
    const chart = (name: string) => new Chart(app, name, { disableResourceNameHashes: true });

    this.namespace = new MonitoringNamespace(chart('00-namespace'), 'namespace', { name: config.namespace }).name;
    const namespace = this.namespace;

    const ksm = new KubeStateMetrics(chart('kube-state-metrics'), 'kube-state-metrics', { namespace, ...config.kubeStateMetrics });
    const nodeExporter = new NodeExporter(chart('node-exporter'), 'node-exporter', { namespace, ...config.nodeExporter });
    this.postgresExporter = new PostgresExporter(chart('postgres-exporter'), 'postgres-exporter', { namespace, ...config.postgresExporter });

    this.prometheus = new Prometheus(chart('prometheus'), 'prometheus', {
      namespace,
      ...config.prometheus,
      watchedNamespaces: config.watchedNamespaces,
      externalLabels: { environment, ...config.prometheus?.externalLabels },
      serviceTargets: [ksm.scrapeTarget, nodeExporter.scrapeTarget, this.postgresExporter.scrapeTarget],
      ruleFiles: {},
    });
  }
}

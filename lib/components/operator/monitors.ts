/**
 * The scrape targets as prometheus-operator resources: a PodMonitor for the annotated KnowTon application pods
 * and a ServiceMonitor for postgres-exporter, relabelled so that their series carry exactly the labels the
 * standalone stack's jobs give them (`job="knowton-<app>"`, `service`, `namespace`, `pod`; postgres-exporter's
 * `job`, `namespace`, `pod`, `node`). kube-state-metrics, node-exporter and cAdvisor are the operator stack's own.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { appPodRelabelings, ServiceScrapeTarget } from '../prometheus-config';
import { SelectorLabels } from './settings';

export const MONITORING_API = 'monitoring.coreos.com/v1';

export interface KnowtonMonitorsProps {
  /** Namespace of the monitors (the KnowTon namespace). */
  readonly namespace: string;
  /** Namespaces whose annotated pods are scraped. */
  readonly appNamespaces: readonly string[];
  /** postgres-exporter's Service, as the standalone stack scrapes it. */
  readonly postgresExporter: ServiceScrapeTarget;
  /** Labels the operator's `podMonitorSelector` matches. */
  readonly podMonitorLabels: SelectorLabels;
  /** Labels the operator's `serviceMonitorSelector` matches. */
  readonly serviceMonitorLabels: SelectorLabels;
}

/** Prometheus's snake_case relabel_config as the CRD's camelCase RelabelConfig. */
export function toRelabeling(r: Record<string, unknown>): Record<string, unknown> {
  const names: Record<string, string> = { source_labels: 'sourceLabels', target_label: 'targetLabel' };
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [names[k] ?? k, v]));
}

// The operator adds `container` and `endpoint` (and `service` for a ServiceMonitor) to every target; the
// standalone jobs do not, and a label more on `up` would change what the alerts group by.
const OPERATOR_ONLY_LABELS = { action: 'labeldrop', regex: 'container|endpoint|service' };

export class KnowtonMonitors extends Construct {
  constructor(scope: Construct, id: string, props: KnowtonMonitorsProps) {
    super(scope, id);
    new ApiObject(this, 'apps', {
      apiVersion: MONITORING_API,
      kind: 'PodMonitor',
      metadata: { name: 'knowton-apps', namespace: props.namespace, labels: { ...props.podMonitorLabels } },
      spec: {
        namespaceSelector: { matchNames: [...props.appNamespaces] },
        // The same relabelling keeps only annotated, running pods with an app label.
        selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
        podMetricsEndpoints: [{
          // After the app pod job's relabelling, which sets `service` itself: drop only what the operator adds.
          relabelings: [{ ...OPERATOR_ONLY_LABELS, regex: 'container|endpoint' }, ...appPodRelabelings().map(toRelabeling)],
        }],
      },
    });
    const pg = props.postgresExporter;
    new ApiObject(this, 'postgres-exporter', {
      apiVersion: MONITORING_API,
      kind: 'ServiceMonitor',
      metadata: { name: pg.jobName, namespace: props.namespace, labels: { ...props.serviceMonitorLabels } },
      spec: {
        namespaceSelector: { matchNames: [pg.namespace] },
        // The stack's Services carry their component's name, which is the Service's name (componentIdentity).
        selector: { matchLabels: { 'app.kubernetes.io/name': pg.serviceName } },
        endpoints: [{
          port: pg.portName,
          path: pg.metricsPath ?? '/metrics',
          relabelings: [
            OPERATOR_ONLY_LABELS,
            { targetLabel: 'job', replacement: pg.jobName },
            { sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
          ],
        }],
      },
    });
  }
}

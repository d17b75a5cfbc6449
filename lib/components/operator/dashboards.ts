/**
 * The dashboards as ConfigMaps for Grafana's dashboard sidecar (kube-prometheus-stack's
 * `grafana.sidecar.dashboards`), which loads every ConfigMap carrying its label. They already take their
 * datasource from the `datasource` variable, so they work with the operator stack's Prometheus.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { SelectorLabels } from './settings';

export interface KnowtonDashboardConfigMapsProps {
  /** A namespace the sidecar searches. */
  readonly namespace: string;
  /** Dashboard models by file name (`slo-dashboard.json`). */
  readonly dashboards: Readonly<Record<string, object>>;
  /** The sidecar's label. */
  readonly labels: SelectorLabels;
}

export class KnowtonDashboardConfigMaps extends Construct {
  constructor(scope: Construct, id: string, props: KnowtonDashboardConfigMapsProps) {
    super(scope, id);
    // One ConfigMap per dashboard: a ConfigMap holds at most 1 MiB, and the sidecar reloads only what changed.
    for (const [file, model] of Object.entries(props.dashboards)) {
      new ApiObject(this, file, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `knowton-dashboard-${file.replace(/(-dashboard)?\.json$/, '')}`, namespace: props.namespace, labels: { ...props.labels } },
        data: { [file]: JSON.stringify(model, null, 2) },
      });
    }
  }
}

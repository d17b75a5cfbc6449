import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { checkDnsLabel } from '../validate';

export interface MonitoringNamespaceProps {
  /** Name of the namespace every object of the stack lives in. @default 'knowton-dev' */
  readonly name?: string;
  /** Extra labels, e.g. Pod Security admission levels. @default {} */
  readonly labels?: Record<string, string>;
}

/** The stack's namespace. It is synthesized into the file that sorts first, so one `kubectl apply -f dist` works. */
export class MonitoringNamespace extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: MonitoringNamespaceProps = {}) {
    super(scope, id);
    this.name = props.name ?? 'knowton-dev';
    checkDnsLabel(this.node.path, 'name', this.name);
    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: this.name,
        labels: { 'app.kubernetes.io/part-of': 'knowton-monitoring', ...(props.labels ?? {}) },
      },
    });
  }
}

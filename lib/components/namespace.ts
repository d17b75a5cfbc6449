import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { checkDnsLabel } from '../validate';

/** Pod Security Standard levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

export interface MonitoringNamespaceProps {
  /** Name of the namespace. @default 'knowton-dev' */
  readonly name?: string;
  /** Pod Security level enforced by admission (and warned/audited at the same level). @default 'restricted' */
  readonly podSecurity?: PodSecurityLevel;
}

/**
 * A namespace of the stack, labelled for Pod Security admission. The stack synthesizes its namespaces
 * into the file that sorts first, so one `kubectl apply -f dist` works.
 */
export class MonitoringNamespace extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: MonitoringNamespaceProps = {}) {
    super(scope, id);
    this.name = props.name ?? 'knowton-dev';
    const level = props.podSecurity ?? 'restricted';
    checkDnsLabel(this.node.path, 'name', this.name);
    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: this.name,
        labels: {
          'app.kubernetes.io/part-of': 'knowton-monitoring',
          'pod-security.kubernetes.io/enforce': level,
          'pod-security.kubernetes.io/audit': level,
          'pod-security.kubernetes.io/warn': level,
        },
      },
    });
  }
}

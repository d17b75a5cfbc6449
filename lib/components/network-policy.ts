import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { componentLabels, selectorLabels } from './common';

/**
 * Pods of one component of the stack (`app.kubernetes.io/name`) in a namespace, or, with `podLabels`, pods
 * that are not the stack's but need a policy of its own (cert-manager's solver pods); `app` then names the policy.
 */
export interface Component {
  readonly app: string;
  readonly namespace: string;
  readonly podLabels?: Record<string, string>;
}

/** Who is at one end of a flow. */
export type Peer =
  | Component
  /** Every pod in these namespaces (the KnowTon applications Prometheus scrapes). */
  | { readonly namespaces: readonly string[] }
  /** An address range outside the pod network (kubelets, the API server, notification endpoints). */
  | { readonly cidr: string; readonly except?: readonly string[] }
  /** Pods chosen by labels in namespaces chosen by name (the ingress controller, cluster DNS). */
  | { readonly namespace: string; readonly podLabels: Record<string, string> };

export interface Port {
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP';
}

/** One allowed connection: `from` may open connections to `to` on `ports` (every port when empty). */
export interface Flow {
  readonly from: Peer;
  readonly to: Peer;
  readonly ports: readonly Port[];
  /** Why the flow exists; kept in the policy's annotation for reviewers. */
  readonly why: string;
}

/** A namespace that gets a default-deny policy. */
export interface PolicyNamespace {
  readonly name: string;
  /**
   * Whether application pods share it: then default deny covers only the stack's pods (label
   * `app.kubernetes.io/part-of: knowton-monitoring`), since the stack knows nothing of the applications' flows.
   */
  readonly shared: boolean;
}

/** The label every pod of the stack carries and no application pod does. */
export const STACK_POD_LABEL = { 'app.kubernetes.io/part-of': 'knowton-monitoring' };

export interface NetworkPoliciesProps {
  /** Namespaces that get a default-deny policy. */
  readonly namespaces: readonly PolicyNamespace[];
  /** Every flow the stack needs; nothing else is allowed to or from its pods. */
  readonly flows: readonly Flow[];
}

const isComponent = (p: Peer): p is Component => 'app' in p;
const sameComponent = (a: Component, b: Component) => a.app === b.app && a.namespace === b.namespace;
const podLabelsOf = (c: Component) => c.podLabels ?? selectorLabels(c.app);
const NS_LABEL = 'kubernetes.io/metadata.name';

function toPeer(p: Peer): k8s.NetworkPolicyPeer {
  if (isComponent(p)) {
    return { namespaceSelector: { matchLabels: { [NS_LABEL]: p.namespace } }, podSelector: { matchLabels: podLabelsOf(p) } };
  }
  if ('namespaces' in p) {
    return { namespaceSelector: { matchExpressions: [{ key: NS_LABEL, operator: 'In', values: [...p.namespaces] }] } };
  }
  if ('cidr' in p) return { ipBlock: { cidr: p.cidr, ...(p.except ? { except: [...p.except] } : {}) } };
  return { namespaceSelector: { matchLabels: { [NS_LABEL]: p.namespace } }, podSelector: { matchLabels: p.podLabels } };
}

function toPorts(ports: readonly Port[]): k8s.NetworkPolicyPort[] | undefined {
  return ports.length ? ports.map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), protocol: p.protocol ?? 'TCP' })) : undefined;
}

/**
 * Default deny for the stack's pods in every namespace of the stack (every pod of a namespace that is the
 * stack's own), then one policy per component that allows exactly the flows that start or end at it. The flows are declared in one list (see MonitoringStack), so a reviewer
 * reads the whole traffic matrix in one place.
 */
export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const labels = componentLabels('network-policy', 'network-policy', 'v1');
    for (const ns of props.namespaces) {
      new k8s.KubeNetworkPolicy(this, `default-deny-${ns.name}`, {
        metadata: { name: ns.shared ? 'default-deny-monitoring' : 'default-deny', namespace: ns.name, labels },
        spec: { podSelector: ns.shared ? { matchLabels: STACK_POD_LABEL } : {}, policyTypes: ['Ingress', 'Egress'] },
      });
    }

    const components: Component[] = [];
    for (const f of props.flows) {
      for (const end of [f.from, f.to]) {
        if (isComponent(end) && !components.some((c) => sameComponent(c, end))) components.push(end);
      }
    }
    for (const c of components) {
      const ingress = props.flows.filter((f) => isComponent(f.to) && sameComponent(f.to, c));
      const egress = props.flows.filter((f) => isComponent(f.from) && sameComponent(f.from, c));
      const why = [...ingress.map((f) => `in: ${f.why}`), ...egress.map((f) => `out: ${f.why}`)];
      new k8s.KubeNetworkPolicy(this, `${c.namespace}-${c.app}`, {
        metadata: { name: c.app, namespace: c.namespace, labels, annotations: { 'knowton.io/flows': why.join('; ') } },
        spec: {
          podSelector: { matchLabels: podLabelsOf(c) },
          // The stack's pods are isolated both ways; foreign pods only in the directions the stack allows.
          policyTypes: c.podLabels ? [...(ingress.length ? ['Ingress'] : []), ...(egress.length ? ['Egress'] : [])] : ['Ingress', 'Egress'],
          ...(ingress.length || !c.podLabels ? { ingress: ingress.map((f) => ({ from: [toPeer(f.from)], ports: toPorts(f.ports) })) } : {}),
          ...(egress.length || !c.podLabels ? { egress: egress.map((f) => ({ to: [toPeer(f.to)], ports: toPorts(f.ports) })) } : {}),
        },
      });
    }
  }
}

/**
 * A NetworkPolicy evaluator with the Kubernetes semantics (networking.k8s.io/v1): a pod is isolated in a
 * direction once any policy of that type selects it, and a connection passes only if the source's egress
 * and the destination's ingress both allow it. ipBlock peers are taken to match no pod address, as on the
 * many CNIs that apply them to traffic leaving the pod network only.
 */
import { K8sObject } from './helpers';

export interface Pod {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };

export function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpr = (selector.matchExpressions ?? []).every((e) => {
    switch (e.operator) {
      case 'In': return e.values!.includes(labels[e.key]);
      case 'NotIn': return !e.values!.includes(labels[e.key]);
      case 'Exists': return e.key in labels;
      case 'DoesNotExist': return !(e.key in labels);
      default: throw new Error(`operator ${e.operator}`);
    }
  });
  return byLabel && byExpr;
}

function peerMatches(peer: any, policyNamespace: string, pod: Pod): boolean {
  if (peer.ipBlock) return false;
  const nsLabels = { 'kubernetes.io/metadata.name': pod.namespace };
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, nsLabels) : pod.namespace === policyNamespace;
  return nsOk && selects(peer.podSelector, pod.labels);
}

const portMatches = (ports: any[] | undefined, port: number, protocol: string) =>
  !ports || ports.length === 0 || ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port));

function allowedOneWay(policies: K8sObject[], self: Pod, other: Pod, port: number, protocol: string, dir: 'Ingress' | 'Egress'): boolean {
  const applying = policies.filter((p) => p.metadata.namespace === self.namespace && (p.spec.policyTypes ?? ['Ingress']).includes(dir) && selects(p.spec.podSelector, self.labels));
  if (applying.length === 0) return true;
  return applying.some((p) => (p.spec[dir === 'Ingress' ? 'ingress' : 'egress'] ?? []).some((rule: any) => {
    const peers = rule[dir === 'Ingress' ? 'from' : 'to'];
    return portMatches(rule.ports, port, protocol) && (!peers || peers.some((peer: any) => peerMatches(peer, p.metadata.namespace!, other)));
  }));
}

/** Whether `from` may open a connection to `to` on `port`. */
export function allowed(objects: K8sObject[], from: Pod, to: Pod, port: number, protocol = 'TCP'): boolean {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  return allowedOneWay(policies, from, to, port, protocol, 'Egress') && allowedOneWay(policies, to, from, port, protocol, 'Ingress');
}

/** The pods of the stack's workloads, one per workload. */
export function stackPods(objects: K8sObject[]): Pod[] {
  return objects.filter((o) => ['StatefulSet', 'Deployment', 'DaemonSet'].includes(o.kind))
    .map((w) => ({ name: w.metadata.name!, namespace: w.metadata.namespace!, labels: w.spec.template.metadata.labels }));
}

function ipv4(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/** Whether `ip` is inside `cidr` (IPv4). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}

/** Whether `from` may open a connection to `ip` (an address outside the pod network) on `port`. */
export function allowedToAddress(objects: K8sObject[], from: Pod, ip: string, port: number, protocol = 'TCP'): boolean {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === from.namespace
    && (o.spec.policyTypes ?? ['Ingress']).includes('Egress') && selects(o.spec.podSelector, from.labels));
  if (policies.length === 0) return true;
  return policies.some((p) => (p.spec.egress ?? []).some((rule: any) => portMatches(rule.ports, port, protocol)
    && (!rule.to || rule.to.some((peer: any) => peer.ipBlock && inCidr(ip, peer.ipBlock.cidr)
      && !(peer.ipBlock.except ?? []).some((e: string) => inCidr(ip, e))))));
}

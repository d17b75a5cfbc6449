/**
 * A small model of what a cluster does with the synthesized objects, written for the tests from
 * the Kubernetes and Prometheus documentation, independently of lib/: label selectors, which pods
 * a Service selects and how its targetPort resolves, NetworkPolicy evaluation (the union of every
 * policy selecting a pod, egress at the source and ingress at the destination), RBAC as the
 * effective permissions of a ServiceAccount, and Prometheus's relabelling.
 */
import { K8sObject } from './helpers';

// ---------------------------------------------------------------------------------------------
// Selectors and workloads

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

/** Kubernetes label selector semantics; an empty selector selects everything. */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const ok = {
      In: has && (e.values ?? []).includes(labels[e.key]),
      NotIn: !has || !(e.values ?? []).includes(labels[e.key]),
      Exists: has,
      DoesNotExist: !has,
    }[e.operator];
    if (!ok) return false;
  }
  return true;
}

export interface Workload {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly podLabels: Record<string, string>;
  readonly spec: any;
  readonly object: K8sObject;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'];

export function workloads(objects: K8sObject[]): Workload[] {
  return objects.filter((o) => WORKLOAD_KINDS.includes(o.kind)).map((o) => ({
    kind: o.kind,
    name: o.metadata.name,
    namespace: o.metadata.namespace ?? 'default',
    replicas: o.kind === 'DaemonSet' ? 1 : o.spec.replicas ?? 1,
    podLabels: o.spec.template.metadata?.labels ?? {},
    spec: o.spec.template.spec,
    object: o,
  }));
}

export function workload(objects: K8sObject[], name: string): Workload {
  const w = workloads(objects).find((x) => x.name === name);
  if (!w) throw new Error(`no workload ${name}`);
  return w;
}

/** The workloads whose pods a Service selects (in its own namespace). */
export function selectedWorkloads(objects: K8sObject[], service: K8sObject): Workload[] {
  const sel = service.spec.selector as Record<string, string> | undefined;
  if (!sel) return [];
  return workloads(objects).filter((w) => w.namespace === service.metadata.namespace && selects({ matchLabels: sel }, w.podLabels));
}

/** The container port a port reference (name or number) resolves to in `containers`, or undefined. */
export function resolvePort(containers: any[], ref: string | number, protocol = 'TCP'): { container: any; port: any } | undefined {
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      const proto = p.protocol ?? 'TCP';
      if (proto !== protocol) continue;
      if (typeof ref === 'number' ? p.containerPort === ref : p.name === ref) return { container: c, port: p };
    }
  }
  return undefined;
}

/** Namespace labels as the API server sets them: the object's own plus kubernetes.io/metadata.name. */
export function namespaceLabels(objects: K8sObject[], name: string): Record<string, string> {
  const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === name);
  return { ...(ns?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicy

/** One end of a connection: a pod (namespace and labels, its container ports for named ports) or an address. */
export interface Endpoint {
  readonly pod?: { namespace: string; labels: Record<string, string>; containers?: any[]; hostNetwork?: boolean };
  readonly ip?: string;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  if (n === 0) return true;
  const mask = 2 ** 32 - 2 ** (32 - n);
  return (ipToInt(base) & mask) >>> 0 === (ipToInt(ip) & mask) >>> 0;
}

function peerMatches(objects: K8sObject[], policyNs: string, peer: any, other: Endpoint): boolean {
  if (peer.ipBlock) {
    if (!other.ip) return false;
    return cidrContains(peer.ipBlock.cidr, other.ip) && !(peer.ipBlock.except ?? []).some((c: string) => cidrContains(c, other.ip!));
  }
  if (!other.pod) return false;
  const nsOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, namespaceLabels(objects, other.pod.namespace))
    : other.pod.namespace === policyNs;
  return nsOk && selects(peer.podSelector, other.pod.labels);
}

function portMatches(rulePorts: any[] | undefined, port: number, protocol: string, dest: Endpoint): boolean {
  if (!rulePorts || rulePorts.length === 0) return true;
  return rulePorts.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') {
      // A named port is looked up in the destination pod's containers.
      const named = resolvePort(dest.pod?.containers ?? [], p.port, protocol);
      return named?.port.containerPort === port;
    }
    return p.endPort ? port >= p.port && port <= p.endPort : p.port === port;
  });
}

function policiesFor(objects: K8sObject[], pod: NonNullable<Endpoint['pod']>, type: 'Ingress' | 'Egress'): K8sObject[] {
  return objects.filter((o) => o.kind === 'NetworkPolicy'
    && o.metadata.namespace === pod.namespace
    && selects(o.spec.podSelector, pod.labels)
    && (o.spec.policyTypes ?? (type === 'Ingress' || o.spec.egress ? [type] : [])).includes(type));
}

/** Whether the policies selecting `from` (if any) let it open a connection to `to` on port/protocol. */
export function egressAllowed(objects: K8sObject[], from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  // Policies do not apply to host-network pods on most network plugins; neither does this model.
  if (!from.pod || from.pod.hostNetwork) return true;
  const policies = policiesFor(objects, from.pod, 'Egress');
  if (policies.length === 0) return true;
  return policies.some((p) => (p.spec.egress ?? []).some((rule: any) =>
    portMatches(rule.ports, port, protocol, to) && (!rule.to || rule.to.length === 0 || rule.to.some((peer: any) => peerMatches(objects, p.metadata.namespace!, peer, to)))));
}

/** Whether the policies selecting `to` (if any) let `from` in on port/protocol. */
export function ingressAllowed(objects: K8sObject[], from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  if (!to.pod || to.pod.hostNetwork) return true;
  const policies = policiesFor(objects, to.pod, 'Ingress');
  if (policies.length === 0) return true;
  return policies.some((p) => (p.spec.ingress ?? []).some((rule: any) =>
    portMatches(rule.ports, port, protocol, to) && (!rule.from || rule.from.length === 0 || rule.from.some((peer: any) => peerMatches(objects, p.metadata.namespace!, peer, from)))));
}

/** Whether the NetworkPolicies let `from` open a connection to `to` (egress at `from` and ingress at `to`). */
export function connectionAllowed(objects: K8sObject[], from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  return egressAllowed(objects, from, to, port, protocol) && ingressAllowed(objects, from, to, port, protocol);
}

/** A workload's pod as a connection endpoint. */
export function podOf(w: Workload, ip?: string): Endpoint {
  return { pod: { namespace: w.namespace, labels: w.podLabels, containers: w.spec.containers, hostNetwork: !!w.spec.hostNetwork }, ip };
}

// ---------------------------------------------------------------------------------------------
// RBAC

/** Effective permissions of a ServiceAccount as `namespace|apiGroup|resource|verb` ('*' namespace: cluster-wide). */
export function permissions(objects: K8sObject[], saNamespace: string, saName: string): string[] {
  const isSubject = (b: K8sObject) => (b.subjects ?? []).some((s: any) => s.kind === 'ServiceAccount' && s.name === saName && s.namespace === saNamespace);
  const rulesOf = (kind: string, name: string, ns?: string): any[] => {
    const role = objects.find((o) => o.kind === kind && o.metadata.name === name && (kind === 'ClusterRole' || o.metadata.namespace === ns));
    if (!role) throw new Error(`binding refers to missing ${kind} ${ns ?? ''}/${name}`);
    return role.rules ?? [];
  };
  const out = new Set<string>();
  const add = (scope: string, rules: any[]) => {
    for (const r of rules) for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs ?? []) out.add(`${scope}|${g}|${res}|${v}`);
  };
  for (const b of objects.filter((o) => o.kind === 'ClusterRoleBinding' && isSubject(o))) add('*', rulesOf(b.roleRef.kind, b.roleRef.name));
  for (const b of objects.filter((o) => o.kind === 'RoleBinding' && isSubject(o))) add(b.metadata.namespace!, rulesOf(b.roleRef.kind, b.roleRef.name, b.metadata.namespace));
  return [...out].sort();
}

// ---------------------------------------------------------------------------------------------
// Prometheus relabelling

export interface RelabelConfig {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  target_label?: string;
  replacement?: string;
  action?: string;
  modulus?: number;
}

/** `$1`, `${1}` and `${name}` in a replacement, from a RegExp match. */
function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(?:\{(\w+)\}|(\d+))/g, (_, braced, bare) => {
    const key = braced ?? bare;
    const v = /^\d+$/.test(key) ? m[Number(key)] : m.groups?.[key];
    return v ?? '';
  });
}

/**
 * Applies relabel_configs as Prometheus does: regexes fully anchored, defaults (separator `;`,
 * regex `(.*)`, replacement `$1`, action replace). Returns undefined when the target is dropped.
 */
export function relabel(labels: Record<string, string>, configs: RelabelConfig[]): Record<string, string> | undefined {
  let ls = { ...labels };
  for (const c of configs) {
    const action = c.action ?? 'replace';
    const re = new RegExp(`^(?:${c.regex ?? '(.*)'})$`);
    const value = (c.source_labels ?? []).map((l) => ls[l] ?? '').join(c.separator ?? ';');
    switch (action) {
      case 'keep':
        if (!re.test(value)) return undefined;
        break;
      case 'drop':
        if (re.test(value)) return undefined;
        break;
      case 'replace': {
        const m = re.exec(value);
        if (!m) break;
        const target = expand(c.target_label ?? '', m);
        const v = expand(c.replacement ?? '$1', m);
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(target)) break;
        if (v === '') delete ls[target];
        else ls[target] = v;
        break;
      }
      case 'labelmap': {
        const next = { ...ls };
        for (const [k, v] of Object.entries(ls)) {
          const m = re.exec(k);
          if (m) next[expand(c.replacement ?? '$1', m)] = v;
        }
        ls = next;
        break;
      }
      case 'labeldrop':
        ls = Object.fromEntries(Object.entries(ls).filter(([k]) => !re.test(k)));
        break;
      case 'labelkeep':
        ls = Object.fromEntries(Object.entries(ls).filter(([k]) => re.test(k)));
        break;
      case 'lowercase':
      case 'uppercase':
        ls[c.target_label!] = action === 'lowercase' ? value.toLowerCase() : value.toUpperCase();
        break;
      default:
        throw new Error(`relabel action ${action} is not modelled`);
    }
  }
  return ls;
}

/**
 * What a scrape target's labels become: the job's relabel_configs over the discovered labels
 * (with job, __scheme__ and __metrics_path__ preset from the job), then `instance` from
 * `__address__` unless set, and every `__`-prefixed label removed.
 */
export function targetLabels(job: any, discovered: Record<string, string>): { labels: Record<string, string>; address: string; scheme: string; path: string } | undefined {
  const start = {
    job: job.job_name,
    __scheme__: job.scheme ?? 'http',
    __metrics_path__: job.metrics_path ?? '/metrics',
    ...discovered,
  };
  const out = relabel(start, job.relabel_configs ?? []);
  if (!out) return undefined;
  if (!out.instance) out.instance = out.__address__;
  const labels = Object.fromEntries(Object.entries(out).filter(([k]) => !k.startsWith('__')));
  return { labels, address: out.__address__, scheme: out.__scheme__, path: out.__metrics_path__ };
}

/**
 * What changed between two versions of one environment's dist/, in the terms a reviewer asks about:
 * objects, images, alert rules, Alertmanager routes and receivers, dashboard panels, RBAC and
 * NetworkPolicies. Each section is a list of Markdown lines, empty when nothing changed there.
 */
import { isDeepStrictEqual } from 'util';
import { parse, parseAllDocuments } from 'yaml';
import { EnvironmentFiles } from './tree';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: any;
}

export interface EnvironmentReview {
  readonly objects: { readonly added: string[]; readonly removed: string[]; readonly changed: ReadonlyArray<{ readonly id: string; readonly paths: string[] }> };
  readonly images: string[];
  readonly alerts: string[];
  readonly alertmanager: string[];
  readonly dashboards: string[];
  readonly rbac: string[];
  readonly networkPolicies: string[];
}

const code = (s: unknown): string => `\`${String(s).replace(/`/g, "'")}\``;
const change = (what: string, a: unknown, b: unknown): string => `${what} ${code(a ?? 'none')} → ${code(b ?? 'none')}`;

function objectId(o: K8sObject): string {
  return o.metadata.namespace ? `${o.kind} ${o.metadata.namespace}/${o.metadata.name}` : `${o.kind} ${o.metadata.name}`;
}

function loadObjects(files: ReadonlyMap<string, string>): Map<string, K8sObject> {
  const objects = new Map<string, K8sObject>();
  for (const name of [...files.keys()].sort()) {
    for (const doc of parseAllDocuments(files.get(name)!)) {
      const o = doc.toJS() as K8sObject | null;
      if (o?.kind && o.metadata?.name) objects.set(objectId(o), o);
    }
  }
  return objects;
}

/** Paths (up to `depth` keys deep) where two values differ, e.g. `spec.template`, `data.alertmanager.yml`. */
function changedPaths(a: any, b: any, depth: number, prefix = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const isObj = (x: any) => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (depth === 0 || !isObj(a) || !isObj(b)) return [prefix || '(value)'];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((k) => changedPaths(a[k], b[k], depth - 1, prefix ? `${prefix}.${k}` : k));
}

/** Added, removed and common keys of two maps, each sorted. */
function keyDiff<T>(a: ReadonlyMap<string, T>, b: ReadonlyMap<string, T>): { added: string[]; removed: string[]; common: string[] } {
  return {
    added: [...b.keys()].filter((k) => !a.has(k)).sort(),
    removed: [...a.keys()].filter((k) => !b.has(k)).sort(),
    common: [...a.keys()].filter((k) => b.has(k)).sort(),
  };
}

// ---- images

function containerImages(o: K8sObject): Map<string, string> {
  const pod = o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
  const containers = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])] as Array<{ name: string; image: string }>;
  return new Map(containers.map((c) => [c.name, c.image]));
}

function images(before: Map<string, K8sObject>, after: Map<string, K8sObject>): string[] {
  const lines: string[] = [];
  for (const id of keyDiff(before, after).common) {
    const [a, b] = [containerImages(before.get(id)!), containerImages(after.get(id)!)];
    for (const c of [...b.keys()].sort()) {
      if (a.has(c) && a.get(c) !== b.get(c)) lines.push(`${code(id)} container ${code(c)}: ${code(a.get(c))} → ${code(b.get(c))}`);
      if (!a.has(c)) lines.push(`${code(id)} container ${code(c)} added: ${code(b.get(c))}`);
    }
  }
  return lines;
}

// ---- alert rules

interface Rule { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }

function rules(objects: Map<string, K8sObject>): Map<string, Rule> {
  const out = new Map<string, Rule>();
  for (const o of objects.values()) {
    if (o.kind !== 'ConfigMap') continue;
    for (const [key, text] of Object.entries<string>(o.data ?? {})) {
      if (!/\.rules\.ya?ml$/.test(key)) continue;
      for (const g of (parse(text)?.groups ?? []) as Array<{ rules: Rule[] }>) {
        for (const r of g.rules ?? []) out.set(r.alert ? r.alert : `record ${r.record}`, r);
      }
    }
  }
  return out;
}

const THRESHOLD = /^([\s\S]*?)\s*(==|!=|>=|<=|>|<)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*$/i;

function exprChange(a: string, b: string): string[] {
  if (a === b) return [];
  const [ma, mb] = [THRESHOLD.exec(a), THRESHOLD.exec(b)];
  if (ma && mb && ma[1] === mb[1]) return [change('threshold', `${ma[2]} ${ma[3]}`, `${mb[2]} ${mb[3]}`)];
  return [change('expression', a, b)];
}

function ruleChanges(a: Rule, b: Rule): string[] {
  const out = exprChange(a.expr, b.expr);
  if ((a.for ?? '') !== (b.for ?? '')) out.push(change('for', a.for, b.for));
  const [la, lb] = [a.labels ?? {}, b.labels ?? {}];
  for (const k of [...new Set([...Object.keys(la), ...Object.keys(lb)])].sort()) {
    if (la[k] !== lb[k]) out.push(change(k === 'severity' ? 'severity' : `label ${k}`, la[k], lb[k]));
  }
  const [aa, ab] = [a.annotations ?? {}, b.annotations ?? {}];
  const annotations = [...new Set([...Object.keys(aa), ...Object.keys(ab)])].filter((k) => aa[k] !== ab[k]).sort();
  if (annotations.length) out.push(`annotations ${annotations.join(', ')}`);
  return out;
}

function alerts(before: Map<string, K8sObject>, after: Map<string, K8sObject>): string[] {
  const [a, b] = [rules(before), rules(after)];
  const { added, removed, common } = keyDiff(a, b);
  const describe = (r: Rule) => (r.alert ? `${r.labels?.severity ?? 'no severity'}${r.for ? `, for ${r.for}` : ''}: ${code(r.expr)}` : code(r.expr));
  return [
    ...added.map((n) => `added ${code(n)} (${describe(b.get(n)!)})`),
    ...removed.map((n) => `removed ${code(n)} (${describe(a.get(n)!)})`),
    ...common.flatMap((n) => {
      const changes = ruleChanges(a.get(n)!, b.get(n)!);
      return changes.length ? [`changed ${code(n)}: ${changes.join('; ')}`] : [];
    }),
  ];
}

// ---- Alertmanager

const ROUTE_SETTINGS = ['group_by', 'group_wait', 'group_interval', 'repeat_interval', 'continue', 'mute_time_intervals', 'active_time_intervals'];

/** Every leaf route (and the root), with its matchers from the root down and the settings it inherits. */
function flattenRoutes(route: any, parent: { matchers: string[]; settings: Record<string, unknown>; receiver?: string } = { matchers: [], settings: {} }, out = new Map<string, Record<string, unknown>>()): Map<string, Record<string, unknown>> {
  const legacy = [
    ...Object.entries<string>(route.match ?? {}).map(([k, v]) => `${k}="${v}"`),
    ...Object.entries<string>(route.match_re ?? {}).map(([k, v]) => `${k}=~"${v}"`),
  ];
  const matchers = [...parent.matchers, ...(route.matchers ?? []), ...legacy];
  const inherited = Object.fromEntries(ROUTE_SETTINGS.filter((k) => k !== 'continue').map((k) => [k, route[k] ?? parent.settings[k]]));
  const receiver = route.receiver ?? parent.receiver;
  const children = (route.routes ?? []) as any[];
  if (children.length === 0 || parent.matchers.length === 0 && Object.keys(parent.settings).length === 0) {
    let key = `${matchers.length ? matchers.join(', ') : 'every alert (default)'} → ${receiver}`;
    for (let i = 2; out.has(key); i++) key = `${key.replace(/ #\d+$/, '')} #${i}`;
    out.set(key, { ...inherited, continue: route.continue ?? false });
  }
  for (const child of children) flattenRoutes(child, { matchers, settings: inherited, receiver }, out);
  return out;
}

function alertmanagerConfig(objects: Map<string, K8sObject>): { config: any; other: Record<string, string> } | undefined {
  for (const o of objects.values()) {
    if (o.kind === 'ConfigMap' && typeof o.data?.['alertmanager.yml'] === 'string') {
      const { 'alertmanager.yml': yml, ...other } = o.data;
      return { config: parse(yml), other };
    }
  }
  return undefined;
}

function alertmanager(before: Map<string, K8sObject>, after: Map<string, K8sObject>): string[] {
  const [a, b] = [alertmanagerConfig(before), alertmanagerConfig(after)];
  if (!a && !b) return [];
  if (!a || !b) return [b ? 'Alertmanager configuration added' : 'Alertmanager configuration removed'];
  const lines: string[] = [];
  const [ra, rb] = [flattenRoutes(a.config.route ?? {}), flattenRoutes(b.config.route ?? {})];
  const routes = keyDiff(ra, rb);
  lines.push(...routes.added.map((k) => `route added: ${code(k)}`), ...routes.removed.map((k) => `route removed: ${code(k)}`));
  for (const k of routes.common) {
    const changed = ROUTE_SETTINGS.filter((s) => !isDeepStrictEqual(ra.get(k)![s], rb.get(k)![s]));
    if (changed.length) lines.push(`route changed: ${code(k)}: ${changed.map((s) => change(s, ra.get(k)![s], rb.get(k)![s])).join('; ')}`);
  }
  const receivers = (c: any) => new Map<string, any>((c.receivers ?? []).map((r: any) => [r.name, r]));
  const [va, vb] = [receivers(a.config), receivers(b.config)];
  const recv = keyDiff(va, vb);
  const kinds = (r: any) => Object.keys(r).filter((k) => k !== 'name').sort().join(', ') || 'no integrations';
  lines.push(...recv.added.map((n) => `receiver added: ${code(n)} (${kinds(vb.get(n))})`), ...recv.removed.map((n) => `receiver removed: ${code(n)} (${kinds(va.get(n))})`));
  for (const n of recv.common) {
    const changed = changedPaths(va.get(n), vb.get(n), 1);
    if (changed.length) lines.push(`receiver changed: ${code(n)}: ${changed.join(', ')}`);
  }
  const inhibit = (c: any) => new Map<string, unknown>((c.inhibit_rules ?? []).map((r: any) => [JSON.stringify(r), r]));
  const inh = keyDiff(inhibit(a.config), inhibit(b.config));
  lines.push(...inh.added.map((r) => `inhibition added: ${code(r)}`), ...inh.removed.map((r) => `inhibition removed: ${code(r)}`));
  for (const path of changedPaths(a.config, b.config, 1).filter((p) => !['route', 'receivers', 'inhibit_rules'].includes(p))) {
    lines.push(`${code(path)} changed`);
  }
  for (const file of changedPaths(a.other, b.other, 1)) lines.push(`${code(file)} changed`);
  return lines;
}

// ---- dashboards

function panels(model: any): Map<string, any> {
  const out = new Map<string, any>();
  const all = (model.panels ?? []).flatMap((p: any) => [p, ...(p.panels ?? [])]);
  for (const p of all) {
    if (p.type === 'row') continue;
    let key = p.title || `panel ${p.id}`;
    for (let i = 2; out.has(key); i++) key = `${p.title || `panel ${p.id}`} #${i}`;
    out.set(key, p);
  }
  return out;
}

function dashboards(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const lines: string[] = [];
  const files = keyDiff(before, after);
  const title = (text: string) => JSON.parse(text).title;
  lines.push(...files.added.map((f) => `dashboard added: ${code(f)} (${title(after.get(f)!)})`));
  lines.push(...files.removed.map((f) => `dashboard removed: ${code(f)} (${title(before.get(f)!)})`));
  for (const f of files.common) {
    const [pa, pb] = [panels(JSON.parse(before.get(f)!)), panels(JSON.parse(after.get(f)!))];
    const p = keyDiff(pa, pb);
    lines.push(...p.added.map((t) => `${code(f)}: panel added ${code(t)}`), ...p.removed.map((t) => `${code(f)}: panel removed ${code(t)}`));
    for (const t of p.common) {
      const targets = (panel: any) => new Map<string, string>((panel.targets ?? []).map((x: any) => [x.refId, x.expr]));
      const [ta, tb] = [targets(pa.get(t)), targets(pb.get(t))];
      const q = keyDiff(ta, tb);
      for (const r of q.added) lines.push(`${code(f)}: panel ${code(t)} query ${r} added: ${code(tb.get(r))}`);
      for (const r of q.removed) lines.push(`${code(f)}: panel ${code(t)} query ${r} removed: ${code(ta.get(r))}`);
      for (const r of q.common.filter((r) => ta.get(r) !== tb.get(r))) lines.push(`${code(f)}: panel ${code(t)} query ${r}: ${code(ta.get(r))} → ${code(tb.get(r))}`);
      const other = changedPaths({ ...pa.get(t), targets: undefined }, { ...pb.get(t), targets: undefined }, 1);
      if (other.length) lines.push(`${code(f)}: panel ${code(t)}: ${other.join(', ')} changed`);
    }
    const rest = changedPaths({ ...JSON.parse(before.get(f)!), panels: undefined }, { ...JSON.parse(after.get(f)!), panels: undefined }, 1);
    if (rest.length) lines.push(`${code(f)}: ${rest.join(', ')} changed`);
  }
  return lines;
}

// ---- RBAC and NetworkPolicies

const RBAC_KINDS = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];

function rbacRule(r: any): string {
  const groups = (r.apiGroups ?? []).map((g: string) => g || 'core').join(',');
  const what = r.nonResourceURLs ? r.nonResourceURLs.join(',') : `${(r.resources ?? []).join(',')}${groups ? ` (${groups})` : ''}`;
  return `${(r.verbs ?? []).join(',')} ${what}${r.resourceNames ? ` named ${r.resourceNames.join(',')}` : ''}`;
}

function rbacFacts(o: K8sObject): string[] {
  if (o.kind.endsWith('Binding')) {
    return [`roleRef ${o.roleRef?.kind} ${o.roleRef?.name}`, ...(o.subjects ?? []).map((s: any) => `subject ${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`)];
  }
  return (o.rules ?? []).map(rbacRule);
}

function peer(p: any): string {
  const labels = (sel: any) => [
    ...Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(sel.matchExpressions ?? []).map((e: any) => `${e.key} ${e.operator}${e.values ? ` (${e.values.join(',')})` : ''}`),
  ].join(',') || 'all';
  const parts = [
    p.namespaceSelector ? `namespaces ${labels(p.namespaceSelector)}` : undefined,
    p.podSelector ? `pods ${labels(p.podSelector)}` : undefined,
    p.ipBlock ? `${p.ipBlock.cidr}${p.ipBlock.except ? ` except ${p.ipBlock.except.join(',')}` : ''}` : undefined,
  ].filter(Boolean);
  return parts.join(' ');
}

function policyRules(o: K8sObject): string[] {
  const ports = (r: any) => (r.ports ?? []).map((p: any) => `${p.protocol ?? 'TCP'}/${p.port ?? 'any'}`).join(',') || 'any port';
  return [
    ...(o.spec?.ingress ?? []).map((r: any) => `ingress from ${(r.from ?? []).map(peer).join(' | ') || 'anywhere'} on ${ports(r)}`),
    ...(o.spec?.egress ?? []).map((r: any) => `egress to ${(r.to ?? []).map(peer).join(' | ') || 'anywhere'} on ${ports(r)}`),
  ];
}

function called(kinds: (k: string) => boolean, facts: (o: K8sObject) => string[], before: Map<string, K8sObject>, after: Map<string, K8sObject>): string[] {
  const pick = (m: Map<string, K8sObject>) => new Map([...m].filter(([, o]) => kinds(o.kind)));
  const [a, b] = [pick(before), pick(after)];
  const d = keyDiff(a, b);
  const lines = [
    ...d.added.map((id) => `added ${code(id)}: ${facts(b.get(id)!).join('; ') || 'nothing'}`),
    ...d.removed.map((id) => `removed ${code(id)}`),
  ];
  for (const id of d.common) {
    // Labels and annotations alone are listed with the objects; here only what grants or allows.
    if (isDeepStrictEqual({ ...a.get(id), metadata: undefined }, { ...b.get(id), metadata: undefined })) continue;
    const [fa, fb] = [facts(a.get(id)!), facts(b.get(id)!)];
    const details = [...fb.filter((f) => !fa.includes(f)).map((f) => `+ ${f}`), ...fa.filter((f) => !fb.includes(f)).map((f) => `- ${f}`)];
    lines.push(`changed ${code(id)}: ${details.length ? details.join('; ') : changedPaths(a.get(id), b.get(id), 2).join(', ')}`);
  }
  return lines;
}

// ---- all of it

export function reviewEnvironment(before: EnvironmentFiles, after: EnvironmentFiles): EnvironmentReview {
  const [a, b] = [loadObjects(before.manifests), loadObjects(after.manifests)];
  const d = keyDiff(a, b);
  return {
    objects: {
      added: d.added.map(code),
      removed: d.removed.map(code),
      changed: d.common.flatMap((id) => {
        const paths = changedPaths(a.get(id), b.get(id), 2);
        return paths.length ? [{ id: code(id), paths }] : [];
      }),
    },
    images: images(a, b),
    alerts: alerts(a, b),
    alertmanager: alertmanager(a, b),
    dashboards: dashboards(before.dashboards, after.dashboards),
    rbac: called((k) => RBAC_KINDS.includes(k), rbacFacts, a, b),
    networkPolicies: called((k) => k === 'NetworkPolicy', policyRules, a, b),
  };
}

export function isEmpty(r: EnvironmentReview): boolean {
  const { objects, ...sections } = r;
  return Object.values(objects).every((x) => x.length === 0) && Object.values(sections).every((x) => x.length === 0);
}

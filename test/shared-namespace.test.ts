/**
 * The stack shares its namespace with the KnowTon applications (the spec's knowton-dev): its NetworkPolicies
 * and Pod Security labels must leave the applications' traffic and rollouts alone, in every environment.
 * The flows are checked with a NetworkPolicy evaluator (test/netpol.ts) on the synthesized policies.
 */
import { StackConfig, environmentConfig, standaloneEnvironmentNames } from '../lib/config';
import { findObject, K8sObject, loadObjects, synthAllEnvironments, synthTo } from './helpers';
import { Pod, allowed, selects, stackPods } from './netpol';

const names = standaloneEnvironmentNames();
let objectsOf: Record<string, K8sObject[]> = {};

beforeAll(() => {
  objectsOf = synthAllEnvironments();
});

const ingressNginx: Pod = { name: 'ingress-nginx', namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
const coredns: Pod = { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
const app = (ns: string, name: string): Pod => ({ name, namespace: ns, labels: { app: name, 'app.kubernetes.io/name': name } });
const pod = (objects: K8sObject[], name: string) => stackPods(objects).find((p) => p.name === name)!;

describe.each(names)('%s: the applications beside the stack', (name) => {
  const objects = () => objectsOf[name];
  const ns = () => environmentConfig(name).namespace!;

  test("the applications' flows pass: ingress -> backend, backend -> PostgreSQL and DNS, Prometheus -> backend", () => {
    const backend = app(ns(), 'backend');
    const postgres = app(ns(), 'postgres');
    const flows: Array<[string, Pod, Pod, number, string?]> = [
      ['ingress-nginx -> backend', ingressNginx, backend, 3000],
      ['backend -> postgres', backend, postgres, 5432],
      ['backend -> DNS', backend, coredns, 53, 'UDP'],
      ['Prometheus -> backend', pod(objects(), 'prometheus'), backend, 3000],
      ['postgres-exporter -> in-namespace PostgreSQL', pod(objects(), 'postgres-exporter'), postgres, 5432],
    ];
    for (const [what, from, to, port, protocol] of flows) expect([what, allowed(objects(), from, to, port, protocol)]).toEqual([what, true]);
  });

  test("the stack's own flows pass and its pods stay closed to the applications", () => {
    const backend = app(ns(), 'backend');
    const o = objects();
    expect(allowed(o, ingressNginx, pod(o, 'grafana'), 3000)).toBe(true);
    expect(allowed(o, pod(o, 'grafana'), pod(o, 'prometheus'), 9090)).toBe(true);
    expect(allowed(o, pod(o, 'prometheus'), pod(o, 'kube-state-metrics'), 8080)).toBe(true);
    expect(allowed(o, pod(o, 'grafana'), coredns, 53, 'UDP')).toBe(true);
    // An application pod may not reach Prometheus, Grafana or Alertmanager directly, nor Grafana the applications.
    expect(allowed(o, backend, pod(o, 'prometheus'), 9090)).toBe(false);
    expect(allowed(o, backend, pod(o, 'alertmanager'), 9093)).toBe(false);
    expect(allowed(o, pod(o, 'grafana'), backend, 3000)).toBe(false);
  });

  test('no NetworkPolicy selects an application pod; default deny selects every pod of the stack', () => {
    const policies = objects().filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === ns());
    for (const p of policies) expect([p.metadata.name, selects(p.spec.podSelector, app(ns(), 'backend').labels)]).toEqual([p.metadata.name, false]);
    const deny = findObject(objects(), 'NetworkPolicy', 'default-deny-monitoring');
    expect(deny.spec).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'knowton-monitoring' } }, policyTypes: ['Ingress', 'Egress'] });
    for (const p of stackPods(objects())) expect([p.name, selects(deny.spec.podSelector, p.labels)]).toEqual([p.name, true]);
  });

  test('the shared namespace is warned and audited at restricted but enforces nothing, and is not labelled part of the stack', () => {
    expect(findObject(objects(), 'Namespace', ns()).metadata.labels).toEqual({
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });
});

describe("namespaceMode 'dedicated'", () => {
  const config: StackConfig = { ...environmentConfig('dev'), namespace: 'knowton-monitoring', namespaceMode: 'dedicated', watchedNamespaces: ['knowton-apps'] };
  let objects: K8sObject[];
  beforeAll(() => (objects = loadObjects(synthTo(config))));

  test('enforces restricted, denies every pod of its namespace by default, and still scrapes the applications', () => {
    expect(findObject(objects, 'Namespace', 'knowton-monitoring').metadata.labels).toEqual({
      'app.kubernetes.io/part-of': 'knowton-monitoring',
      'knowton.io/environment': 'dev',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    const deny = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'knowton-monitoring' && o.metadata.name === 'default-deny')!;
    expect(deny.spec.podSelector).toEqual({});
    const stranger = app('knowton-monitoring', 'debug-shell');
    expect(allowed(objects, stranger, pod(objects, 'prometheus'), 9090)).toBe(false);
    expect(allowed(objects, stranger, coredns, 53, 'UDP')).toBe(false);
    expect(allowed(objects, pod(objects, 'prometheus'), app('knowton-apps', 'backend'), 3000)).toBe(true);
  });
});

describe('a setting that would put the applications at risk fails synth', () => {
  const dev = environmentConfig('dev');
  test.each<[string, StackConfig, RegExp]>([
    ['enforce restricted on a shared namespace', { ...dev, podSecurityEnforce: 'restricted' },
      /00-namespace\/namespace: invalid enforce "restricted": baseline, privileged or none in knowton-dev, which is shared with the applications/],
    ['an unknown namespace mode', { ...dev, namespaceMode: 'mine' as never }, /00-namespace\/namespace: invalid mode "mine": 'shared-with-apps' or 'dedicated'/],
  ])('%s', (_what, config, message) => {
    expect(() => synthTo(config)).toThrow(message);
  });

  test('a level the applications are known to meet may be enforced on a shared namespace', () => {
    const objs = loadObjects(synthTo({ ...dev, podSecurityEnforce: 'baseline' }));
    expect(findObject(objs, 'Namespace', 'knowton-dev').metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('baseline');
  });
});

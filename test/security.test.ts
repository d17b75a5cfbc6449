/**
 * The stack has no open doors: no credentials in dist/, TLS and authentication on every exposed UI,
 * every pod inside the restricted Pod Security profile (node-exporter is the documented exception) without
 * enforcing it on the applications that share the namespace,
 * every Service port reachable only through a NetworkPolicy rule, every image pinned.
 */
import * as fs from 'fs';
import * as path from 'path';
import { StackConfig, environmentConfig } from '../lib/config';
import { synthesize } from '../lib/synth';
import { K8sObject, findObject, listFiles, loadObjects, synthTo, tempDir } from './helpers';

const dev = environmentConfig('dev');
let dist: string;
let objects: K8sObject[];

beforeAll(() => {
  dist = synthTo(dev);
  objects = loadObjects(dist);
});

const workloads = (objs: K8sObject[]) => objs.filter((o) => ['StatefulSet', 'Deployment', 'DaemonSet'].includes(o.kind));
const namespaceLevel = (objs: K8sObject[], ns: string) =>
  findObject(objs, 'Namespace', ns).metadata.labels!['pod-security.kubernetes.io/enforce'];

/** What the `restricted` Pod Security Standard forbids in a pod, as a list of findings (empty = compliant). */
function restrictedViolations(pod: any): string[] {
  const found: string[] = [];
  const containers = [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
  const psc = pod.securityContext ?? {};
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod[f]) found.push(`${f}`);
  const allowedVolumes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name')!;
    if (!allowedVolumes.includes(type)) found.push(`volume ${v.name} of type ${type}`);
  }
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) found.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) found.push(`${c.name}: allowPrivilegeEscalation not false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) found.push(`${c.name}: capabilities not dropped`);
    if ((sc.capabilities?.add ?? []).some((cap: string) => cap !== 'NET_BIND_SERVICE')) found.push(`${c.name}: capabilities added`);
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) found.push(`${c.name}: runAsNonRoot not true`);
    if ((sc.runAsUser ?? psc.runAsUser) === 0) found.push(`${c.name}: runs as root`);
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) found.push(`${c.name}: seccomp ${seccomp}`);
    if ((c.ports ?? []).some((p: any) => p.hostPort)) found.push(`${c.name}: hostPort`);
    if (sc.procMount && sc.procMount !== 'Default') found.push(`${c.name}: procMount`);
  }
  return found;
}

describe('Pod Security', () => {
  const reportLevel = (objs: K8sObject[], ns: string) =>
    findObject(objs, 'Namespace', ns).metadata.labels!['pod-security.kubernetes.io/warn'];

  test('the shared namespace enforces nothing (it holds the applications) but warns at restricted; node-exporter alone is privileged', () => {
    expect(namespaceLevel(objects, 'knowton-dev')).toBeUndefined();
    expect(reportLevel(objects, 'knowton-dev')).toBe('restricted');
    expect(namespaceLevel(objects, 'knowton-dev-node-exporter')).toBe('privileged');
    const privileged = workloads(objects).filter((w) => reportLevel(objects, w.metadata.namespace!) !== 'restricted');
    expect(privileged.map((w) => w.metadata.name)).toEqual(['node-exporter']);
  });

  test('every pod of the stack outside the node-exporter namespace meets the restricted profile', () => {
    for (const w of workloads(objects).filter((o) => reportLevel(objects, o.metadata.namespace!) === 'restricted')) {
      expect([w.metadata.name, restrictedViolations(w.spec.template.spec)]).toEqual([w.metadata.name, []]);
    }
  });

  test('the checker is real: node-exporter breaks the restricted profile only through host access', () => {
    const ne = findObject(objects, 'DaemonSet', 'node-exporter').spec.template.spec;
    const findings = restrictedViolations(ne);
    expect(findings).toEqual(expect.arrayContaining(['hostNetwork', 'hostPID', 'volume proc of type hostPath']));
    expect(findings.every((f) => /^(hostNetwork|hostPID|volume \w+ of type hostPath|node-exporter: hostPort)$/.test(f))).toBe(true);
  });
});

describe('no credentials in dist/', () => {
  const CREDENTIAL = [
    /kind: Secret\b/,
    // A key that names a credential, with a value on the same line (`*_file` keys point at mounted Secrets).
    /^[ \t-]*[\w-]*(password|passwd|secret|token|api_key|routing_key|service_key|api_url)[ \t]*:[ \t]*(?!(true|false)$)["']?[^\s"'{[][^\n]*/im,
    /[a-z]+:\/\/[^\s:/@]+:[^\s@/]+@/i, // user:password@ in a URL
    /hooks\.slack\.com\/services\/[A-Z0-9]/,
    /xox[abpr]-[0-9A-Za-z-]+/,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    /admin\/admin|GF_SECURITY_ADMIN_PASSWORD\s*=?\s*["']?admin/,
  ];

  test('no file under dist/ holds a Secret or a credential-looking value', () => {
    for (const f of listFiles(dist)) {
      const text = fs.readFileSync(path.join(dist, f), 'utf8');
      for (const re of CREDENTIAL) expect([f, re.source, text.match(re)?.[0] ?? null]).toEqual([f, re.source, null]);
    }
  });

  test('the scan is real: a leaked password, webhook or DSN is caught', () => {
    const leaks = [
      'smtp_auth_password: hunter2',
      'api_url: https://hooks.slack.com/services/T000/B000/XXXX',
      'value: postgresql://monitoring:s3cret@db:5432/knowton',
      'apiVersion: v1\nkind: Secret',
    ];
    for (const leak of leaks) expect(CREDENTIAL.some((re) => re.test(leak))).toBe(true);
  });
});

describe('Ingress', () => {
  const ingresses = () => objects.filter((o) => o.kind === 'Ingress');

  test("networking.k8s.io/v1 with the spec's hosts under dev's own sub-domain, and the v1 backend form", () => {
    const hosts = ingresses().flatMap((i) => i.spec.rules.map((r: any) => r.host)).sort();
    expect(hosts).toEqual(['alertmanager.dev.knowton.io', 'grafana.dev.knowton.io', 'prometheus.dev.knowton.io']);
    for (const i of ingresses()) {
      expect(i.apiVersion).toBe('networking.k8s.io/v1');
      expect(i.spec.ingressClassName).toBe('nginx');
      for (const r of i.spec.rules) for (const p of r.http.paths) expect(p.backend.service.port.number).toEqual(expect.any(Number));
    }
  });

  test('every host has TLS', () => {
    for (const i of ingresses()) {
      const tlsHosts = (i.spec.tls ?? []).flatMap((t: any) => t.hosts);
      for (const r of i.spec.rules) expect([r.host, tlsHosts]).toEqual([r.host, expect.arrayContaining([r.host])]);
      expect(i.metadata.annotations?.['nginx.ingress.kubernetes.io/force-ssl-redirect']).toBe('true');
    }
  });

  test('Prometheus and Alertmanager are behind authentication; Grafana uses its own login', () => {
    const backends = (i: K8sObject) => i.spec.rules.flatMap((r: any) => r.http.paths.map((p: any) => p.backend.service.name));
    for (const i of ingresses()) {
      const authed = i.metadata.annotations?.['nginx.ingress.kubernetes.io/auth-type'] === 'basic';
      const needs = backends(i).some((b: string) => b === 'prometheus-service' || b === 'alertmanager-service');
      expect([i.metadata.name, authed]).toEqual([i.metadata.name, needs]);
      if (authed) expect(i.metadata.annotations!['nginx.ingress.kubernetes.io/auth-secret']).toBe('monitoring-basic-auth');
    }
    const grafana = findObject(objects, 'Deployment', 'grafana').spec.template.spec.containers[0].env;
    expect(grafana).toContainEqual({ name: 'GF_AUTH_ANONYMOUS_ENABLED', value: 'false' });
    expect(grafana).toContainEqual({ name: 'GF_SECURITY_ADMIN_PASSWORD__FILE', value: '/etc/grafana/secrets/admin-password' });
  });

  test('cert-manager and oauth2-proxy when configured', () => {
    const objs = loadObjects(synthTo({
      ...dev,
      ingress: { domain: 'monitoring.example.org', clusterIssuer: 'letsencrypt', auth: { type: 'oauth2-proxy', url: 'https://oauth2.example.org' } },
    }));
    const prom = findObject(objs, 'Ingress', 'prometheus');
    expect(prom.spec.rules[0].host).toBe('prometheus.monitoring.example.org');
    expect(prom.metadata.annotations).toMatchObject({
      'cert-manager.io/cluster-issuer': 'letsencrypt',
      'nginx.ingress.kubernetes.io/auth-url': 'https://oauth2.example.org/oauth2/auth',
    });
    expect(prom.metadata.annotations!['nginx.ingress.kubernetes.io/auth-type']).toBeUndefined();
    const sts = findObject(objs, 'StatefulSet', 'prometheus').spec.template.spec.containers[0];
    expect(sts.args).toContain('--web.external-url=https://prometheus.monitoring.example.org');
  });
});

describe('NetworkPolicies', () => {
  const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  test("default deny covers the stack's pods in the shared namespace and every pod of node-exporter's own", () => {
    const deny = (ns: string) => objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === ns && o.metadata.name.startsWith('default-deny'));
    expect(deny('knowton-dev')?.spec).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'knowton-monitoring' } }, policyTypes: ['Ingress', 'Egress'] });
    expect(deny('knowton-dev-node-exporter')?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  test('every Service port is allowed by some NetworkPolicy ingress rule on its pods', () => {
    const services = objects.filter((o) => o.kind === 'Service');
    expect(services.length).toBeGreaterThan(4);
    for (const svc of services) {
      const ns = svc.metadata.namespace;
      const workload = workloads(objects).find((w) => w.metadata.namespace === ns && matches(svc.spec.selector, w.spec.template.metadata.labels));
      expect([svc.metadata.name, workload?.metadata.name]).toEqual([svc.metadata.name, expect.any(String)]);
      const podLabels = workload!.spec.template.metadata.labels;
      const containerPorts = workload!.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []);
      const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === ns && matches(o.spec.podSelector.matchLabels ?? {}, podLabels));
      for (const port of svc.spec.ports) {
        const target = typeof port.targetPort === 'string' ? containerPorts.find((p: any) => p.name === port.targetPort)?.containerPort : port.targetPort ?? port.port;
        const allowed = policies.some((p) => (p.spec.ingress ?? []).some((rule: any) =>
          !rule.ports || rule.ports.some((rp: any) => rp.port === target || rp.port === port.targetPort)));
        expect([svc.metadata.name, port.name, target, allowed]).toEqual([svc.metadata.name, port.name, expect.any(Number), true]);
      }
    }
  });

  test('Grafana may reach only Prometheus (and Alertmanager) and DNS', () => {
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'grafana')!;
    const targets = policy.spec.egress.map((r: any) => r.to[0].podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? r.to[0].podSelector?.matchLabels?.['k8s-app']);
    expect(targets.every((t: string) => ['prometheus', 'alertmanager', 'kube-dns'].includes(t))).toBe(true);
  });
});

test('every image is pinned to a version tag', () => {
  for (const w of workloads(objects)) {
    for (const c of [...w.spec.template.spec.containers, ...(w.spec.template.spec.initContainers ?? [])]) {
      expect([c.name, c.image]).toEqual([c.name, expect.stringMatching(/^[a-z0-9.-]+\/[a-z0-9._/-]+:v?\d+\.\d+\.\d+$/)]);
    }
  }
});

describe('bad ingress input fails synth with a clear error and leaves dist/ untouched', () => {
  const cases: Array<[string, StackConfig, RegExp]> = [
    ['a domain that is not a DNS name', { ingress: { domain: 'Knowton_io' } }, /ingress\/ingress: invalid domain "Knowton_io": a lowercase DNS name/],
    ['TLS off without the insecure flag', { ingress: { tls: false } }, /ingress\/ingress: invalid tls false: true; plain-HTTP hosts expose credentials and need allowInsecure: true/],
    ['a missing auth Secret name', { ingress: { auth: { type: 'basic', secretName: '' } } }, /ingress\/ingress: invalid auth.secretName "": the name of an htpasswd Secret/],
    ['an oauth2-proxy URL without https', { ingress: { auth: { type: 'oauth2-proxy', url: 'http://oauth2' } } }, /invalid auth.url "http:\/\/oauth2"/],
  ];
  test.each(cases)('%s', (_name, bad, message) => {
    const out = path.join(tempDir(), 'dist');
    synthesize(dev, out);
    const before = listFiles(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]);
    expect(() => synthesize({ ...dev, ...bad }, out)).toThrow(message);
    expect(listFiles(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')])).toEqual(before);
  });

  test('TLS off with the explicit insecure flag is accepted', () => {
    const objs = loadObjects(synthTo({ ...dev, ingress: { tls: false, allowInsecure: true } }));
    expect(findObject(objs, 'Ingress', 'grafana').spec.tls).toBeUndefined();
  });
});

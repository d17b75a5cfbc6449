/**
 * The synthesized objects read as a cluster would read them, for every environment: the port each
 * container listens on against its declared ports, Services, probes and addresses; the keys of
 * mounted ConfigMaps and Secrets against what the containers read; each config-reloader against its
 * own mounts; the exact RBAC each component needs; the NetworkPolicies evaluated as Kubernetes
 * does for every connection the stack makes; and Prometheus's relabelling run on realistic
 * discovered targets. The expectations are written here from the spec, the README and the
 * components' documented behaviour, not read from lib/ (tables below), so a change in lib/ that
 * breaks one of them fails here even when dist/ is regenerated with it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { environmentConfig } from '../lib/config';
import { K8sObject, findObject, loadObjects, prometheusFiles, synthTo } from './helpers';
import {
  Endpoint, Workload, connectionAllowed, egressAllowed, permissions, podOf, resolvePort, selectedWorkloads, targetLabels, workload, workloads,
} from './cluster-model';

const ENVS = ['dev', 'staging', 'prod'] as const;
type Env = (typeof ENVS)[number];
const NAMESPACE: Record<Env, string> = { dev: 'knowton-dev', staging: 'knowton-staging', prod: 'knowton-prod' };
const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

const synthesized: Partial<Record<Env, K8sObject[]>> = {};
beforeAll(() => {
  for (const env of ENVS) synthesized[env] = loadObjects(synthTo(environmentConfig(env)));
});
const objectsOf = (env: Env): K8sObject[] => synthesized[env]!;

const containersOf = (w: Workload): any[] => [...(w.spec.initContainers ?? []), ...w.spec.containers];
const flag = (c: any, name: string): string | undefined => {
  const hit = [...(c.args ?? []), ...(c.command ?? [])].find((a: string) => a === name || a.startsWith(`${name}=`));
  return hit === undefined ? undefined : hit.slice(name.length + 1);
};
const flags = (c: any, name: string): string[] =>
  [...(c.args ?? [])].filter((a: string) => a.startsWith(`${name}=`)).map((a: string) => a.slice(name.length + 1));
const env = (c: any, name: string): string | undefined => (c.env ?? []).find((e: any) => e.name === name)?.value;
const portOf = (address: string): number => Number(/:(\d+)$/.exec(address)![1]);

/**
 * What each program listens on, from its flags, with the program's own default where the flag is
 * absent (from each program's --help). A container of an image not listed here fails the test:
 * add it with its defaults.
 */
function listening(c: any): Array<{ port: number; protocol: string }> {
  const image = c.image.replace(/:[^/]*$/, '').split('/').pop();
  const tcp = (port: number) => ({ port, protocol: 'TCP' });
  switch (image) {
    case 'prometheus':
      return [tcp(portOf(flag(c, '--web.listen-address') ?? '0.0.0.0:9090'))];
    case 'alertmanager': {
      const cluster = flag(c, '--cluster.listen-address') ?? '0.0.0.0:9094';
      const web = tcp(portOf(flag(c, '--web.listen-address') ?? ':9093'));
      // An empty cluster address turns gossip off; otherwise memberlist uses TCP and UDP.
      return cluster === '' ? [web] : [web, tcp(portOf(cluster)), { port: portOf(cluster), protocol: 'UDP' }];
    }
    case 'prometheus-config-reloader':
      return [tcp(portOf(flag(c, '--listen-address') ?? ':8080'))];
    case 'node-exporter':
      return [tcp(portOf(flag(c, '--web.listen-address') ?? ':9100'))];
    case 'postgres-exporter':
      return [tcp(portOf(flag(c, '--web.listen-address') ?? ':9187'))];
    case 'kube-state-metrics':
      return [tcp(Number(flag(c, '--port') ?? 8080)), tcp(Number(flag(c, '--telemetry-port') ?? 8081))];
    case 'grafana':
      return [tcp(Number(env(c, 'GF_SERVER_HTTP_PORT') ?? 3000))];
    default:
      throw new Error(`no listening-port model for image ${c.image}`);
  }
}

/** The Service and the pod behind an in-cluster address (`svc.ns.svc:port` or `pod.headless.ns.svc:port`). */
function resolveAddress(objects: K8sObject[], address: string): { service: K8sObject; workload: Workload; containerPort: number } {
  const m = /^(?:https?:\/\/)?([a-z0-9.-]+?)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?:(\d+)/.exec(address);
  if (!m) throw new Error(`not an in-cluster address: ${address}`);
  const [, host, ns, port] = m;
  const parts = host.split('.');
  const serviceName = parts[parts.length - 1];
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === serviceName && o.metadata.namespace === ns);
  if (!service) throw new Error(`${address}: no Service ${ns}/${serviceName}`);
  const sp = (service.spec.ports as any[]).find((p) => p.port === Number(port));
  if (!sp) throw new Error(`${address}: Service ${serviceName} has no port ${port}`);
  const [w] = selectedWorkloads(objects, service);
  if (!w) throw new Error(`${address}: Service ${serviceName} selects no pods`);
  if (parts.length === 2) {
    // A pod's DNS name needs a headless governing Service of a StatefulSet and an existing ordinal.
    expect([address, service.spec.clusterIP, w.kind, w.object.spec.serviceName]).toEqual([address, 'None', 'StatefulSet', serviceName]);
    const ordinal = Number(/-(\d+)$/.exec(parts[0])?.[1]);
    expect([address, parts[0].startsWith(`${w.name}-`) && ordinal < w.replicas]).toEqual([address, true]);
  }
  const resolved = resolvePort(w.spec.containers, sp.targetPort ?? sp.port, sp.protocol ?? 'TCP');
  if (!resolved) throw new Error(`${address}: targetPort ${sp.targetPort} is no container port of ${w.name}`);
  return { service, workload: w, containerPort: resolved.port.containerPort };
}

describe.each(ENVS)('%s: ports', (e) => {
  test("every container listens on exactly its declared containerPorts (host ports equal them)", () => {
    for (const w of workloads(objectsOf(e))) {
      for (const c of containersOf(w)) {
        const declared = (c.ports ?? []).map((p: any) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).sort();
        const listens = listening(c).map((p) => `${p.port}/${p.protocol}`).sort();
        expect([w.name, c.name, listens]).toEqual([w.name, c.name, declared]);
        for (const p of c.ports ?? []) if (p.hostPort !== undefined) expect([c.name, p.hostPort]).toEqual([c.name, p.containerPort]);
      }
    }
  });

  test('every Service selects exactly one workload, and each targetPort is a containerPort of its pods', () => {
    const objects = objectsOf(e);
    const services = objects.filter((o) => o.kind === 'Service');
    expect(services.length).toBeGreaterThanOrEqual(8);
    for (const s of services) {
      const selected = selectedWorkloads(objects, s);
      expect([s.metadata.name, selected.map((w) => w.name)]).toEqual([s.metadata.name, [expect.any(String)]]);
      for (const p of s.spec.ports) {
        const found = resolvePort(selected[0].spec.containers, p.targetPort ?? p.port, p.protocol ?? 'TCP');
        expect([s.metadata.name, p.name, found !== undefined]).toEqual([s.metadata.name, p.name, true]);
      }
    }
  });

  test("every probe's port is a containerPort of its own container", () => {
    let probes = 0;
    for (const w of workloads(objectsOf(e))) {
      for (const c of containersOf(w)) {
        for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
          const probe = c[kind];
          const ref = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
          if (ref === undefined) continue;
          probes++;
          expect([w.name, c.name, kind, resolvePort([c], ref) !== undefined]).toEqual([w.name, c.name, kind, true]);
        }
      }
    }
    expect(probes).toBeGreaterThanOrEqual(10);
  });

  test("in-cluster addresses (Prometheus's Alertmanagers and self-reload, Grafana's datasources, the Ingress) reach a listening port", () => {
    const objects = objectsOf(e);
    const { config } = prometheusFiles(objects);
    const amTargets: string[] = config.alerting.alertmanagers.flatMap((a: any) => a.static_configs.flatMap((s: any) => s.targets));
    for (const t of amTargets) expect(resolveAddress(objects, t).workload.name).toBe('alertmanager');
    const ds = parse(findObject(objects, 'ConfigMap', 'grafana-provisioning').data['datasources.yaml']).datasources;
    expect(Object.fromEntries(ds.map((d: any) => [d.type, resolveAddress(objects, d.url).workload.name]))).toEqual({ prometheus: 'prometheus', alertmanager: 'alertmanager' });
    // The reloaders call their main container's listening port on localhost.
    for (const name of ['prometheus', 'alertmanager']) {
      const w = workload(objects, name);
      const reloader = w.spec.containers.find((c: any) => c.name === 'config-reloader');
      const main = w.spec.containers.find((c: any) => c.name === name);
      expect(portOf(new URL(flag(reloader, '--reload-url')!).host)).toBe(listening(main)[0].port);
    }
    for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
      for (const rule of ing.spec.rules) {
        for (const p of rule.http.paths) {
          const b = p.backend.service;
          const { containerPort } = resolveAddress(objects, `${b.name}.${ing.metadata.namespace}.svc:${b.port.number}`);
          expect(containerPort).toBeGreaterThan(0);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Files: mounts, keys, paths

/** The keys the README's `kubectl create secret` commands put in each Secret. */
function readmeSecretKeys(): Record<string, string[]> {
  const commands = README.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => / create secret (generic|tls) /.test(l));
  const out: Record<string, string[]> = {};
  for (const cmd of commands) {
    const [, type, name] = / create secret (generic|tls) ([a-z0-9-]+)/.exec(cmd)!;
    const keys = type === 'tls' ? ['tls.crt', 'tls.key'] : [];
    for (const m of cmd.matchAll(/--from-(?:literal|file)=([^\s=]+)(=\S+)?/g)) keys.push(m[2] ? m[1] : path.basename(m[1]));
    out[name] = [...(out[name] ?? []), ...keys];
  }
  // "add `--from-file=smtp-password=./smtp-password` to the Alertmanager Secret" (only with an SMTP user).
  for (const m of README.matchAll(/add `--from-file=([a-z-]+)=[^`]*` to the Alertmanager Secret/g)) out['alertmanager-receivers'].push(m[1]);
  return out;
}

/** The keys a volume provides: a ConfigMap's data (or its `items`), a Secret's documented keys. */
function volumeKeys(objects: K8sObject[], ns: string, volume: any): string[] | undefined {
  const source = volume.configMap ?? volume.secret;
  if (!source) return undefined;
  let keys: string[];
  if (volume.configMap) {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name && o.metadata.namespace === ns);
    expect([volume.name, cm !== undefined]).toEqual([volume.name, true]);
    keys = Object.keys({ ...(cm!.data ?? {}), ...(cm!.binaryData ?? {}) });
  } else {
    keys = readmeSecretKeys()[volume.secret.secretName];
    expect([volume.secret.secretName, keys !== undefined]).toEqual([volume.secret.secretName, true]);
  }
  if (source.items) {
    for (const it of source.items) expect([volume.name, it.key, keys.includes(it.key)]).toEqual([volume.name, it.key, true]);
    return source.items.map((it: any) => it.path);
  }
  return keys;
}

/** Where a file path lands in a container: the deepest mount holding it, and the key under it. */
function locate(w: Workload, c: any, file: string): { mount: any; volume: any; rest: string } | undefined {
  const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
  const mount = mounts.find((m) => file === m.mountPath || file.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
  if (!mount) return undefined;
  const volume = (w.spec.volumes ?? []).find((v: any) => v.name === mount.name)
    ?? (w.object.spec.volumeClaimTemplates ?? []).map((t: any) => ({ name: t.metadata.name, pvc: true })).find((v: any) => v.name === mount.name);
  return { mount, volume, rest: file.slice(mount.mountPath.length).replace(/^\//, '') };
}

/** A file (or directory, or glob) the container reads exists in one of its own mounts. */
function expectReadable(objects: K8sObject[], w: Workload, c: any, file: string, kind: 'file' | 'dir' | 'glob'): void {
  const where = `${w.namespace}/${w.name}/${c.name}: ${file}`;
  if (file.startsWith('/var/run/secrets/kubernetes.io/serviceaccount/')) {
    // The projected token volume: mounted into every container unless the pod opts out.
    expect([where, w.spec.automountServiceAccountToken !== false]).toEqual([where, true]);
    return;
  }
  const at = locate(w, c, file);
  expect([where, at !== undefined]).toEqual([where, true]);
  const { mount, volume, rest } = at!;
  expect([where, volume !== undefined]).toEqual([where, true]);
  if (mount.subPath !== undefined) {
    // A subPath mount is one key, at exactly its mountPath.
    expect([where, kind, rest]).toEqual([where, 'file', '']);
    return;
  }
  // Everything checked here is configuration, present at start: an emptyDir or a claim is empty then.
  const keys = volumeKeys(objects, w.namespace, volume)!;
  expect([where, volume.name, keys !== undefined]).toEqual([where, volume.name, true]);
  if (kind === 'dir') {
    expect([where, rest, keys.length > 0]).toEqual([where, '', true]);
  } else if (kind === 'glob') {
    const dir = path.posix.dirname(rest);
    const re = new RegExp(`^${path.posix.basename(rest).replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`);
    expect([where, dir, keys.filter((k) => re.test(k)).length > 0]).toEqual([where, '.', true]);
  } else {
    expect([where, keys.includes(rest)]).toEqual([where, true]);
  }
}

describe.each(ENVS)('%s: files', (e) => {
  test('every ConfigMap/Secret volume item and every subPath names a key that exists; secretKeyRefs too', () => {
    const objects = objectsOf(e);
    const secrets = readmeSecretKeys();
    let subPaths = 0;
    for (const w of workloads(objects)) {
      for (const v of w.spec.volumes ?? []) volumeKeys(objects, w.namespace, v);
      for (const c of containersOf(w)) {
        for (const m of c.volumeMounts ?? []) {
          const v = (w.spec.volumes ?? []).find((x: any) => x.name === m.name);
          const claim = (w.object.spec.volumeClaimTemplates ?? []).some((t: any) => t.metadata.name === m.name);
          expect([w.name, m.name, v !== undefined || claim]).toEqual([w.name, m.name, true]);
          if (m.subPath === undefined) continue;
          subPaths++;
          const keys = volumeKeys(objects, w.namespace, v) ?? [];
          expect([w.name, m.mountPath, m.subPath, keys.includes(m.subPath)]).toEqual([w.name, m.mountPath, m.subPath, true]);
        }
        for (const ev of c.env ?? []) {
          const ref = ev.valueFrom?.secretKeyRef;
          if (ref) expect([ref.name, ref.key, (secrets[ref.name] ?? []).includes(ref.key)]).toEqual([ref.name, ref.key, true]);
          const cmRef = ev.valueFrom?.configMapKeyRef;
          if (cmRef) expect(Object.keys(findObject(objects, 'ConfigMap', cmRef.name).data)).toContain(cmRef.key);
        }
      }
    }
    expect(subPaths).toBeGreaterThanOrEqual(2);
  });

  test("Prometheus reads its config, rules, data and credentials from its own mounts", () => {
    const objects = objectsOf(e);
    const w = workload(objects, 'prometheus');
    const c = w.spec.containers.find((x: any) => x.name === 'prometheus');
    expectReadable(objects, w, c, flag(c, '--config.file')!, 'file');
    expect(locate(w, c, flag(c, '--storage.tsdb.path')!)?.volume).toMatchObject({ name: 'data' });
    const { config } = prometheusFiles(objects);
    for (const glob of config.rule_files) expectReadable(objects, w, c, glob, 'glob');
    const files: string[] = [];
    JSON.stringify(config, (k, v) => {
      if (/_file$/.test(k) && typeof v === 'string') files.push(v);
      return v;
    });
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) expectReadable(objects, w, c, f, 'file');
  });

  test("Alertmanager reads its config, templates and every *_file from its own mounts", () => {
    const objects = objectsOf(e);
    const w = workload(objects, 'alertmanager');
    const c = w.spec.containers.find((x: any) => x.name === 'alertmanager');
    const configFile = flag(c, '--config.file')!;
    expectReadable(objects, w, c, configFile, 'file');
    expect(locate(w, c, flag(c, '--storage.path')!)?.volume).toMatchObject({ name: 'data' });
    const am = parse(findObject(objects, 'ConfigMap', 'alertmanager-config').data[path.posix.basename(configFile)]);
    for (const t of am.templates) expectReadable(objects, w, c, t, 'glob');
    const files: string[] = [];
    JSON.stringify(am, (k, v) => {
      if (/_file$/.test(k) && typeof v === 'string') files.push(v);
      return v;
    });
    expect(files.length).toBeGreaterThanOrEqual(e === 'staging' ? 4 : 5);
    for (const f of files) expectReadable(objects, w, c, f, 'file');
  });

  test("Grafana's provisioning files lie under its provisioning path; the dashboard provider's path holds the dashboards", () => {
    const objects = objectsOf(e);
    const w = workload(objects, 'grafana');
    const c = w.spec.containers[0];
    const prov = env(c, 'GF_PATHS_PROVISIONING') ?? '/etc/grafana/provisioning';
    // Grafana reads <provisioning>/datasources/*.yaml and <provisioning>/dashboards/*.yaml.
    expectReadable(objects, w, c, `${prov}/datasources/datasources.yaml`, 'file');
    expectReadable(objects, w, c, `${prov}/dashboards/dashboards.yaml`, 'file');
    for (const [k, v] of Object.entries({ GF_SECURITY_ADMIN_USER__FILE: 0, GF_SECURITY_ADMIN_PASSWORD__FILE: 0 })) {
      void v;
      expectReadable(objects, w, c, env(c, k)!, 'file');
    }
    const providers = parse(findObject(objects, 'ConfigMap', 'grafana-provisioning').data['dashboards.yaml']).providers;
    for (const p of providers) {
      expectReadable(objects, w, c, p.options.path, 'dir');
      expectReadable(objects, w, c, `${p.options.path}/*.json`, 'glob');
    }
    // Its data path is writable (an emptyDir), the root filesystem being read-only.
    expect(locate(w, c, `${env(c, 'GF_PATHS_DATA') ?? '/var/lib/grafana'}/grafana.db`)?.volume).toHaveProperty('emptyDir');
  });

  test('each config-reloader watches, in its own mounts, every ConfigMap its main container reads', () => {
    const objects = objectsOf(e);
    for (const name of ['prometheus', 'alertmanager']) {
      const w = workload(objects, name);
      const reloader = w.spec.containers.find((c: any) => c.name === 'config-reloader');
      const main = w.spec.containers.find((c: any) => c.name === name);
      const watched = [...flags(reloader, '--watched-dir').map((d) => ({ d, kind: 'dir' as const })),
        ...flags(reloader, '--config-file').map((d) => ({ d, kind: 'file' as const }))];
      for (const { d, kind } of watched) expectReadable(objects, w, reloader, d, kind);
      // Every ConfigMap volume of the main container is under a watched path.
      const cmMounts = (main.volumeMounts ?? []).filter((m: any) => (w.spec.volumes ?? []).some((v: any) => v.name === m.name && v.configMap));
      expect(cmMounts.length).toBeGreaterThan(0);
      for (const m of cmMounts) {
        const covered = watched.some(({ d }) => d === m.mountPath || d.startsWith(`${m.mountPath}/`));
        expect([name, m.mountPath, covered]).toEqual([name, m.mountPath, true]);
        // ... through the reloader's own mount of the same volume.
        expect([name, m.mountPath, (reloader.volumeMounts ?? []).some((r: any) => r.name === m.name && r.mountPath === m.mountPath)])
          .toEqual([name, m.mountPath, true]);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// RBAC

const DISCOVERY_VERBS = ['get', 'list', 'watch'];
/** What each kubernetes_sd role reads, per the Prometheus documentation. */
const SD_RESOURCES: Record<string, Array<[string, string]>> = {
  pod: [['', 'pods']],
  endpoints: [['', 'endpoints'], ['', 'services'], ['', 'pods']],
  endpointslice: [['discovery.k8s.io', 'endpointslices'], ['', 'services'], ['', 'pods']],
  service: [['', 'services']],
  node: [['', 'nodes']],
};
/** kube-state-metrics' --resources, as the rules and dashboards need them (kube_pod_*, kube_deployment_*, ...). */
const KSM_RESOURCES: Record<string, string> = {
  daemonsets: 'apps', deployments: 'apps', nodes: '', persistentvolumeclaims: '', pods: '', statefulsets: 'apps',
};

describe.each(ENVS)('%s: RBAC', (e) => {
  test("Prometheus has exactly discovery's verbs on what its kubernetes_sd roles read, where they read it, and get on nodes/metrics", () => {
    const objects = objectsOf(e);
    const { config } = prometheusFiles(objects);
    const expected = new Set<string>();
    for (const job of config.scrape_configs) {
      for (const sd of job.kubernetes_sd_configs ?? []) {
        const scopes: string[] = sd.namespaces?.names ?? ['*'];
        for (const scope of scopes) for (const [g, r] of SD_RESOURCES[sd.role]) for (const v of DISCOVERY_VERBS) expected.add(`${r === 'nodes' ? '*' : scope}|${g}|${r}|${v}`);
        // The kubelet's cAdvisor endpoint, scraped with the service account token.
        if (sd.role === 'node' && job.metrics_path?.startsWith('/metrics/cadvisor')) expected.add('*||nodes/metrics|get');
      }
    }
    expect(permissions(objects, NAMESPACE[e], 'prometheus')).toEqual([...expected].sort());
    expect(expected).toContain(`*||nodes|watch`);
  });

  test('kube-state-metrics may list and watch exactly the resources it exports, nothing else', () => {
    const objects = objectsOf(e);
    const c = workload(objects, 'kube-state-metrics').spec.containers[0];
    const resources = flag(c, '--resources')!.split(',');
    expect([...resources].sort()).toEqual(Object.keys(KSM_RESOURCES).sort());
    const expected = resources.flatMap((r) => ['list', 'watch'].map((v) => `*|${KSM_RESOURCES[r]}|${r}|${v}`)).sort();
    expect(permissions(objects, NAMESPACE[e], 'kube-state-metrics')).toEqual(expected);
  });

  test('no other ServiceAccount is bound to anything, and those that need no API do not mount a token', () => {
    const objects = objectsOf(e);
    for (const sa of objects.filter((o) => o.kind === 'ServiceAccount' && !['prometheus', 'kube-state-metrics'].includes(o.metadata.name))) {
      expect([sa.metadata.name, permissions(objects, sa.metadata.namespace!, sa.metadata.name)]).toEqual([sa.metadata.name, []]);
      const w = workloads(objects).find((x) => x.spec.serviceAccountName === sa.metadata.name)!;
      expect([sa.metadata.name, w.spec.automountServiceAccountToken ?? sa.automountServiceAccountToken]).toEqual([sa.metadata.name, false]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// NetworkPolicy

const NODE_IP = '192.168.10.21';
const API_SERVER_IP = '192.168.10.5';
const INTERNET_IP = '203.0.113.10';
const POSTGRES_IP = '10.96.40.12';

/** A KnowTon application pod in a watched namespace, as the knowton-apps job discovers it. */
const appPod = (namespace: string): Endpoint => ({ pod: { namespace, labels: { app: 'backend' } }, ip: '10.244.3.17' });

describe.each(ENVS)('%s: NetworkPolicies', (e) => {
  const allowed = (from: Endpoint, to: Endpoint, port: number, protocol = 'TCP') => connectionAllowed(objectsOf(e), from, to, port, protocol);
  const dns = { pod: { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }, ip: '10.96.0.10' };

  test('Prometheus reaches every scrape target of prometheus.yml, its Alertmanagers, the API server and DNS', () => {
    const objects = objectsOf(e);
    const prom = podOf(workload(objects, 'prometheus'));
    const { config } = prometheusFiles(objects);
    const reached: string[] = [];
    const check = (what: string, to: Endpoint, port: number, protocol = 'TCP', onlyEgress = false) => {
      reached.push(`${what}:${port}`);
      const ok = onlyEgress ? egressAllowed(objects, prom, to, port, protocol) : allowed(prom, to, port, protocol);
      expect([what, port, protocol, ok]).toEqual([what, port, protocol, true]);
    };
    for (const job of config.scrape_configs) {
      for (const sd of job.kubernetes_sd_configs ?? []) {
        if (sd.role === 'node') check(`${job.job_name} (kubelet)`, { ip: NODE_IP }, 10250);
        // The application pods' own policies are theirs (see the next test): Prometheus's side only.
        if (sd.role === 'pod') for (const ns of sd.namespaces.names) check(`${job.job_name} ${ns}`, appPod(ns), 3000, 'TCP', true);
        if (sd.role === 'endpoints') {
          // The job keeps one Service's endpoints of one port name: those pods on that container port.
          const keep = (label: string) => job.relabel_configs.find((r: any) => r.action === 'keep' && r.source_labels[0] === label).regex;
          const ns = sd.namespaces.names[0];
          const svc = findObject(objects.filter((o) => o.metadata.namespace === ns), 'Service', keep('__meta_kubernetes_service_name'));
          const sp = svc.spec.ports.find((p: any) => p.name === keep('__meta_kubernetes_endpoint_port_name'));
          const { workload: w, containerPort } = resolveAddress(objects, `${svc.metadata.name}.${ns}.svc:${sp.port}`);
          // A host-network pod's endpoint is its node's address.
          check(job.job_name, w.spec.hostNetwork ? { ip: NODE_IP } : podOf(w), containerPort);
        }
      }
    }
    for (const a of config.alerting.alertmanagers.flatMap((x: any) => x.static_configs.flatMap((s: any) => s.targets))) {
      const { workload: w, containerPort } = resolveAddress(objects, a);
      check(`alerting ${a}`, podOf(w), containerPort);
    }
    // Kubernetes discovery: the kubernetes Service (443) and the API server's own port behind it.
    check('API server', { ip: API_SERVER_IP }, 443);
    check('API server', { ip: API_SERVER_IP }, 6443);
    check('DNS', dns, 53, 'UDP');
    check('DNS', dns, 53, 'TCP');
    expect(reached).toEqual(expect.arrayContaining(['kubelet-cadvisor (kubelet):10250', 'node-exporter:9100', 'kube-state-metrics:8080', 'postgres-exporter:9187', 'API server:6443']));
  });

  // The application pods share the stack's namespace by default: the stack's default-deny must leave them
  // reachable (it once selected every pod of the namespace and cut them off, scrapes included).
  test('Prometheus can scrape an application pod in each watched namespace (its ingress side too)', () => {
    const objects = objectsOf(e);
    const prom = podOf(workload(objects, 'prometheus'));
    const { config } = prometheusFiles(objects);
    const namespaces: string[] = config.scrape_configs.flatMap((j: any) => (j.kubernetes_sd_configs ?? []).filter((sd: any) => sd.role === 'pod').flatMap((sd: any) => sd.namespaces.names));
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) expect([ns, allowed(prom, appPod(ns), 3000)]).toEqual([ns, true]);
  });

  test("Grafana reaches its datasources; the ingress controller reaches every Ingress backend", () => {
    const objects = objectsOf(e);
    const grafana = podOf(workload(objects, 'grafana'));
    const ds = parse(findObject(objects, 'ConfigMap', 'grafana-provisioning').data['datasources.yaml']).datasources;
    for (const d of ds) {
      const { workload: w, containerPort } = resolveAddress(objects, d.url);
      expect([d.name, allowed(grafana, podOf(w), containerPort)]).toEqual([d.name, true]);
    }
    const ingressController: Endpoint = { pod: { namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } } };
    for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
      for (const p of ing.spec.rules.flatMap((r: any) => r.http.paths)) {
        const b = p.backend.service;
        const { workload: w, containerPort } = resolveAddress(objects, `${b.name}.${ing.metadata.namespace}.svc:${b.port.number}`);
        expect([b.name, allowed(ingressController, podOf(w), containerPort)]).toEqual([b.name, true]);
      }
    }
  });

  test("postgres-exporter reaches the DSN's port; kube-state-metrics the API server; Alertmanager its receivers and peers", () => {
    const objects = objectsOf(e);
    const dsnPort = Number(/--from-literal=dsn='postgresql:\/\/[^@]+@[^:/]+:(\d+)\//.exec(README)![1]);
    expect(dsnPort).toBe(5432);
    expect(allowed(podOf(workload(objects, 'postgres-exporter')), { ip: POSTGRES_IP }, dsnPort)).toBe(true);
    expect(allowed(podOf(workload(objects, 'kube-state-metrics')), { ip: API_SERVER_IP }, 6443)).toBe(true);
    expect(allowed(podOf(workload(objects, 'kube-state-metrics')), { ip: API_SERVER_IP }, 443)).toBe(true);

    const amW = workload(objects, 'alertmanager');
    const am = podOf(amW);
    // Slack, PagerDuty and the heartbeat are HTTPS.
    expect(allowed(am, { ip: INTERNET_IP }, 443)).toBe(true);
    const amConfig = parse(findObject(objects, 'ConfigMap', 'alertmanager-config').data['alertmanager.yml']);
    for (const r of amConfig.receivers) {
      for (const ec of r.email_configs ?? []) expect([ec.smarthost, allowed(am, { ip: INTERNET_IP }, portOf(ec.smarthost))]).toEqual([ec.smarthost, true]);
    }
    for (const peer of flags(amW.spec.containers[0], '--cluster.peer')) {
      const port = portOf(peer);
      expect([peer, allowed(am, am, port, 'TCP'), allowed(am, am, port, 'UDP')]).toEqual([peer, true, true]);
    }
    for (const w of workloads(objects).filter((x) => !x.spec.hostNetwork)) expect([w.name, allowed(podOf(w), dns, 53, 'UDP')]).toEqual([w.name, true]);
  });

  test('what nothing needs is denied: an app pod cannot reach Prometheus, Grafana cannot reach the kubelet, postgres-exporter not the internet', () => {
    const objects = objectsOf(e);
    expect(allowed(appPod(NAMESPACE[e]), podOf(workload(objects, 'prometheus')), 9090)).toBe(false);
    expect(allowed(podOf(workload(objects, 'grafana')), { ip: NODE_IP }, 10250)).toBe(false);
    expect(allowed(podOf(workload(objects, 'postgres-exporter')), { ip: INTERNET_IP }, 443)).toBe(false);
    expect(allowed(podOf(workload(objects, 'prometheus')), { ip: NODE_IP }, 10255)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Relabelling

/** Discovered targets as Kubernetes SD gives them (meta labels per the Prometheus documentation). */
function discovered(role: string, ns: string, extra: Record<string, string> = {}): Record<string, string> {
  switch (role) {
    case 'pod':
      return {
        __address__: '10.244.3.17:3000',
        __meta_kubernetes_namespace: ns,
        __meta_kubernetes_pod_name: 'backend-7d4b9c6f5-x2x8k',
        __meta_kubernetes_pod_ip: '10.244.3.17',
        __meta_kubernetes_pod_node_name: 'node-a',
        __meta_kubernetes_pod_phase: 'Running',
        __meta_kubernetes_pod_ready: 'true',
        __meta_kubernetes_pod_label_app: 'backend',
        __meta_kubernetes_pod_labelpresent_app: 'true',
        __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
        __meta_kubernetes_pod_annotation_prometheus_io_port: '3000',
        __meta_kubernetes_pod_container_name: 'backend',
        __meta_kubernetes_pod_container_port_number: '3000',
        ...extra,
      };
    case 'node':
      return { __address__: `${NODE_IP}:10250`, __meta_kubernetes_node_name: 'node-a', __meta_kubernetes_node_address_InternalIP: NODE_IP, ...extra };
    default:
      return {
        __address__: '10.244.1.9:8080',
        __meta_kubernetes_namespace: ns,
        __meta_kubernetes_service_name: 'some-service',
        __meta_kubernetes_endpoint_port_name: 'metrics',
        __meta_kubernetes_endpoint_ready: 'true',
        __meta_kubernetes_pod_name: 'some-pod-0',
        __meta_kubernetes_pod_node_name: 'node-a',
        ...extra,
      };
  }
}

describe.each(ENVS)('%s: relabelling', (e) => {
  const ns = NAMESPACE[e];
  const job = (name: string) => prometheusFiles(objectsOf(e)).config.scrape_configs.find((j: any) => j.job_name === name);

  test('an annotated application pod becomes job="knowton-<app>" with service, namespace, pod and instance', () => {
    const j = job('knowton-apps');
    expect(targetLabels(j, discovered('pod', ns))).toEqual({
      labels: { job: 'knowton-backend', service: 'backend', namespace: ns, pod: 'backend-7d4b9c6f5-x2x8k', instance: '10.244.3.17:3000' },
      address: '10.244.3.17:3000',
      scheme: 'http',
      path: '/metrics',
    });
    // The annotations choose port, path and scheme; IPv6 addresses are bracketed.
    const custom = targetLabels(j, discovered('pod', ns, {
      __meta_kubernetes_pod_annotation_prometheus_io_port: '9464',
      __meta_kubernetes_pod_annotation_prometheus_io_path: '/internal/metrics',
      __meta_kubernetes_pod_annotation_prometheus_io_scheme: 'https',
    }))!;
    expect([custom.address, custom.path, custom.scheme]).toEqual(['10.244.3.17:9464', '/internal/metrics', 'https']);
    expect(targetLabels(j, discovered('pod', ns, { __meta_kubernetes_pod_ip: 'fd00::17' }))!.address).toBe('[fd00::17]:3000');
  });

  test('pods without the annotation, not running, or without an app label are not scraped', () => {
    const j = job('knowton-apps');
    expect(targetLabels(j, discovered('pod', ns, { __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'false' }))).toBeUndefined();
    expect(targetLabels(j, discovered('pod', ns, { __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'truefalse' }))).toBeUndefined();
    expect(targetLabels(j, discovered('pod', ns, { __meta_kubernetes_pod_phase: 'Pending' }))).toBeUndefined();
    expect(targetLabels(j, discovered('pod', ns, { __meta_kubernetes_pod_label_app: '' }))).toBeUndefined();
  });

  test.each([
    ['kube-state-metrics', 'kube-state-metrics', 'http-metrics', ''],
    ['postgres-exporter', 'postgres-exporter', 'metrics', ''],
    ['alertmanager', 'alertmanager-service', 'web', ''],
    ['node-exporter', 'node-exporter', 'metrics', '-node-exporter'],
  ])("the %s job keeps Service %s's port %s and labels job, instance, namespace, pod, node", (jobName, service, portName, nsSuffix) => {
    const j = job(jobName);
    const where = `${ns}${nsSuffix}`;
    const target = discovered('endpoints', where, { __meta_kubernetes_service_name: service, __meta_kubernetes_endpoint_port_name: portName });
    expect(targetLabels(j, target)!.labels).toEqual({ job: jobName, instance: '10.244.1.9:8080', namespace: where, pod: 'some-pod-0', node: 'node-a' });
    // Other Services' endpoints and other ports of this one are not scraped.
    expect(targetLabels(j, { ...target, __meta_kubernetes_service_name: `${service}-other` })).toBeUndefined();
    expect(targetLabels(j, { ...target, __meta_kubernetes_endpoint_port_name: `${portName}x` })).toBeUndefined();
    // ... and the Service and port kept are the ones synthesized.
    const svc = objectsOf(e).find((o) => o.kind === 'Service' && o.metadata.name === service && o.metadata.namespace === where)!;
    expect(svc.spec.ports.map((p: any) => p.name)).toContain(portName);
  });

  test('kubelet-cadvisor targets every node by name over HTTPS', () => {
    const t = targetLabels(job('kubelet-cadvisor'), discovered('node', ns))!;
    expect(t).toEqual({ labels: { job: 'kubelet-cadvisor', instance: `${NODE_IP}:10250`, node: 'node-a' }, address: `${NODE_IP}:10250`, scheme: 'https', path: '/metrics/cadvisor' });
  });

  test('the labels each job gives are the ones the catalog promises to the rules and dashboards', () => {
    // Imported here only to compare: the expected label sets above are written independently.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const cat = require('../lib/catalog');
    const sources: Record<string, any> = {
      'knowton-apps': cat.APP, 'kube-state-metrics': cat.KUBE_STATE_METRICS, 'postgres-exporter': cat.POSTGRES_EXPORTER,
      'node-exporter': cat.NODE_EXPORTER, alertmanager: cat.ALERTMANAGER, 'kubelet-cadvisor': cat.CADVISOR,
    };
    const services: Record<string, string> = { 'kube-state-metrics': 'kube-state-metrics', 'postgres-exporter': 'postgres-exporter', 'node-exporter': 'node-exporter', alertmanager: 'alertmanager-service' };
    const ports: Record<string, string> = { 'kube-state-metrics': 'http-metrics', 'postgres-exporter': 'metrics', 'node-exporter': 'metrics', alertmanager: 'web' };
    for (const [name, source] of Object.entries(sources)) {
      const j = job(name);
      const sd = j.kubernetes_sd_configs[0];
      const meta = sd.role === 'endpoints'
        ? discovered('endpoints', sd.namespaces.names[0], { __meta_kubernetes_service_name: services[name], __meta_kubernetes_endpoint_port_name: ports[name] })
        : discovered(sd.role, ns);
      const labels = targetLabels(j, meta)!.labels;
      expect([name, Object.keys(labels).sort()]).toEqual([name, [...source.targetLabels].sort()]);
      expect([name, new RegExp(`^(?:${source.job})$`).test(labels.job)]).toEqual([name, true]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Environments

describe('environment-specific behaviour', () => {
  const amConfig = (e: Env) => parse(findObject(objectsOf(e), 'ConfigMap', 'alertmanager-config').data['alertmanager.yml']);
  /** Receivers a critical alert reaches, following `continue` through the route tree. */
  const criticalReceivers = (e: Env): string[] => {
    const out: string[] = [];
    const walk = (route: any, labels: Record<string, string>): boolean => {
      const ok = (route.matchers ?? []).every((m: string) => {
        const [, k, op, v] = /^(\w+)(=~|!=|=)"?(.*?)"?$/.exec(m)!;
        return op === '=' ? labels[k] === v : op === '!=' ? labels[k] !== v : new RegExp(`^(?:${v})$`).test(labels[k] ?? '');
      });
      if (!ok) return false;
      let matchedChild = false;
      for (const r of route.routes ?? []) {
        if (walk(r, labels)) {
          matchedChild = true;
          if (!r.continue) break;
        }
      }
      if (!matchedChild) out.push(route.receiver);
      return true;
    };
    walk(amConfig(e).route, { alertname: 'PostgreSQLDown', severity: 'critical', service: 'postgres' });
    return out.sort();
  };

  test('dev pages PagerDuty; staging never does and has no PagerDuty receiver; prod pages and emails the on-call over TLS', () => {
    expect(criticalReceivers('dev')).toEqual(['pagerduty', 'slack-alerts', 'slack-critical']);
    expect(criticalReceivers('staging')).toEqual(['slack-alerts', 'slack-critical']);
    expect(amConfig('staging').receivers.filter((r: any) => r.pagerduty_configs)).toEqual([]);
    expect(criticalReceivers('prod')).toEqual(['email-critical', 'pagerduty', 'slack-alerts', 'slack-critical']);
    const email = amConfig('prod').receivers.find((r: any) => r.name === 'email-critical').email_configs;
    expect(email).toEqual([expect.objectContaining({ to: 'oncall@knowton.io', smarthost: 'smtp.knowton.io:587', require_tls: true })]);
    for (const e of ['dev', 'staging'] as const) expect(amConfig(e).receivers.filter((r: any) => r.email_configs)).toEqual([]);
  });

  test('replicas, peers, storage and disruption budgets per environment (README table)', () => {
    const table: Record<Env, { prom: number; am: number; promStorage: string; pdbs: string[] }> = {
      dev: { prom: 1, am: 1, promStorage: '50Gi', pdbs: [] },
      staging: { prom: 1, am: 1, promStorage: '100Gi', pdbs: [] },
      prod: { prom: 2, am: 3, promStorage: '200Gi', pdbs: ['alertmanager', 'prometheus'] },
    };
    for (const e of ENVS) {
      const objects = objectsOf(e);
      const prom = workload(objects, 'prometheus');
      const am = workload(objects, 'alertmanager');
      const amC = am.spec.containers[0];
      const peers = flags(amC, '--cluster.peer');
      expect([e, prom.replicas, am.replicas]).toEqual([e, table[e].prom, table[e].am]);
      expect(prom.object.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(table[e].promStorage);
      // A cluster only when there are peers: every replica, by its stable name, on the gossip port.
      expect(peers.sort()).toEqual(am.replicas > 1
        ? Array.from({ length: am.replicas }, (_, i) => `alertmanager-${i}.alertmanager-headless.${NAMESPACE[e]}.svc:9094`) : []);
      if (am.replicas === 1) expect(flag(amC, '--cluster.listen-address')).toBe('');
      // Each Prometheus sends to every Alertmanager replica.
      const { config } = prometheusFiles(objects);
      const targets = config.alerting.alertmanagers.flatMap((a: any) => a.static_configs.flatMap((s: any) => s.targets));
      expect([e, targets.length]).toEqual([e, am.replicas > 1 ? am.replicas : 1]);
      expect(config.global.external_labels).toMatchObject({ environment: e, ...(prom.replicas > 1 ? { replica: '${POD_NAME}' } : {}) });
      if (prom.replicas > 1) expect(config.alerting.alert_relabel_configs).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'labeldrop', regex: 'replica' })]));
      const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget');
      expect(pdbs.map((p) => p.metadata.name).sort()).toEqual(table[e].pdbs);
      for (const p of pdbs) {
        const w = workload(objects, p.metadata.name);
        expect(w.podLabels).toMatchObject(p.spec.selector.matchLabels);
        // A majority of Alertmanagers, one Prometheus at a time.
        if (p.metadata.name === 'alertmanager') expect(p.spec.minAvailable).toBe(Math.floor(w.replicas / 2) + 1);
        else expect(p.spec.maxUnavailable).toBe(1);
      }
      for (const o of objects) if (o.metadata.namespace) expect([o.kind, o.metadata.name, o.metadata.namespace.startsWith(NAMESPACE[e])]).toEqual([o.kind, o.metadata.name, true]);
      const hosts = objects.filter((o) => o.kind === 'Ingress').flatMap((i) => i.spec.rules.map((r: any) => r.host)).sort();
      const domain = { dev: 'dev.knowton.io', staging: 'staging.knowton.io', prod: 'knowton.io' }[e];
      expect(hosts).toEqual(['alertmanager', 'grafana', 'prometheus'].map((h) => `${h}.${domain}`));
    }
  });
});

import * as fs from 'fs';
import * as path from 'path';
import { StackConfig, allEnvironments, environmentConfig } from '../lib/config';
import { synthesize, synthesizeEnvironments } from '../lib/synth';
import { parseAllDocuments } from 'yaml';
import { Duration } from '../lib/units';
import {
  K8sObject,
  findObject,
  kubernetesModel,
  listFiles,
  loadObjects,
  prometheusFiles,
  promtoolCheckConfig,
  run,
  synthTo,
  tempDir,
  writeYaml,
} from './helpers';

const dev = environmentConfig('dev');
let dist: string;
let objects: K8sObject[];

beforeAll(() => {
  dist = synthTo(dev);
  objects = loadObjects(dist);
});

describe('the synthesized manifests', () => {
  test('every object validates against the Kubernetes OpenAPI schema', () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) {
      const Model = kubernetesModel(o);
      expect(() => new Model(o).validate()).not.toThrow();
    }
  });

  test('the schema check is real: a broken object fails it', () => {
    const sts = JSON.parse(JSON.stringify(findObject(objects, 'StatefulSet', 'prometheus')));
    sts.spec.replicas = 'one';
    expect(() => new (kubernetesModel(sts))(sts).validate()).toThrow(/replicas/);
  });

  test('the namespaces are in the file kubectl applies first, alone', () => {
    const files = fs.readdirSync(dist).filter((f) => f.endsWith('.yaml')).sort();
    expect(files[0]).toBe('00-namespace.k8s.yaml');
    const first = parseAllDocuments(fs.readFileSync(path.join(dist, files[0]), 'utf8')).map((d) => d.toJS());
    expect(first.map((o) => [o.kind, o.metadata.name])).toEqual([
      ['Namespace', 'knowton-dev'],
      ['Namespace', 'knowton-dev-node-exporter'],
    ]);
    for (const o of objects.filter((x) => x.kind !== 'Namespace' && !x.kind.startsWith('Cluster'))) {
      expect(['knowton-dev', 'knowton-dev-node-exporter']).toContain(o.metadata.namespace);
    }
    // Only node-exporter (and what guards or discovers it) is outside the restricted namespace.
    const outside = objects.filter((o) => o.metadata.namespace === 'knowton-dev-node-exporter');
    expect([...new Set(outside.map((o) => o.metadata.labels?.['app.kubernetes.io/name']))].sort())
      .toEqual(['network-policy', 'node-exporter', 'prometheus']);
    for (const o of objects.filter((x) => x.kind.startsWith('Cluster'))) {
      expect(o.metadata.namespace).toBeUndefined();
    }
  });

  test('names the spec fixes', () => {
    const sts = findObject(objects, 'StatefulSet', 'prometheus');
    expect(sts.spec.replicas).toBe(1); // so the pod is prometheus-0
    const svc = findObject(objects, 'Service', 'prometheus-service');
    expect(svc.spec.ports).toEqual([expect.objectContaining({ port: 9090 })]);
    expect(svc.spec.selector).toEqual(sts.spec.selector.matchLabels);
  });

  test('Prometheus keeps 30 days, capped below the volume size, with reload by API', () => {
    const sts = findObject(objects, 'StatefulSet', 'prometheus');
    const prom = sts.spec.template.spec.containers.find((c: any) => c.name === 'prometheus');
    expect(prom.args).toEqual(expect.arrayContaining([
      '--storage.tsdb.retention.time=30d',
      '--storage.tsdb.retention.size=45GB',
      '--web.enable-lifecycle',
    ]));
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
    const reloader = sts.spec.template.spec.containers.find((c: any) => c.name === 'config-reloader');
    expect(reloader.args).toEqual(expect.arrayContaining(['--reload-url=http://127.0.0.1:9090/-/reload']));
    // The reloader watches exactly the directories the ConfigMaps are mounted at.
    const mounts = Object.fromEntries(prom.volumeMounts.map((m: any) => [m.name, m.mountPath]));
    expect(reloader.args).toContain(`--config-file=${mounts.config}/prometheus.yml`);
    expect(reloader.args).toContain(`--watched-dir=${mounts.rules}`);
  });

  test('scrape and evaluation every 15s', () => {
    const { config } = prometheusFiles(objects);
    expect(config.global).toMatchObject({ scrape_interval: '15s', evaluation_interval: '15s' });
  });

  test('every container is hardened and has requests and limits', () => {
    const pods = objects.filter((o) => ['StatefulSet', 'Deployment', 'DaemonSet'].includes(o.kind));
    expect(pods.map((o) => o.metadata.name)).toEqual(
      expect.arrayContaining(['kube-state-metrics', 'node-exporter', 'postgres-exporter', 'prometheus']),
    );
    for (const w of pods) {
      for (const c of w.spec.template.spec.containers) {
        const where = `${w.kind}/${w.metadata.name}/${c.name}`;
        expect([where, c.securityContext]).toEqual([where, expect.objectContaining({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        })]);
        for (const r of ['cpu', 'memory']) {
          expect([where, r, c.resources.requests[r], c.resources.limits[r]]).toEqual([where, r, expect.any(String), expect.any(String)]);
        }
        expect(c.image).toMatch(/:v?\d+\.\d+\.\d+$/);
      }
    }
  });

  test('only node-exporter uses host namespaces', () => {
    const hostUsers = objects
      .filter((o) => o.spec?.template?.spec && (o.spec.template.spec.hostNetwork || o.spec.template.spec.hostPID))
      .map((o) => o.metadata.name);
    expect(hostUsers).toEqual(['node-exporter']);
  });

  test('RBAC is read-only and no wider than discovery needs', () => {
    const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
    for (const role of roles) {
      for (const rule of role.rules) {
        expect(rule.verbs.every((v: string) => ['get', 'list', 'watch'].includes(v))).toBe(true);
        expect(rule.resources).not.toContain('secrets');
        expect(rule.resources).not.toContain('*');
      }
    }
    const promCluster = findObject(objects, 'ClusterRole', 'knowton-dev-prometheus');
    expect(promCluster.rules.flatMap((r: any) => r.resources).sort()).toEqual(['nodes', 'nodes/metrics']);
    const promNs = findObject(objects, 'Role', 'prometheus-discovery');
    expect(promNs.rules.flatMap((r: any) => r.resources).sort()).toEqual(['endpoints', 'pods', 'services']);
  });

  test('the postgres DSN is referenced from a Secret, never written', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const dep = findObject(objects, 'Deployment', 'postgres-exporter');
    const env = dep.spec.template.spec.containers[0].env;
    expect(env).toEqual([{ name: 'DATA_SOURCE_NAME', valueFrom: { secretKeyRef: { name: 'postgres-exporter-dsn', key: 'dsn' } } }]);
  });

  test('two synths give byte-identical output', () => {
    const again = synthTo(dev);
    const files = listFiles(dist);
    expect(listFiles(again)).toEqual(files);
    for (const f of files) {
      expect(fs.readFileSync(path.join(again, f), 'utf8')).toBe(fs.readFileSync(path.join(dist, f), 'utf8'));
    }
  });

  test('the committed dist/ is what a fresh synth of every environment writes', () => {
    const fresh = path.join(tempDir(), 'dist');
    synthesizeEnvironments(allEnvironments(), fresh);
    const committed = path.join(__dirname, '..', 'dist');
    expect(listFiles(committed)).toEqual(listFiles(fresh));
    for (const f of listFiles(fresh)) {
      expect([f, fs.readFileSync(path.join(committed, f), 'utf8')]).toEqual([f, fs.readFileSync(path.join(fresh, f), 'utf8')]);
    }
  });
});

describe('scrape configuration', () => {
  test('jobs: itself, the applications, cAdvisor, the kubelet (volume stats) and each exporter', () => {
    const { config } = prometheusFiles(objects);
    expect(config.scrape_configs.map((j: any) => j.job_name)).toEqual([
      'prometheus', 'knowton-apps', 'kubelet-cadvisor', 'kubelet', 'kube-state-metrics', 'node-exporter', 'postgres-exporter', 'alertmanager',
    ]);
  });

  test('application pods are kept by annotation and named knowton-<app> with a service label', () => {
    const { config } = prometheusFiles(objects);
    const apps = config.scrape_configs.find((j: any) => j.job_name === 'knowton-apps');
    const relabel = apps.relabel_configs;
    expect(relabel).toContainEqual({ source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], regex: 'true', action: 'keep' });
    expect(relabel).toContainEqual({ source_labels: ['__meta_kubernetes_pod_label_app'], replacement: 'knowton-$1', target_label: 'job' });
    expect(relabel).toContainEqual({ source_labels: ['__meta_kubernetes_pod_label_app'], target_label: 'service' });
  });

  test('promtool check config accepts the synthesized prometheus.yml', () => {
    const r = promtoolCheckConfig(objects);
    expect(r.output).not.toMatch(/FAILED|WARNING/);
    expect([r.code, r.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
  });

  test('Kubernetes discovery blocks use only roles and fields Prometheus knows', () => {
    const { config } = prometheusFiles(objects);
    const roles = new Set(['node', 'pod', 'service', 'endpoints', 'endpointslice', 'ingress']);
    const sd = config.scrape_configs.flatMap((j: any) => j.kubernetes_sd_configs ?? []);
    expect(sd.length).toBe(8);
    for (const block of sd) {
      expect(roles.has(block.role)).toBe(true);
      expect(Object.keys(block).every((k) => ['role', 'namespaces'].includes(k))).toBe(true);
      if (block.namespaces) expect(['knowton-dev', 'knowton-dev-node-exporter']).toEqual(expect.arrayContaining(block.namespaces.names));
    }
  });

  test('alerts go to alertmanager-service, over the v2 API', () => {
    const { config } = prometheusFiles(objects);
    expect(config.alerting).toEqual({
      alertmanagers: [{ api_version: 'v2', static_configs: [{ targets: ['alertmanager-service.knowton-dev.svc:9093'] }] }],
    });
  });

  test('promtool check config is a real check: a broken config fails', () => {
    const dir = tempDir();
    const { config } = prometheusFiles(objects);
    const broken = { ...config, rule_files: [], scrape_configs: [], global: { ...config.global, scrape_timeout: '1m' } };
    const r = run('promtool', ['check', 'config', writeYaml(path.join(dir, 'prometheus.yml'), broken)]);
    expect(r.code).not.toBe(0);
  });
});

describe('bad input fails synth with a clear error and leaves dist/ untouched', () => {
  const cases: Array<[string, StackConfig, RegExp]> = [
    ['empty namespace', { namespace: '' }, /^\[dev\] StackConfig: invalid namespace "": a DNS-1123 label/],
    ['negative retention', { prometheus: { retention: Duration.days(-1) } }, /prometheus\/prometheus: invalid retention .*at least 2h/],
    ['storage size that is not a quantity', { prometheus: { storageSize: '50 gigs' } }, /invalid storageSize "50 gigs": a positive Kubernetes quantity/],
    ['retention size larger than the volume', { prometheus: { storageSize: '10Gi', retentionSize: '20GB' } }, /invalid retentionSize "20GB": less than storageSize \(10Gi\)/],
    ['scrape interval longer than the evaluation interval', { prometheus: { scrapeInterval: Duration.minutes(1) } }, /invalid evaluationInterval "15s": between scrapeInterval \(1m\)/],
    ['scrape interval beyond the staleness window', { prometheus: { scrapeInterval: Duration.minutes(10), evaluationInterval: Duration.minutes(10) } }, /invalid scrapeInterval "10m"/],
    ['scrape timeout over the interval', { prometheus: { scrapeTimeout: Duration.seconds(20) } }, /invalid scrapeTimeout "20s": between 1s and scrapeInterval \(15s\)/],
    ['an unpinned image', { prometheus: { image: 'quay.io/prometheus/prometheus:latest' } }, /invalid image "quay.io\/prometheus\/prometheus:latest": an image pinned/],
    // Found by mutation testing: nothing named postgres-exporter's fields in its errors.
    ['an unpinned postgres-exporter image', { postgresExporter: { image: 'quay.io/prometheuscommunity/postgres-exporter:latest' } }, /postgres-exporter\/postgres-exporter: invalid image "quay.io\/prometheuscommunity\/postgres-exporter:latest": an image pinned/],
    ['a DSN Secret name that is no DNS label', { postgresExporter: { dsnSecretName: 'Postgres_DSN' } }, /postgres-exporter\/postgres-exporter: invalid dsnSecretName "Postgres_DSN": a DNS-1123 label/],
    ['a kube-state-metrics resource it cannot export', { kubeStateMetrics: { resources: ['pods', 'secrets'] } }, /kube-state-metrics\/kube-state-metrics: invalid resources "secrets": one of/],
  ];

  test.each(cases)('%s', (_name, bad, message) => {
    const out = path.join(tempDir(), 'dist');
    synthesize(dev, out);
    const before = listFiles(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]);
    expect(() => synthesize({ ...dev, ...bad }, out)).toThrow(message);
    expect(listFiles(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')])).toEqual(before);
    // No staging directory is left behind either.
    expect(fs.readdirSync(path.dirname(out))).toEqual(['dist']);
  });
});

describe('snapshots (guard against unintended change; behaviour is tested above)', () => {
  test.each(['00-namespace', 'prometheus', 'kube-state-metrics', 'node-exporter', 'postgres-exporter', 'alertmanager', 'grafana', 'ingress', 'network-policies'])('%s', (chart) => {
    expect(fs.readFileSync(path.join(dist, `${chart}.k8s.yaml`), 'utf8')).toMatchSnapshot();
  });
});

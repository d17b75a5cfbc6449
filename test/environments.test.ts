/**
 * Every environment profile synthesizes, validates against the Kubernetes schemas and passes promtool
 * and amtool; prod's high-availability settings are what they claim to be.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { parse } from 'yaml';
import { MonitoringStack } from '../lib/stack';
import { count } from '../lib/units';
import { promtoolTestEach, tempDir as ruleTempDir, testKey, writeRuleFiles, writeTestFiles } from './rule-tools';
import { ENVIRONMENTS, allEnvironments, standaloneEnvironmentNames } from '../lib/config';
import { synthesizeEnvironments } from '../lib/synth';
import { alertmanagerConfigDir, findObject, K8sObject, kubernetesModel, loadObjects, prometheusFiles, promtoolCheckConfig, run, synthAllEnvironments, synthTo, tempDir } from './helpers';

const names = standaloneEnvironmentNames();
let objectsOf: Record<string, K8sObject[]> = {};

beforeAll(() => {
  objectsOf = synthAllEnvironments();
});

test('dev, staging and prod exist, dev first (it is what dist/ itself holds)', () => {
  expect(Object.keys(allEnvironments())).toEqual(['dev', 'staging', 'prod', 'operator']);
});

describe.each(names)('%s', (name) => {
  const objects = () => objectsOf[name];

  test('every object validates against the Kubernetes OpenAPI schema', () => {
    for (const o of objects()) {
      const Model = kubernetesModel(o);
      expect(() => new Model(o).validate()).not.toThrow();
    }
  });

  test('its own namespaces and environment label', () => {
    const ns = `knowton-${name}`;
    expect(objects().filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).toEqual([ns, `${ns}-node-exporter`]);
    expect(prometheusFiles(objects()).config.global.external_labels.environment).toBe(name);
  });

  test('promtool check config passes', () => {
    const r = promtoolCheckConfig(objects());
    expect(r.output).not.toMatch(/FAILED|WARNING/);
    expect(r.code).toBe(0);
  });

  test('amtool check-config passes', () => {
    const r = run('amtool', ['check-config', alertmanagerConfigDir(objects())]);
    expect([r.code, r.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
  });
});

describe('prod high availability', () => {
  const prod = () => objectsOf.prod;
  const podSpec = (kind: string, n: string) => findObject(prod(), kind, n).spec.template.spec;
  const selectorOf = (kind: string, n: string) => findObject(prod(), kind, n).spec.selector.matchLabels;

  test('two Prometheus replicas, told apart by a replica label that alerts do not carry', () => {
    expect(findObject(prod(), 'StatefulSet', 'prometheus').spec.replicas).toBe(2);
    const { config } = prometheusFiles(prod());
    expect(config.global.external_labels).toEqual({ environment: 'prod', replica: '${POD_NAME}' });
    const prom = podSpec('StatefulSet', 'prometheus').containers[0];
    expect(prom.env).toEqual([{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);
    expect(config.alerting.alert_relabel_configs).toEqual([{ action: 'labeldrop', regex: 'replica' }]);
  });

  test('three Alertmanagers gossiping through the headless Service', () => {
    const am = findObject(prod(), 'StatefulSet', 'alertmanager');
    expect(am.spec.replicas).toBe(3);
    const args: string[] = am.spec.template.spec.containers[0].args;
    expect(args.filter((a) => a.startsWith('--cluster.peer='))).toEqual([0, 1, 2].map(
      (i) => `--cluster.peer=alertmanager-${i}.alertmanager-headless.knowton-prod.svc:9094`));
    expect(am.spec.serviceName).toBe('alertmanager-headless');
    const headless = findObject(prod(), 'Service', 'alertmanager-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.ports.map((p: any) => `${p.port}/${p.protocol ?? 'TCP'}`)).toEqual(['9093/TCP', '9094/TCP', '9094/UDP']);
  });

  test('PodDisruptionBudgets keep one Prometheus and a majority of Alertmanagers', () => {
    const pdbs = prod().filter((o) => o.kind === 'PodDisruptionBudget');
    expect(pdbs.map((p) => [p.metadata.name, p.spec.maxUnavailable, p.spec.minAvailable]).sort()).toEqual([
      ['alertmanager', undefined, 2],
      ['prometheus', 1, undefined],
    ]);
    expect(findObject(prod(), 'PodDisruptionBudget', 'prometheus').spec.selector.matchLabels).toEqual(selectorOf('StatefulSet', 'prometheus'));
    expect(findObject(prod(), 'PodDisruptionBudget', 'alertmanager').spec.selector.matchLabels).toEqual(selectorOf('StatefulSet', 'alertmanager'));
  });

  test('replicas prefer different nodes', () => {
    for (const n of ['prometheus', 'alertmanager']) {
      const term = podSpec('StatefulSet', n).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
      expect(term).toEqual({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selectorOf('StatefulSet', n) } });
    }
  });

  test('larger volumes than dev', () => {
    const size = (env: string) => findObject(objectsOf[env], 'StatefulSet', 'prometheus').spec.volumeClaimTemplates[0].spec.resources.requests.storage;
    expect([size('dev'), size('prod')]).toEqual(['50Gi', '200Gi']);
  });

  test('dev has one of each and no disruption budgets', () => {
    expect(findObject(objectsOf.dev, 'StatefulSet', 'prometheus').spec.replicas).toBe(1);
    expect(findObject(objectsOf.dev, 'StatefulSet', 'alertmanager').spec.replicas).toBe(1);
    expect(objectsOf.dev.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });
});

describe('remote_write', () => {
  const withRemoteWrite = () => loadObjects(synthTo({
    ...ENVIRONMENTS.prod,
    prometheus: {
      ...ENVIRONMENTS.prod.prometheus,
      externalLabels: { cluster: 'eu-1' },
      remoteWrite: [
        { url: 'https://mimir.knowton.io/api/v1/push', secretName: 'mimir-auth', auth: 'basic', username: 'knowton', maxShards: 20 },
        { url: 'https://thanos-receive.knowton.io/api/v1/receive', secretName: 'thanos-token' },
      ],
    },
  }));

  test('credentials come from mounted Secrets, and the cluster label is on every series', () => {
    const objects = withRemoteWrite();
    const { config } = prometheusFiles(objects);
    expect(config.global.external_labels).toMatchObject({ cluster: 'eu-1', environment: 'prod' });
    expect(config.remote_write).toEqual([
      {
        url: 'https://mimir.knowton.io/api/v1/push',
        basic_auth: { username: 'knowton', password_file: '/etc/prometheus/remote-write/0/password' },
        queue_config: { capacity: 10000, max_shards: 20, max_samples_per_send: 2000 },
      },
      {
        url: 'https://thanos-receive.knowton.io/api/v1/receive',
        authorization: { credentials_file: '/etc/prometheus/remote-write/1/token' },
        queue_config: { capacity: 10000, max_shards: 50, max_samples_per_send: 2000 },
      },
    ]);
    const spec = findObject(objects, 'StatefulSet', 'prometheus').spec.template.spec;
    expect(spec.volumes).toEqual(expect.arrayContaining([
      { name: 'remote-write-0', secret: { secretName: 'mimir-auth' } },
      { name: 'remote-write-1', secret: { secretName: 'thanos-token' } },
    ]));
  });

  test('promtool check config passes with remote_write', () => {
    const r = promtoolCheckConfig(withRemoteWrite());
    expect(r.output).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
  });

  test('bad remote_write input fails with a clear error', () => {
    expect(() => synthTo({ prometheus: { remoteWrite: [{ url: 'mimir:9009' }] } }))
      .toThrow(/prometheus\/prometheus: invalid remoteWrite\[0\].url "mimir:9009": an absolute http:\/\/ or https:\/\/ URL with a path/);
    expect(() => synthTo({ prometheus: { remoteWrite: [{ url: 'https://m.example.org/push', auth: 'basic' }] } }))
      .toThrow(/invalid remoteWrite\[0\].auth "basic": set together with secretName/);
  });
});

describe('per-environment alert overrides', () => {
  const ruleExpr = (env: string, alert: string) => {
    const { rules } = prometheusFiles(objectsOf[env]);
    for (const text of Object.values(rules)) {
      const found = (parse(text).groups as any[]).flatMap((g) => g.rules).find((r: any) => r.alert === alert);
      if (found) return found.expr as string;
    }
    throw new Error(`no alert ${alert} in ${env}`);
  };

  test('thresholds differ where the profiles say, and only there', () => {
    expect(ruleExpr('dev', 'HighDatabaseConnections')).toMatch(/> 80$/);
    expect(ruleExpr('prod', 'HighDatabaseConnections')).toMatch(/> 150$/);
    expect(ruleExpr('dev', 'NoActiveUsers')).toMatch(/< 10$/);
    expect(ruleExpr('staging', 'NoActiveUsers')).toMatch(/< 1$/);
    expect(ruleExpr('staging', 'HighErrorRate')).toBe(ruleExpr('dev', 'HighErrorRate'));
  });

  test("each environment's rules pass their generated promtool tests", async () => {
    // Environments render most groups alike: each distinct test (its file and the rule files it
    // loads, byte for byte) runs once; a group an environment's overrides change runs on its own.
    const distinct = new Map<string, { dir: string; file: string; envs: string[] }>();
    for (const env of names) {
      const stack = new MonitoringStack(new App(), ENVIRONMENTS[env]);
      const dir = ruleTempDir();
      writeRuleFiles(dir, stack.ruleGroups);
      for (const file of writeTestFiles(dir, stack.ruleGroups)) {
        const key = testKey(dir, file);
        const run = distinct.get(key) ?? { dir, file, envs: [] };
        run.envs.push(env);
        distinct.set(key, run);
      }
    }
    const failures = await promtoolTestEach([...distinct.values()]);
    // Named by the environments whose test it is.
    expect(failures.map((f) => `${[...distinct.values()].find((r) => f.startsWith(path.join(r.dir, r.file)))!.envs.join(', ')}: ${f}`)).toEqual([]);
  }, 300_000);

  test('bad overrides fail with a clear error', () => {
    expect(() => synthTo({ alerts: { HighDBConnections: { threshold: count(10) } } }))
      .toThrow(/StackConfig: invalid alerts "HighDBConnections": the name of an alert of rules\/: ServiceMissing, ServiceDown, /);
    expect(() => synthTo({ alerts: { HighErrorRate: { threshold: count(10) } } as any }))
      .toThrow(/StackConfig: invalid alerts.HighErrorRate.threshold "10": a quantity in the dimension of the alert's query \(ratio\), like 5%/);
  });
});

describe('dashboards per environment', () => {
  const dbConnectionsLine = (env: string) => {
    const model = JSON.parse(findObject(objectsOf[env], 'ConfigMap', 'grafana-dashboards').data['service-health-dashboard.json']);
    const panel = model.panels.find((p: any) => /database connections/i.test(p.title));
    return panel.fieldConfig.defaults.thresholds.steps.map((s: any) => s.value).filter((v: any) => v !== null);
  };

  test("threshold lines follow the environment's alert overrides", () => {
    expect(dbConnectionsLine('dev')).toEqual([80]);
    expect(dbConnectionsLine('prod')).toEqual([150]);
  });

  test('the plain dashboard files are the provisioned ones', () => {
    const dist = path.join(tempDir(), 'dist');
    synthesizeEnvironments(allEnvironments(), dist);
    for (const [env, dir] of [['dev', dist], ['prod', path.join(dist, 'prod')]]) {
      const provisioned = findObject(loadObjects(dir), 'ConfigMap', 'grafana-dashboards').data as Record<string, string>;
      expect(Object.keys(provisioned).sort()).toEqual(fs.readdirSync(path.join(dir, 'dashboards')).sort());
      for (const [file, text] of Object.entries(provisioned)) {
        expect([env, file, fs.readFileSync(path.join(dir, 'dashboards', file), 'utf8')]).toEqual([env, file, text]);
      }
    }
  });
});

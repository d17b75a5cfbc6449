/**
 * Each environment is its own: no two profiles share a host or an external URL (the links in their
 * notifications), and every notification names its environment, rendered by the real amtool.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ENVIRONMENTS, StackConfig, allEnvironments, checkEnvironmentsApart, publicEndpoints, standaloneEnvironmentNames } from '../lib/config';
import { ConfigError } from '../lib/validate';
import { findObject, K8sObject, prometheusFiles, run, synthAllEnvironments, tempDir } from './helpers';
import { alertmanagerFiles } from '../lib/demo/dist';

const names = standaloneEnvironmentNames();
let objectsOf: Record<string, K8sObject[]> = {};

beforeAll(() => {
  objectsOf = synthAllEnvironments();
});

/** Every host a profile claims and every URL it links to, read from its synthesized objects. */
function synthesizedEndpoints(objects: K8sObject[]): { hosts: string[]; urls: string[] } {
  const ingresses = objects.filter((o) => o.kind === 'Ingress');
  const hosts = ingresses.flatMap((i) => [...i.spec.rules.map((r: any) => r.host), ...(i.spec.tls ?? []).flatMap((t: any) => t.hosts)]);
  const arg = (kind: string, name: string) => findObject(objects, kind, name).spec.template.spec.containers[0].args
    .find((a: string) => a.startsWith('--web.external-url='))!.slice('--web.external-url='.length);
  const grafanaEnv = findObject(objects, 'Deployment', 'grafana').spec.template.spec.containers[0].env;
  const urls = [
    arg('StatefulSet', 'prometheus'),
    grafanaEnv.find((e: any) => e.name === 'GF_SERVER_ROOT_URL').value,
    arg('StatefulSet', 'alertmanager'),
  ];
  return { hosts: [...new Set(hosts)].sort(), urls };
}

describe('hosts and external URLs', () => {
  test('no two environments share a host or an external URL', () => {
    const seen = new Map<string, string>();
    for (const name of names) {
      const { hosts, urls } = synthesizedEndpoints(objectsOf[name]);
      expect(hosts).toHaveLength(3);
      for (const key of [...hosts, ...urls.map((u) => new URL(u).host)]) {
        const other = seen.get(key);
        expect([key, other === undefined || other === name ? 'own' : `shared with ${other}`]).toEqual([key, 'own']);
        seen.set(key, name);
      }
    }
  });

  test('dev and staging live under their own sub-domains, prod under the spec domain', () => {
    expect(synthesizedEndpoints(objectsOf.dev).urls).toEqual(['https://prometheus.dev.knowton.io', 'https://grafana.dev.knowton.io', 'https://alertmanager.dev.knowton.io']);
    expect(synthesizedEndpoints(objectsOf.staging).urls[2]).toBe('https://alertmanager.staging.knowton.io');
    expect(synthesizedEndpoints(objectsOf.prod).urls[2]).toBe('https://alertmanager.knowton.io');
  });

  test('the cross-profile check sees what the stack synthesizes', () => {
    for (const name of names) {
      const { hosts, urls } = publicEndpoints(ENVIRONMENTS[name]);
      expect([name, [...hosts].sort(), urls]).toEqual([name, synthesizedEndpoints(objectsOf[name]).hosts, synthesizedEndpoints(objectsOf[name]).urls]);
    }
  });

  test('two profiles with one domain, or one external URL, fail with a ConfigError naming both', () => {
    const same: Record<string, StackConfig> = { dev: { environment: 'dev' }, prod: { environment: 'prod', ingress: { domain: 'knowton.io' } } };
    expect(() => checkEnvironmentsApart(same)).toThrow(ConfigError);
    expect(() => checkEnvironmentsApart(same)).toThrow(
      'ENVIRONMENTS.prod: invalid ingress.domain "knowton.io": a domain of its own: dev already serves prometheus.knowton.io');
    const url: Record<string, StackConfig> = {
      dev: { ingress: { domain: 'dev.knowton.io' }, prometheus: { externalUrl: 'https://prometheus.knowton.io' } },
      prod: { ingress: { domain: 'knowton.io' } },
    };
    expect(() => checkEnvironmentsApart(url)).toThrow(/ENVIRONMENTS.prod: .*dev already serves prometheus.knowton.io/);
    expect(() => checkEnvironmentsApart({ a: { ingress: { domain: 'a.knowton.io' } }, b: { ingress: { domain: 'b.knowton.io' } } })).not.toThrow();
  });

  test('npm run synth runs the check: a profile reusing another\'s domain fails before anything is written', () => {
    const envs = ENVIRONMENTS as Record<string, StackConfig>;
    const staging = envs.staging;
    try {
      envs.staging = { ...staging, ingress: { domain: 'knowton.io' } };
      expect(() => allEnvironments()).toThrow(/ENVIRONMENTS.prod: invalid ingress.domain "knowton.io": a domain of its own: staging already serves/);
    } finally {
      envs.staging = staging;
    }
  });
});

describe('every notification names its environment', () => {
  /** Renders `text` with the synthesized templates and one alert of `environment`, through amtool. */
  function render(objects: K8sObject[], text: string, environment: string): string {
    const dir = tempDir('knowton-render-');
    for (const [f, body] of Object.entries(alertmanagerFiles(objects))) fs.writeFileSync(path.join(dir, f), body);
    const labels = { alertname: 'ServiceDown', severity: 'critical', service: 'backend', namespace: `knowton-${environment}`, environment };
    const data = {
      receiver: 'slack-critical',
      status: 'firing',
      alerts: [{ status: 'firing', labels, annotations: { summary: 'backend is down' }, startsAt: '2026-12-01T00:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'https://prometheus/graph', fingerprint: 'f' }],
      groupLabels: { alertname: 'ServiceDown', service: 'backend', namespace: labels.namespace },
      commonLabels: labels,
      commonAnnotations: { summary: 'backend is down' },
      externalURL: `https://alertmanager.${environment}.knowton.io`,
    };
    fs.writeFileSync(path.join(dir, 'data.json'), JSON.stringify(data));
    const r = run('amtool', ['template', 'render', `--template.glob=${path.join(dir, '*.tmpl')}`, `--template.text=${text}`, `--template.data=${path.join(dir, 'data.json')}`]);
    expect([r.code, r.output]).toEqual([0, expect.any(String)]);
    return r.output.trim();
  }

  test.each(names)('%s: the Slack title, the PagerDuty summary and the email subject start with the environment', (name) => {
    const objects = objectsOf[name];
    const am = parse(alertmanagerFiles(objects)['alertmanager.yml']);
    const fields: Array<[string, string]> = am.receivers.flatMap((r: any) => [
      ...(r.slack_configs ?? []).map((c: any) => [`${r.name} slack title`, c.title]),
      ...(r.pagerduty_configs ?? []).map((c: any) => [`${r.name} pagerduty description`, c.description]),
      ...(r.email_configs ?? []).map((c: any) => [`${r.name} email subject`, c.headers.Subject]),
    ]);
    expect(fields.length).toBeGreaterThanOrEqual(4);
    for (const [what, text] of fields) {
      expect([what, render(objects, text, name)]).toEqual([what, `[${name}] [FIRING:1] ServiceDown (backend) critical`]);
    }
  });

  test.each(names)('%s: Prometheus stamps the environment on every alert and removes only the replica label', (name) => {
    const { config } = prometheusFiles(objectsOf[name]);
    expect(config.global.external_labels.environment).toBe(name);
    for (const r of config.alerting.alert_relabel_configs ?? []) {
      expect(r).toEqual({ action: 'labeldrop', regex: 'replica' });
      expect(new RegExp(`^(?:${r.regex})$`).test('environment')).toBe(false);
    }
  });
});

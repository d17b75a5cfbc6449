/**
 * The AlertmanagerConfig routes like the standalone alertmanager.yml: assembled the way prometheus-operator
 * assembles it (test/operator-assemble.ts: kube-prometheus-stack's base, the namespace matcher, prefixed
 * receivers), the real amtool (0.25) loads it and routes every alert of the PrometheusRules (with its labels,
 * `namespace` included) to the same receivers as the standalone configuration of the same settings.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '../lib/config';
import { renderAlertmanagerConfig, TEMPLATE_FILE, TEMPLATE_SOURCE } from '../lib/alertmanager';
import { ALERTMANAGER_CONFIG_NAME, toAlertmanagerConfigSpec } from '../lib/components/operator/alertmanager-config';
import { assembleOperatorConfig } from './operator-assemble';
import { routesTest } from './amtool-routes';
import { findObject, K8sObject, loadObjects, run, synthTo, tempDir, writeYaml } from './helpers';

const profile = ENVIRONMENTS.operator;
const namespace = profile.namespace!;
const objects = loadObjects(synthTo(profile));
const amConfig = findObject(objects, 'AlertmanagerConfig', ALERTMANAGER_CONFIG_NAME);
const dir = tempDir('knowton-operator-am-');
fs.writeFileSync(path.join(dir, TEMPLATE_FILE), TEMPLATE_SOURCE);
const templates = [path.join(dir, '*.tmpl')];

/** alertmanager.yml as the operator would run it. */
function operatorFile(spec: Record<string, unknown>, name: string): string {
  const assembled = assembleOperatorConfig(spec, amConfig.metadata.namespace!, ALERTMANAGER_CONFIG_NAME);
  return writeYaml(path.join(dir, name), { ...assembled, templates });
}
const operatorYml = operatorFile(amConfig.spec, 'operator.yml');
const standalone = renderAlertmanagerConfig({ ...profile.alertmanager });
/** amtool 0.25 predates the webhook's url_file (0.26): the heartbeat gets a plain URL, which routing does not read. */
function forAmtool(config: Record<string, any>): Record<string, unknown> {
  const receivers = config.receivers.map((r: Record<string, any>) => (r.webhook_configs
    ? { ...r, webhook_configs: r.webhook_configs.map(({ url_file: _f, ...w }: Record<string, unknown>) => ({ ...w, url: 'https://heartbeat.invalid/ping' })) }
    : r));
  return { ...config, receivers, templates };
}
const standaloneYml = writeYaml(path.join(dir, 'standalone.yml'), forAmtool(standalone));

/** Every alert of the PrometheusRules with the labels it fires with. */
const alerts = objects.filter((o: K8sObject) => o.kind === 'PrometheusRule')
  .flatMap((o) => o.spec.groups.flatMap((g: { rules: Array<Record<string, any>> }) => g.rules.filter((r) => r.alert)))
  .map((r): Record<string, string> => ({ alertname: r.alert as string, ...(r.labels as Record<string, string>) }));

function receivers(file: string, labels: Record<string, string>): string[] {
  const r = routesTest(file, labels);
  expect(r.code).toBe(0);
  return r.output.trim().split('\n')[0].split(',').filter(Boolean);
}
const strip = (names: string[]) => names.map((n) => n.replace(`${namespace}/${ALERTMANAGER_CONFIG_NAME}/`, ''));

test('amtool 0.25 loads the assembled configuration (templates, receivers, inhibit rules, time intervals)', () => {
  const r = run('amtool', ['check-config', operatorYml]);
  expect(r.output).toContain('SUCCESS');
  expect(r.code).toBe(0);
});

test('every alert carries the namespace the operator matches on', () => {
  expect(alerts.length).toBeGreaterThan(40);
  for (const a of alerts) expect(`${a.alertname} ${a.namespace}`).toBe(`${a.alertname} ${namespace}`);
});

test.each(alerts.map((a) => [a.alertname, a] as const))('%s reaches the same receivers as in the standalone alertmanager.yml', (_name, labels) => {
  const expected = receivers(standaloneYml, labels);
  const got = receivers(operatorYml, labels);
  // kube-prometheus-stack's base routes Watchdog to its `null` receiver too, after ours (continue: true).
  const extra = labels.alertname === 'Watchdog' ? ['null'] : [];
  expect(strip(got)).toEqual([...expected, ...extra]);
  expect(got.every((n) => n === 'null' || n.startsWith(`${namespace}/${ALERTMANAGER_CONFIG_NAME}/`))).toBe(true);
});

test('without its namespace an alert never reaches the KnowTon receivers (the matcher the operator adds)', () => {
  const critical = alerts.find((a) => a.severity === 'critical')!;
  expect(receivers(operatorYml, { ...critical, namespace: 'kube-system' })).toEqual(['null']);
  expect(receivers(standaloneYml, { ...critical, namespace: 'kube-system' }).length).toBeGreaterThan(1);
});

test("the operator profile's routing is production's", () => {
  const prodConfigMap = loadObjects(path.join(__dirname, '..', 'dist', 'prod')).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'alertmanager-config')!;
  const prod = parse(prodConfigMap.data['alertmanager.yml']);
  expect(standalone.route).toEqual(prod.route);
  expect(standalone.receivers).toEqual(prod.receivers);
  expect(standalone.inhibit_rules).toEqual(prod.inhibit_rules);
});

test('a muted route keeps its time interval through the operator (staging routing as an AlertmanagerConfig)', () => {
  const staging = renderAlertmanagerConfig({ ...ENVIRONMENTS.staging.alertmanager });
  const spec = toAlertmanagerConfigSpec(staging, { secretsDir: '/etc/alertmanager/secrets', secretName: 'alertmanager-receivers', keys: {} }, 'test');
  const file = operatorFile(spec, 'staging-operator.yml');
  expect(run('amtool', ['check-config', file]).code).toBe(0);
  const stagingFile = writeYaml(path.join(dir, 'staging.yml'), forAmtool(staging));
  for (const severity of ['critical', 'warning', 'info']) {
    const labels = { alertname: 'X', severity, namespace };
    expect(strip(receivers(file, labels))).toEqual(receivers(stagingFile, labels));
  }
  // The muted routes name the prefixed interval, which exists.
  const assembled = parse(fs.readFileSync(file, 'utf8'));
  expect(assembled.time_intervals.map((t: { name: string }) => t.name)).toEqual([`${namespace}/${ALERTMANAGER_CONFIG_NAME}/outside-business-hours`]);
  expect(JSON.stringify(assembled.route)).toContain(`"mute_time_intervals":["${namespace}/${ALERTMANAGER_CONFIG_NAME}/outside-business-hours"]`);
});

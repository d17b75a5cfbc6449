/**
 * The operator profile (dist/operator/): every object validates against prometheus-operator's CRD schemas
 * (@kubernetes-models/prometheus-operator) and uses only fields the CRDs declare; the PrometheusRules hold the
 * standalone stack's rule groups; the monitors give the series the standalone jobs' labels; bad settings fail.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { isDeepStrictEqual } from 'util';
import { App } from 'cdk8s';
import { parse } from 'yaml';
import { ENVIRONMENTS, StackConfig } from '../lib/config';
import { appPodRelabelings } from '../lib/components/prometheus-config';
import { helmValues, OPERATOR_WATCHDOG_SEVERITY, OperatorStack, withWatchdogSeverity } from '../lib/operator-stack';
import { alertingSources } from '../lib/stack';
import { ConfigError } from '../lib/validate';
import { STANDALONE_JOBS } from '../rules/context';
import { APP } from '../lib/catalog/app';
import { POSTGRES_EXPORTER } from '../lib/catalog/exporters';
import { K8sObject, kubernetesModel, loadObjects, prometheusFiles, run, synthTo, tempDir } from './helpers';

const profile = ENVIRONMENTS.operator;
const namespace = profile.namespace!;
const dist = synthTo(profile);
const objects = loadObjects(dist);
const OPERATOR_GROUP = 'monitoring.coreos.com';
const operatorObjects = objects.filter((o) => o.apiVersion.startsWith(`${OPERATOR_GROUP}/`));

function operatorModel(o: K8sObject): any {
  const version = o.apiVersion.split('/')[1];
  return require(`@kubernetes-models/prometheus-operator/${OPERATOR_GROUP}/${version}/${o.kind}`)[o.kind];
}

describe('schemas', () => {
  test('dist/operator/ holds the operator resources and postgres-exporter', () => {
    const kinds = objects.map((o) => o.kind).sort();
    expect([...new Set(kinds)]).toEqual(['AlertmanagerConfig', 'ConfigMap', 'Deployment', 'Namespace', 'PodMonitor', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor']);
  });

  test.each(objects.map((o) => [`${o.kind} ${o.metadata.name}`, o] as const))('%s validates against its schema', (_name, o) => {
    const Model = o.apiVersion.startsWith(`${OPERATOR_GROUP}/`) ? operatorModel(o) : kubernetesModel(o);
    expect(() => new Model(o).validate()).not.toThrow();
  });

  test('the schema check can fail: a wrong match type or a URL where a Secret key reference belongs', () => {
    const am = operatorObjects.find((o) => o.kind === 'AlertmanagerConfig')!;
    const Model = operatorModel(am);
    // (Nested routes are free-form JSON in the CRD: the field check below covers them.)
    const badMatch = structuredClone(am);
    badMatch.spec.inhibitRules[0].sourceMatch[0].matchType = '==';
    expect(() => new Model(badMatch).validate()).toThrow(/matchType/);
    const clearUrl = structuredClone(am);
    clearUrl.spec.receivers[0].slackConfigs[0].apiURL = 'https://hooks.slack.com/services/x';
    expect(() => new Model(clearUrl).validate()).toThrow(/apiURL/);
  });

  /**
   * The CRDs are structural: validate() (like the API server, which prunes them) accepts fields they do not
   * declare. The package's TypeScript interfaces do declare them: every object, and every nested route (the
   * CRD keeps those as free-form JSON), is type-checked as an object literal, where an unknown field is an error.
   */
  function unknownFields(objs: readonly K8sObject[]): string[] {
    const dir = tempDir('knowton-crd-fields-');
    const pkg = path.dirname(require.resolve('@kubernetes-models/prometheus-operator/package.json'));
    const lines: string[] = [];
    const types = new Set<string>();
    const walkRoutes = (r: any, out: any[]) => (r.routes ?? []).forEach((c: any) => { out.push(c); walkRoutes(c, out); });
    objs.forEach((o, i) => {
      const version = o.apiVersion.split('/')[1];
      const type = `${o.kind}_${version}`;
      if (!types.has(type)) {
        lines.push(`import type { I${o.kind} as ${type} } from ${JSON.stringify(path.join(pkg, OPERATOR_GROUP, version, o.kind))};`);
        types.add(type);
      }
      lines.push(`export const o${i}: ${type} = ${JSON.stringify(o)};`);
      if (o.kind === 'AlertmanagerConfig') {
        const nested: any[] = [];
        walkRoutes(o.spec.route, nested);
        nested.forEach((r, j) => lines.push(`export const o${i}r${j}: NonNullable<${type}['spec']['route']> = ${JSON.stringify(r)};`));
      }
    });
    const file = path.join(dir, 'objects.ts');
    fs.writeFileSync(file, lines.join('\n'));
    const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, types: [] });
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]);
  }

  test('every field of every operator object is one its CRD declares', () => {
    expect(unknownFields(operatorObjects)).toEqual([]);
  });

  test('the field check can fail: a misspelt field in a nested route and in a receiver', () => {
    const am = structuredClone(operatorObjects.find((o) => o.kind === 'AlertmanagerConfig')!);
    am.spec.route.routes[1].routes[0].contine = true;
    am.spec.receivers.find((r: any) => r.pagerdutyConfigs).pagerdutyConfigs[0].pagerDutyLinkConfigs[0].text = 'Runbook';
    const problems = unknownFields([am]);
    expect(problems.some((p) => p.includes('"contine"'))).toBe(true);
    expect(problems.some((p) => p.includes('"text"'))).toBe(true);
  });
});

describe('rule groups', () => {
  const ruleObjects = objects.filter((o) => o.kind === 'PrometheusRule');

  test('the PrometheusRules equal the rule files rendered for the same context by the standalone function, group for group', () => {
    const stack = new OperatorStack(new App(), profile);
    const { ruleFiles } = alertingSources({ ...profile, mode: undefined, operator: undefined, alertmanager: undefined }, {
      ruleContext: { watchedNamespaces: [namespace], jobs: { ...stack.target.jobs, postgresExporter: STANDALONE_JOBS.postgresExporter } },
      grafanaUrl: stack.target.grafanaUrl,
      alertLabels: { namespace, environment: profile.environment! },
    });
    // The same groups, with the one change the operator stack makes after rendering (see OPERATOR_WATCHDOG_SEVERITY).
    const expected = withWatchdogSeverity(ruleFiles, OPERATOR_WATCHDOG_SEVERITY);
    expect(ruleObjects.map((o) => o.spec.groups).flat()).toEqual(Object.values(expected).flatMap((f) => f.groups));
    expect(ruleObjects.length).toBe(Object.keys(ruleFiles).length);
  });

  // The standalone stack in the same namespace, with the same Grafana URL and overrides: what differs is listed.
  const standalone: StackConfig = { environment: 'dev', namespace, ingress: { domain: 'knowton.io' }, alerts: profile.alerts, slos: profile.slos };
  const standaloneRules = Object.values(prometheusFiles(loadObjects(synthTo(standalone))).rules).flatMap((text) => parse(text).groups);

  test("against the standalone stack's rule files, exactly the job names, the platform's labels and the volume alert differ", () => {
    const operatorGroups = ruleObjects.flatMap((o) => o.spec.groups);
    const byName = (a: any, b: any) => a.name.localeCompare(b.name);
    operatorGroups.sort(byName);
    standaloneRules.sort(byName);
    expect(operatorGroups.map((g: any) => g.name)).toEqual(standaloneRules.map((g: any) => g.name));
    // The volume of the platform's Prometheus is the platform's to watch (kube-prometheus-stack ships its own alerts).
    const standaloneOnly = ['PrometheusVolumeFillingUp', 'PrometheusVolumeFull'];
    const platformJob = /\{job="kube-prometheus-stack-(prometheus|alertmanager)"\}/g;
    const differences: string[] = [];
    operatorGroups.forEach((g: any, i: number) => {
      const s = { ...standaloneRules[i], rules: standaloneRules[i].rules.filter((r: any) => !standaloneOnly.includes(r.alert)) };
      expect(g.rules.map((r: any) => r.alert ?? r.record)).toEqual(s.rules.map((r: any) => r.alert ?? r.record));
      g.rules.forEach((r: any, j: number) => {
        const t = s.rules[j];
        for (const field of new Set([...Object.keys(r), ...Object.keys(t)])) {
          if (field === 'labels' && r.alert) {
            const { namespace: ns, environment: env, ...rest } = r.labels;
            if (ns !== undefined) differences.push(`${r.alert} labels.namespace=${ns}`);
            if (env !== undefined) differences.push(`${r.alert} labels.environment=${env}`);
            if (rest.severity !== t.labels.severity) differences.push(`${r.alert} severity: ${t.labels.severity} -> ${rest.severity}`);
            expect({ ...rest, severity: t.labels.severity }).toEqual(t.labels);
          } else if (field === 'expr' && r.expr !== t.expr && r.expr.replace(platformJob, '') === t.expr) {
            differences.push(`${r.alert} expr: only the platform's own job`);
          } else if (!isDeepStrictEqual(r[field], t[field])) {
            differences.push(`${r.alert ?? r.record} ${field}: ${t[field]} -> ${r[field]}`);
          }
        }
      });
    });
    const alerts = operatorGroups.flatMap((g: any) => g.rules.filter((r: any) => r.alert).map((r: any) => r.alert));
    expect(differences.sort()).toEqual([
      // The operator routes an AlertmanagerConfig's alerts by namespace: every alert carries its own, and the
      // environment the standalone Prometheus adds as an external label (the notification titles start with it).
      ...alerts.map((a: string) => `${a} labels.namespace=${namespace}`),
      ...alerts.map((a: string) => `${a} labels.environment=${profile.environment}`),
      // The chart's InfoInhibitor would mute an info Watchdog whenever all is well.
      'Watchdog severity: info -> none',
      // The platform's Prometheus scrapes every team's Prometheus and Alertmanager: only its own pair is watched,
      // and of the targets only KnowTon's own. kube-prometheus-stack names the jobs after the release.
      ...['PrometheusConfigReloadFailed', 'PrometheusRuleEvaluationFailures', 'PrometheusNotConnectedToAlertmanagers', 'PrometheusMissingRuleEvaluations',
        'PrometheusTSDBCompactionsFailing', 'PrometheusWALFailures', 'PrometheusNotificationsFailing', 'AlertmanagerNotificationsFailing',
        'AlertmanagerConfigReloadFailed'].map((a) => `${a} expr: only the platform's own job`),
      'AlertmanagerDown expr: up{job="alertmanager"} == 0 -> up{job="kube-prometheus-stack-alertmanager"} == 0',
      // and of its own namespace: other teams' postgres-exporters share the job name
      'MonitoringTargetDown expr: up{job=~"prometheus|kube-state-metrics|node-exporter|postgres-exporter|kubelet-cadvisor|kubelet"} == 0 -> '
        + 'up{job=~"postgres-exporter", namespace=~"knowton"} == 0',
      `MonitoringTargetMissing expr: ${['prometheus', 'kube-state-metrics', 'node-exporter', 'postgres-exporter', 'kubelet-cadvisor', 'kubelet']
        .map((j) => `label_replace(absent(up{job="${j}"}), "job", "${j}", "", "")`).join(' or ').replace(/^/, '(').concat(') > 0')} -> `
        + 'label_replace(absent(up{namespace=~"knowton", job="postgres-exporter"}), "job", "postgres-exporter", "", "") > 0',
    ].sort());
  });

  test('promtool accepts the PrometheusRule groups as rule files', () => {
    const dir = tempDir('knowton-operator-rules-');
    const files = ruleObjects.map((o) => {
      const file = path.join(dir, `${o.metadata.name}.yml`);
      fs.writeFileSync(file, JSON.stringify({ groups: o.spec.groups }));
      return file;
    });
    const r = run('promtool', ['check', 'rules', ...files]);
    expect(r.output).not.toContain('FAILED');
    expect(r.code).toBe(0);
  });
});

describe('monitors', () => {
  test('the PodMonitor relabels as the standalone app job, after dropping the labels only the operator adds', () => {
    const pm = objects.find((o) => o.kind === 'PodMonitor')!;
    const [drop, ...rest] = pm.spec.podMetricsEndpoints[0].relabelings;
    expect(drop).toEqual({ action: 'labeldrop', regex: 'container|endpoint' });
    expect(rest.map((r: any) => JSON.stringify(r, Object.keys(r).sort())))
      .toEqual(appPodRelabelings().map((r) => ({ sourceLabels: r.source_labels, targetLabel: r.target_label, regex: r.regex, replacement: r.replacement, action: r.action }))
        .map((r) => JSON.parse(JSON.stringify(r))).map((r) => JSON.stringify(r, Object.keys(r).sort())));
    expect(pm.spec.namespaceSelector).toEqual({ matchNames: [namespace] });
  });

  /**
   * The target labels a series ends up with: those prometheus-operator's own relabelling gives a PodMonitor's or a
   * ServiceMonitor's target (namespace, pod, container, endpoint, service, job, instance), then ours.
   */
  function targetLabels(relabelings: Array<Record<string, any>>, operatorAdds: string[]): string[] {
    const labels = new Set(operatorAdds);
    for (const r of relabelings) {
      if (r.action === 'labeldrop') [...labels].filter((l) => new RegExp(`^(?:${r.regex})$`).test(l)).forEach((l) => labels.delete(l));
      else if (r.targetLabel && !r.targetLabel.startsWith('__')) labels.add(r.targetLabel);
    }
    return [...labels].sort();
  }

  test("the monitors' series carry exactly the target labels of the catalog's sources (the standalone jobs')", () => {
    const pm = objects.find((o) => o.kind === 'PodMonitor')!;
    const sm = objects.find((o) => o.kind === 'ServiceMonitor')!;
    expect(targetLabels(pm.spec.podMetricsEndpoints[0].relabelings, ['job', 'instance', 'namespace', 'pod', 'container', 'endpoint']))
      .toEqual([...APP.targetLabels].sort());
    expect(targetLabels(sm.spec.endpoints[0].relabelings, ['job', 'instance', 'namespace', 'pod', 'container', 'endpoint', 'service']))
      .toEqual([...POSTGRES_EXPORTER.targetLabels].sort());
  });

  test("the ServiceMonitor selects postgres-exporter's Service and names its port", () => {
    const sm = objects.find((o) => o.kind === 'ServiceMonitor')!;
    const services = objects.filter((o) => o.kind === 'Service' && o.metadata.namespace === sm.spec.namespaceSelector.matchNames[0]
      && Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v));
    expect(services.map((s) => s.metadata.name)).toEqual(['postgres-exporter']);
    expect(services[0].spec.ports.map((p: { name: string }) => p.name)).toContain(sm.spec.endpoints[0].port);
  });

  test("every object the operator selects carries its selector's labels (kube-prometheus-stack's release label)", () => {
    for (const o of operatorObjects) expect(o.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const dashboards = objects.filter((o) => o.kind === 'ConfigMap');
    expect(dashboards.length).toBe(5);
    for (const d of dashboards) {
      expect(d.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
      expect(d.metadata.namespace).toBe('monitoring');
      const model = JSON.parse(Object.values(d.data as Record<string, string>)[0]);
      expect(model.templating.list[0]).toMatchObject({ type: 'datasource', name: 'datasource', query: 'prometheus' });
      expect(JSON.stringify(model)).not.toMatch(/"uid":"(?!\$\{datasource\}|knowton-)[^"]*prometheus/i);
    }
  });

  test('the Helm values select what synth wrote', () => {
    const values = parse(fs.readFileSync(path.join(dist, 'kube-prometheus-stack', 'values.yaml'), 'utf8'));
    const stack = new OperatorStack(new App(), profile);
    expect(values).toEqual(JSON.parse(JSON.stringify(helmValues(stack.target))));
    const selected = (kind: string, selector: { matchLabels: Record<string, string> }) =>
      objects.filter((o) => o.kind === kind).every((o) => Object.entries(selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v));
    expect(selected('PrometheusRule', values.prometheus.prometheusSpec.ruleSelector)).toBe(true);
    expect(selected('PodMonitor', values.prometheus.prometheusSpec.podMonitorSelector)).toBe(true);
    expect(selected('ServiceMonitor', values.prometheus.prometheusSpec.serviceMonitorSelector)).toBe(true);
    expect(selected('AlertmanagerConfig', values.alertmanager.alertmanagerSpec.alertmanagerConfigSelector)).toBe(true);
  });
});

describe('bad input', () => {
  const withOperator = (operator: object, extra: object = {}): StackConfig => ({ ...profile, operator: { ...profile.operator, ...operator }, ...extra } as StackConfig);
  test.each([
    ['an unknown selector field', withOperator({ serviceMonitorSelektor: { release: 'x' } }), /StackConfig\.operator.*serviceMonitorSelektor/],
    ['a selector label key that is no label key', withOperator({ ruleSelector: { 'team/owner/x': 'sre' } }), /ruleSelector key.*team\/owner\/x.*label key/],
    ['an empty selector', withOperator({ podMonitorSelector: {} }), /podMonitorSelector.*non-empty/],
    ['a selector label value too long', withOperator({ alertmanagerConfigSelector: { release: 'x'.repeat(64) } }), /alertmanagerConfigSelector\.release/],
    ['two Grafana dashboard labels', withOperator({ grafanaDashboardLabels: { a: '1', b: '1' } }), /grafanaDashboardLabels.*exactly one label/],
    ['an operator namespace that is not a name', withOperator({ namespace: 'Monitoring_NS' }), /StackConfig\.operator.*namespace.*Monitoring_NS.*DNS-1123/],
    ['a Secret key reference to a credential no receiver reads', withOperator({ receiverSecretKeys: { 'smtp-password': 'smtp' } }), /receiverSecretKeys\.smtp-password.*a credential the receivers read/],
    ['an empty Secret key', withOperator({ receiverSecretKeys: { 'pagerduty-routing-key': '' } }), /receiverSecretKeys\.pagerduty-routing-key.*Secret key/],
    ['an unknown job key', withOperator({ jobs: { cadvisorr: 'kubelet' } }), /operator\.jobs.*cadvisorr/],
    ['a mode that does not exist', { ...profile, mode: 'operater' }, /StackConfig.*mode.*operater.*standalone or operator/],
    ['operator settings without the operator mode', { ...profile, mode: 'standalone' }, /StackConfig.*operator.*nothing unless mode is 'operator'/],
    ['Prometheus settings in the operator mode', { ...profile, prometheus: { replicas: 2 } }, /StackConfig.*prometheus.*nothing in mode 'operator'/],
    ["the Alertmanager's own settings in the operator mode", { ...profile, alertmanager: { replicas: 3 } }, /StackConfig\.alertmanager.*replicas/],
    ['watched namespaces beside its own', { ...profile, watchedNamespaces: ['knowton-apps'] }, /watchedNamespaces.*routed by their namespace label/],
    ["the operator's namespace as KnowTon's", { ...profile, namespace: 'monitoring' }, /namespace.*monitoring.*other than the operator's/],
    ['the Slack bot token (a URL in the clear)', { ...profile, alertmanager: { slackMode: 'bot-token' } }, /api_url.*cannot express/],
  ] as Array<[string, StackConfig, RegExp]>)('%s fails synth, naming it', (_name, config, message) => {
    let error: unknown;
    try {
      new OperatorStack(new App(), config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });
});

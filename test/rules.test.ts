import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { AlertRule, catalogWithRecordings, generatePromtoolTests, renderRuleFile, renderRunbooks, renderTemplate, RuleGroup, validateRuleGroups } from '../lib/alerting';
import { checkQuery } from '../lib/promql';
import { count, Duration } from '../lib/units';
import { EVERY_RULE_CONTEXT, ruleGroups } from '../rules';
import { AlertCase, FIFTEEN_SECONDS, promtool, promtoolTestEach, runAlertCases, selector, tempDir, writeRuleFiles, writeTestFiles } from './rule-tools';

// every optional alert on (remote write, a cluster of three Alertmanagers), so each gets its generated test
const groups = ruleGroups(EVERY_RULE_CONTEXT);
const alerts = new Map<string, { alert: AlertRule; group: RuleGroup }>(groups.flatMap((g) => g.alerts.map((a) => [a.name, { alert: a, group: g }] as const)));

// The spec's alerts: severity, `for`, and the rendered condition.
const SPEC: Array<[string, string, string, string]> = [
  ['ServiceDown', 'critical', '2m', 'up{job=~"knowton-.+"} == 0'],
  ['HighErrorRate', 'warning', '5m', 'service:http_requests_errors:ratio_rate5m * 100 > 5'],
  ['HighResponseTime', 'warning', '10m', 'service:http_request_duration_seconds:p95_rate5m > 1'],
  ['HighCPUUsage', 'warning', '10m', 'namespace_pod_container:cpu_usage:ratio_of_limit * 100 > 80'],
  ['HighMemoryUsage', 'warning', '10m', 'namespace_pod_container:memory_working_set:ratio_of_limit * 100 > 85'],
  // issue 15: kube-state-metrics sees every namespace; only the watched ones page
  ['PodCrashLooping', 'critical', '0s', 'sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{namespace=~"knowton-dev"}[15m])) > 0'],
  [
    'ServiceMissing',
    'critical',
    '2m',
    'max by (service) (label_replace(absent(up{job=~"knowton-.+", service="backend"} == 1), "service", "backend", "", "") or label_replace(absent(up{job=~"knowton-.+", service="ai-service"} == 1), "service", "ai-service", "", "") or label_replace(kube_deployment_labels{namespace=~"knowton-dev", label_app=~"backend|ai-service"} unless on (namespace, deployment) (kube_deployment_status_replicas_available{namespace=~"knowton-dev"} > 0), "service", "$1", "label_app", "(.+)")) > 0',
  ],
  [
    'ContainerWaiting',
    'warning',
    '5m',
    'max by (namespace, pod, container, reason) (kube_pod_container_status_waiting_reason{namespace=~"knowton-dev", reason=~"ImagePullBackOff|ErrImagePull|CrashLoopBackOff|CreateContainerConfigError|CreateContainerError|InvalidImageName"}) > 0',
  ],
  ['PostgreSQLDown', 'critical', '1m', 'pg_up == 0'],
  ['HighDatabaseConnections', 'warning', '5m', 'sum by (instance) (pg_stat_database_numbackends) > 80'],
  ['LowNFTMintingRate', 'warning', '2h', '(sum(rate(knowton_nft_mints_total[1h])) or vector(0)) * 3600 < 1'],
  ['NoActiveUsers', 'warning', '1h', 'max(knowton_active_users_total{timeframe="24h"}) < 10'],
  [
    'HighTransactionFailureRate',
    'warning',
    '10m',
    '(sum by (network) (rate(knowton_transaction_errors_total[5m])) / sum by (network) (rate(knowton_transactions_total[5m]))) * 100 > 10',
  ],
];

describe('the rules of the spec', () => {
  test('validate at the default 15s scrape and evaluation interval', () => {
    expect(() => validateRuleGroups(groups, { scrapeInterval: FIFTEEN_SECONDS, evaluationInterval: FIFTEEN_SECONDS })).not.toThrow();
  });

  test('one group per file of rules/, each with its own rule file', () => {
    expect(groups.map((g) => g.fileName)).toEqual(['service-health.rules.yml', 'resources.rules.yml', 'database.rules.yml', 'business.rules.yml', 'monitoring.rules.yml']);
    expect(groups.map((g) => g.category)).toEqual(['service-health', 'resources', 'database', 'business', 'monitoring']);
  });

  test.each(SPEC)('%s: %s, for %s, when %s', (name, severity, forText, expr) => {
    const found = alerts.get(name);
    expect(found).toBeDefined();
    const { alert } = found!;
    expect(alert.severity).toBe(severity);
    expect(alert.for.toPromDuration()).toBe(forText);
    expect(alert.expr).toBe(expr);
  });

  test('the recording rules compute what the spec describes', () => {
    const recorded = Object.fromEntries(groups.flatMap((g) => g.recordings.map((r) => [r.record, r.source.expr])));
    expect(recorded).toEqual({
      'service:http_requests_errors:ratio_rate5m': 'sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m]))',
      'service:http_request_duration_seconds:p95_rate5m': 'histogram_quantile(0.95, sum by (le, service) (rate(http_request_duration_seconds_bucket[5m])))',
      'namespace_pod_container:cpu_usage:ratio_of_limit':
        'sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{container!="", namespace=~"knowton-dev"}[5m])) / sum by (namespace, pod, container) (kube_pod_container_resource_limits{resource="cpu", namespace=~"knowton-dev"})',
      'namespace_pod_container:memory_working_set:ratio_of_limit':
        'sum by (namespace, pod, container) (container_memory_working_set_bytes{container!="", namespace=~"knowton-dev"}) / sum by (namespace, pod, container) (kube_pod_container_resource_limits{resource="memory", namespace=~"knowton-dev"})',
    });
  });

  test('"fewer than 1 per hour" is converted by the library, not hand-computed', () => {
    const { alert } = alerts.get('LowNFTMintingRate')!;
    expect(alert.expr).toContain('* 3600 < 1');
    expect(alert.expr).not.toMatch(/0\.000\d/);
  });

  test('monitor the monitors', () => {
    const monitoring = groups.find((g) => g.category === 'monitoring')!.alerts.map((a) => a.name);
    expect(monitoring).toEqual([
      'Watchdog',
      'PrometheusConfigReloadFailed',
      'PrometheusRuleEvaluationFailures',
      // issue 15: the upstream mixin's alerts for the features this stack uses
      'PrometheusNotConnectedToAlertmanagers',
      'PrometheusMissingRuleEvaluations',
      'PrometheusTSDBCompactionsFailing',
      'PrometheusWALFailures',
      'PrometheusNotificationsFailing',
      'AlertmanagerNotificationsFailing',
      'AlertmanagerConfigReloadFailed',
      'AlertmanagerDown',
      'MonitoringTargetDown',
      'MonitoringTargetMissing',
      'PrometheusVolumeFillingUp',
      'PrometheusVolumeFull',
      // only where remote write is configured
      'PrometheusRemoteWriteFailing',
      'PrometheusRemoteWriteBehind',
      // only where Alertmanager is clustered (instead of AlertmanagerDown)
      'AlertmanagerMemberDown',
      'AlertmanagerClusterMembersInconsistent',
      'AlertmanagerClusterDown',
      'AlertmanagerConfigInconsistent',
    ]);
    expect(alerts.get('Watchdog')!.alert.expr).toBe('vector(1)');
    expect(alerts.get('AlertmanagerDown')!.alert.expr).toBe('up{job="alertmanager"} == 0');
    // a failed self-scrape during a breach must not hide it: gauges read over a window
    expect(alerts.get('PrometheusConfigReloadFailed')!.alert.expr).toBe('min_over_time(prometheus_config_last_reload_successful[5m]) == 0');
    expect(alerts.get('PrometheusNotConnectedToAlertmanagers')!.alert.expr).toBe('max_over_time(prometheus_notifications_alertmanagers_discovered[5m]) < 1');
    // every exporter job of the stack is watched
    const targets = alerts.get('MonitoringTargetDown')!.alert.expr;
    for (const job of ['prometheus', 'kube-state-metrics', 'node-exporter', 'postgres-exporter', 'kubelet-cadvisor']) expect(targets).toContain(job);
    // and each must be there at all: a job without a target has no `up` series for the above to see
    const missing = alerts.get('MonitoringTargetMissing')!.alert.expr;
    for (const job of ['prometheus', 'kube-state-metrics', 'node-exporter', 'postgres-exporter', 'kubelet-cadvisor', 'kubelet']) expect(missing).toContain(`absent(up{job="${job}"})`);
  });

  test('every alert has the labels and annotations Alertmanager and people need', () => {
    const { catalog } = catalogWithRecordings(groups);
    for (const g of groups) {
      const file = renderRuleFile(g) as { groups: Array<{ rules: any[] }> };
      for (const rule of file.groups[0].rules.filter((r) => r.alert)) {
        expect(rule.alert).toMatch(/^[A-Z][A-Za-z0-9]+$/);
        expect(Object.keys(rule.labels).sort()).toEqual(['category', 'component', 'severity']);
        expect(rule.labels.category).toBe(g.category);
        expect(rule.annotations.runbook_url).toBe(`https://github.com/knowton/knowton-monitoring/blob/main/docs/runbooks/${rule.alert}.md`);
        if (rule.alert !== 'Watchdog') expect(rule.annotations.description).toMatch(/\{\{ \$value \| (humanize|humanizePercentage|humanizeDuration|printf "%\.[02]f") \}\}/);
        // the query passes the same checks a dashboard panel does, recorded series included
        expect(() => checkQuery(rule.expr, { context: rule.alert, catalog })).not.toThrow();
      }
    }
  });

  test('runbooks exist for every alert and quote its threshold and PromQL', () => {
    const books = renderRunbooks(groups);
    for (const [name, { alert }] of alerts) {
      const page = books[`${name}.md`];
      expect(page).toContain(`# ${name}`);
      expect(page).toContain(alert.expr);
      if (alert.condition) expect(page).toContain(`**${alert.condition.threshold}**`);
      expect(page).toContain('## First checks');
    }
    expect(books['LowNFTMintingRate.md']).toContain('It fires when the value is below **1 per hour** for 2 hours. The value is the rate of NFT mints over the last hour.');
  });
});

describe('with the real promtool', () => {
  const dir = tempDir();
  const ruleFiles = writeRuleFiles(dir, groups);
  const testFiles = writeTestFiles(dir, groups);

  test('promtool check rules accepts the synthesized rule files', () => {
    const r = promtool(dir, 'check', 'rules', ...ruleFiles);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
    expect(r.output).toContain('SUCCESS: 6 rules found'); // service-health: 2 recordings + 4 alerts
  });

  test('the rule files are plain YAML without anchors or tags', () => {
    for (const f of ruleFiles) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      expect(text).not.toMatch(/[&*!][a-z]/);
      expect(parse(text).groups).toHaveLength(1);
    }
  });

  test('one generated test per alert', () => {
    const files = generatePromtoolTests(groups, { evaluationInterval: FIFTEEN_SECONDS }) as Array<{ fileName: string; content: any }>;
    const tested = files.flatMap((f) => f.content.tests.map((t: any) => t.alert_rule_test[0].alertname));
    expect(tested.sort()).toEqual([...alerts.keys()].sort());
  });

  test("ServiceMissing's generated test makes the target disappear (`_` samples), not drop to 0", () => {
    const files = generatePromtoolTests(groups, { evaluationInterval: FIFTEEN_SECONDS }) as Array<{ fileName: string; content: any }>;
    const test = files.flatMap((f) => f.content.tests).find((t: any) => t.name.startsWith('ServiceMissing'));
    const gone = test.input_series.filter((s: any) => /_x\d+$/.test(s.values));
    expect(gone).toHaveLength(1);
    expect(gone[0].series).toMatch(/^up\{.*service="backend"/);
    expect(gone[0].values).toMatch(/^1x\d+ _x\d+$/);
  });

  test('promtool test rules: each alert fires just above its threshold after `for`, not below, not before', async () => {
    expect(await promtoolTestEach(testFiles.map((file) => ({ dir, file })))).toEqual([]);
  });

  test('the tests also pass at a 1m evaluation interval', async () => {
    const other = tempDir();
    const files = writeTestFiles(other, groups, Duration.minutes(1));
    expect(await promtoolTestEach(files.map((file) => ({ dir: other, file })))).toEqual([]);
  });

  test("an alert's test loads only it and the recordings it reads, and fails without them", async () => {
    const files = generatePromtoolTests(groups, { evaluationInterval: FIFTEEN_SECONDS });
    const rulesOf = (name: string) => (files.find((f) => f.alert === name)!.rules.content.groups as any[]).map((g) => [g.name, g.rules.map((r: any) => r.record ?? r.alert)]);
    // HighErrorRate reads service:http_requests_errors:ratio_rate5m, which its group records first.
    expect(rulesOf('HighErrorRate')).toEqual([['service-health', ['service:http_requests_errors:ratio_rate5m', 'HighErrorRate']]]);
    expect(rulesOf('PostgreSQLDown')).toEqual([['database', ['PostgreSQLDown']]]);
    // Without the recording the alert never fires: it is needed, not extra.
    const other = tempDir();
    writeTestFiles(other, groups);
    expect(await promtoolTestEach([{ dir: other, file: 'HighErrorRate.test.yml' }])).toEqual([]);
    const file = path.join(other, 'HighErrorRate.rules.yml');
    const ruleFile = parse(fs.readFileSync(file, 'utf8'));
    ruleFile.groups[0].rules = ruleFile.groups[0].rules.filter((r: any) => r.alert);
    fs.writeFileSync(file, stringify(ruleFile));
    // one promtool for the three files: the failure is the broken one's, with its own output
    expect(await promtoolTestEach(['PostgreSQLDown.test.yml', 'HighErrorRate.test.yml', 'ServiceDown.test.yml'].map((file) => ({ dir: other, file })), 1))
      .toEqual([expect.stringMatching(new RegExp(`^${path.join(other, 'HighErrorRate.test.yml')}:\\n[^]*FAILED[^]*HighErrorRate`))]);
  });
});

describe('BusinessMetricsExporterFailing after a database outage (promtool)', () => {
  // The collectors fail twice a minute while the database is down (0-20m); PostgreSQLDown mutes the alert
  // meanwhile (rules/inhibitions.ts), and it must not be sent once the database is back either.
  const errors = (values: string) => ({ [selector('knowton_metrics_exporter_errors_total', { job: 'knowton-backend', service: 'backend', namespace: 'knowton-dev', pod: 'backend-0', collector: 'nfts' })]: values });
  const db = { job: 'postgres-exporter', namespace: 'knowton-dev', instance: '10.42.1.7:9187' };
  const pgUp = (values: string) => ({ [selector('pg_up', db)]: values });
  const fires = [{ service: 'backend', collector: 'nfts' }];
  const outage = { ...pgUp('0x20 1x40'), ...errors('0+2x20 40x40') };
  const stillFailing = { ...pgUp('0x20 1x40'), ...errors('0+2x60') };
  const exporterFailing = 'BusinessMetricsExporterFailing';
  const cases: AlertCase[] = [
    // the outage, as PostgreSQLDown sees it: firing until the database is back at 21m
    { name: 'PostgreSQLDown fires during the outage', input: outage, alertname: 'PostgreSQLDown', evalTime: '15m', fires: [db] },
    { name: 'PostgreSQLDown resolved once the database is back', input: outage, alertname: 'PostgreSQLDown', evalTime: '22m', fires: [] },
    { name: 'during the outage it fires (and PostgreSQLDown mutes it)', input: outage, alertname: exporterFailing, evalTime: '15m', fires },
    { name: 'database back, failures still in the window: silent', input: outage, alertname: exporterFailing, evalTime: '25m', fires: [] },
    { name: 'the same at 29m, just before the outage leaves the window: silent', input: outage, alertname: exporterFailing, evalTime: '29m', fires: [] },
    { name: 'database back, collectors still failing: pending again once PostgreSQLDown left the window', input: stillFailing, alertname: exporterFailing, evalTime: '35m', fires: [] },
    { name: 'database back, collectors still failing: fires after `for`', input: stillFailing, alertname: exporterFailing, evalTime: '45m', fires },
    // a blip too short for PostgreSQLDown (one sample of 0, under its minute of `for`) changes nothing
    { name: 'a database blip that never fires PostgreSQLDown: the collectors\' own failures fire', input: { ...pgUp('1x9 0 1x50'), ...errors('0+2x60') }, alertname: exporterFailing, evalTime: '15m', fires },
    { name: 'the blip does not fire PostgreSQLDown', input: { ...pgUp('1x9 0 1x50'), ...errors('0+2x60') }, alertname: 'PostgreSQLDown', evalTime: '11m', fires: [] },
    { name: 'database up all along, a collector failing: fires', input: { ...pgUp('1x60'), ...errors('0+2x60') }, alertname: exporterFailing, evalTime: '15m', fires },
    { name: 'no pg_up at all (its exporter gone), a collector failing: fires', input: errors('0+2x60'), alertname: exporterFailing, evalTime: '15m', fires },
  ];

  test("the guard names an alert of rules/, and an environment's threshold, `for` or window override keeps it (over the new window)", () => {
    const { alert } = alerts.get(exporterFailing)!;
    const guard = (w: string) => ` unless on () (max_over_time(ALERTS{alertname="PostgreSQLDown", alertstate="firing"}[${w}]) unless on () ALERTS{alertname="PostgreSQLDown", alertstate="firing"})`;
    expect(alert.expr).toBe(`sum by (service, collector) (increase(knowton_metrics_exporter_errors_total[10m])) > 3${guard('10m')}`);
    expect(alerts.has('PostgreSQLDown')).toBe(true);
    const changed = alert.with('test', { threshold: count(5), for: Duration.minutes(1), window: Duration.seconds(30) });
    expect(changed.expr).toBe(`sum by (service, collector) (increase(knowton_metrics_exporter_errors_total[30s])) > 5${guard('30s')}`);
    expect(alert.with('test', { threshold: count(5) }).expr.endsWith(guard('10m'))).toBe(true);
  });

  test('silent while a real outage leaves its window, firing for failures of their own and after a blip', () => {
    const r = runAlertCases(groups, cases);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });
});

test('a count in an alert\'s text is a whole number: one restart reads 1, not the 1.04 increase() extrapolates', () => {
  const resources = groups.find((g) => g.name === 'resources')!;
  const dir = tempDir();
  const [file] = writeRuleFiles(dir, [resources]);
  const container = { namespace: 'knowton-dev', pod: 'backend-7d4b9c6f5-x2x9q', container: 'backend' };
  const rule = (renderRuleFile(resources) as { groups: Array<{ rules: any[] }> }).groups[0].rules.find((r) => r.alert === 'PodCrashLooping');
  const labels = { ...rule.labels, ...container };
  // Rendered for the value 1: promtool renders the real one, extrapolated to the window's edges half a
  // scrape beyond the first and last samples (1.0357...).
  const annotations = Object.fromEntries(Object.entries(rule.annotations as Record<string, string>).map(([k, v]) => [k, renderTemplate(v, labels, 1)]));
  expect(annotations.description).toContain(': 1 restarts counted');
  fs.writeFileSync(path.join(dir, 'restart.test.yml'), stringify({
    rule_files: [file],
    evaluation_interval: '30s',
    tests: [{
      interval: '1m',
      // one restart at minute 12 of a container running since before the window
      input_series: [{ series: selector('kube_pod_container_status_restarts_total', { job: 'kube-state-metrics', uid: 'u1', ...container }), values: '0x11 1x20' }],
      alert_rule_test: [{ alertname: 'PodCrashLooping', eval_time: '20m30s', exp_alerts: [{ exp_labels: labels, exp_annotations: annotations }] }],
    }],
  }));
  const r = promtool(dir, 'test', 'rules', 'restart.test.yml');
  expect(r.output).not.toContain('FAILED');
  expect(r.status).toBe(0);
});

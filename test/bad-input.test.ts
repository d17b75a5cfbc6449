/**
 * Bad input, table-driven: each row builds a StackConfig (or an extra rule or dashboard) the way a
 * user of `npm run synth` would, with `as any` where the mistake is a type error (synth transpiles
 * without type checking), and synthesizes it over a copy of the committed dist/. Each must fail with
 * a ConfigError naming the field, the value and what is allowed, and leave the copies of dist/ and
 * docs/runbooks byte-identical: every row runs over the same copies, and no file or folder of them is
 * written, created, removed or renamed by a row (their inodes, sizes and change times are the same
 * after it), and they still hold the committed bytes after the last row. Rules and dashboards are injected by replacing `ruleGroups()` and
 * `dashboards()` for one row (jest.spyOn), so they go through the same synth path as the rules of
 * rules/ and the dashboards of dashboards/. A few rows at the end are edge values that must pass.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AlertRule, AlertRuleProps, catalogWithRecordings, RuleGroup } from '../lib/alerting';
import { http, postgres, scrape } from '../lib/catalog';
import { StackConfig } from '../lib/config';
import { checkDashboards } from '../lib/dashboards/validate';
import { CATALOG } from '../lib/catalog';
import { gauge, histogramQuantile, Query, share } from '../lib/promql';
import { SynthError, synthesizeEnvironments } from '../lib/synth';
import { count, Duration, percent, seconds } from '../lib/units';
import { ConfigError, goTemplateProblem, re2Problem } from '../lib/validate';
import { TEMPLATE_SOURCE } from '../lib/alertmanager/templates';
import * as dashboardsModule from '../dashboards';
import * as rulesModule from '../rules';
import { errorRatio, p95Latency } from '../rules/service-health';
import { parse, stringify } from 'yaml';
import { App, Chart, Testing } from 'cdk8s';
import { Prometheus } from '../lib/components/prometheus';
import { AlertmanagerConfigProps, alertmanagerConfigFiles, TEMPLATE_FILE, TimeInterval } from '../lib/alertmanager';
import { withUrlFilesAsUrls } from '../lib/demo/dist';
import { toYaml } from '../lib/yaml';
import { listFiles, run, tempDir } from './helpers';

const ROOT = path.join(__dirname, '..');
const realRuleGroups = rulesModule.ruleGroups;
const realDashboards = dashboardsModule.dashboards;

/** Every file below `dir` with its bytes. */
function tree(dir: string): Array<[string, string]> {
  return listFiles(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]);
}

const committed = { dist: tree(path.join(ROOT, 'dist')), runbooks: tree(path.join(ROOT, 'docs', 'runbooks')) };

/** A fresh directory holding copies of the committed dist/ and docs/runbooks. */
function freshCopy(): string {
  const work = tempDir('knowton-bad-input-');
  fs.cpSync(path.join(ROOT, 'dist'), path.join(work, 'dist'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'docs', 'runbooks'), path.join(work, 'runbooks'), { recursive: true });
  return work;
}
afterEach(() => jest.restoreAllMocks());

/**
 * Every entry below `dir`, `dir` itself included, with what any write, creation, removal or rename
 * there changes: inode, size, and modification and change times (nanoseconds). Cheaper than reading
 * every byte for each row, and stricter: even rewriting a file with the same bytes shows.
 */
function stamps(dir: string, rel = '.'): Array<[string, string]> {
  const st = fs.lstatSync(dir, { bigint: true });
  const own: [string, string] = [rel, `${st.mode} ${st.ino} ${st.size} ${st.mtimeNs} ${st.ctimeNs}`];
  if (!st.isDirectory()) return [own];
  return [own, ...fs.readdirSync(dir).sort().flatMap((f) => stamps(path.join(dir, f), `${rel}/${f}`))];
}

/** The copies every row of BAD runs over. */
let shared: string;
beforeAll(() => {
  shared = freshCopy();
});

/** A valid alert to spoil one field of. */
function alert(overrides: Partial<AlertRuleProps> = {}): AlertRule {
  return new AlertRule({
    name: 'ExtraAlert',
    severity: 'warning',
    component: 'application',
    when: errorRatio.query.above(percent(5)),
    for: Duration.minutes(5),
    summary: 'Errors on {{ $labels.service }}',
    description: '{{ value }} of the requests of {{ $labels.service }} failed (threshold {{ threshold }}).',
    firstChecks: ['Look at the logs.'],
    ...overrides,
  });
}
/** The rules of rules/ plus one group holding the alert `make` builds. */
// The rules of the context synth asks for (an environment's, or every alert's for the inhibition check), plus one.
const withAlert = (make: () => AlertRule) => (ctx?: rulesModule.RuleContext): RuleGroup[] => [...realRuleGroups(ctx), new RuleGroup({ name: 'extra', category: 'service-health', alerts: [make()] })];

/** The dashboards of dashboards/ with one of them changed by `change` (a deep copy). */
const withDashboard = (change: (models: Record<string, any>) => void) => (groups?: readonly RuleGroup[]): Record<string, object> => {
  const models = JSON.parse(JSON.stringify(realDashboards(groups))) as Record<string, any>;
  change(models);
  return models;
};
const SERVICE_HEALTH = 'service-health-dashboard.json';
const firstPanel = (m: Record<string, any>) => m[SERVICE_HEALTH].panels.find((p: any) => p.type !== 'row');

interface Row {
  /** The environment's config; a function, so that a mistake that throws while it is built is caught too. */
  readonly config?: () => StackConfig;
  readonly rules?: (ctx?: rulesModule.RuleContext) => RuleGroup[];
  readonly dashboards?: (groups?: readonly RuleGroup[]) => Record<string, object>;
  /** The mistake throws while the profile itself is built (a bad Duration or quantity), before synth runs. */
  readonly throwsWhileBuildingConfig?: boolean;
}
const cfg = (config: () => unknown): Row => ({ config: config as () => StackConfig });
const early = (config: () => unknown): Row => ({ ...cfg(config), throwsWhileBuildingConfig: true });
/** A config muting info alerts in the time interval `night`, `t` (Alertmanager's interval syntax in camelCase). */
const interval = (t: object): Row => cfg(() => ({ alertmanager: { timeIntervals: { night: [t] }, muteTimeIntervals: { info: ['night'] } } }));
const res = (over: object) => ({ cpuRequest: '100m', cpuLimit: '500m', memoryRequest: '256Mi', memoryLimit: '512Mi', ...over });

const BAD: Array<[string, Row, RegExp]> = [
  // the typed promise, at run time
  ['a ratio query compared with seconds', { rules: withAlert(() => alert({ when: errorRatio.query.above(seconds(5) as any) })) },
    /^rules\/: invalid alert rules: alert ExtraAlert \(group extra\): threshold 5 seconds is in seconds \(time\), but the query returns ratio \(ratio\): a threshold must be in its query's dimension$/],
  ['a bare number as threshold', { rules: withAlert(() => alert({ when: errorRatio.query.above(5 as any) })) },
    /alert ExtraAlert \(group extra\): threshold 5 is not a quantity: write it in the query's unit \(ratio\), e\.g\. 100%/],
  ['an override in the wrong unit', cfg(() => ({ alerts: { HighErrorRate: { threshold: seconds(5) } } })),
    /^StackConfig: invalid alerts\.HighErrorRate\.threshold "5 seconds": a quantity in the dimension of the alert's query \(ratio\), like 5%$/],
  ['an override threshold that is a bare number', cfg(() => ({ alerts: { HighErrorRate: { threshold: 5 } } })),
    /^StackConfig: invalid alerts\.HighErrorRate\.threshold "5": a quantity in the dimension of the alert's query \(ratio\)/],
  ['an override that is a bare quantity', cfg(() => ({ alerts: { HighErrorRate: percent(10) } })),
    /^StackConfig\.alerts\.HighErrorRate: invalid key "amount": unknown key: one of threshold, for, window$/],
  ['a negative rate window', { rules: withAlert(() => alert({ when: share(http.requests, { matching: { status: /5../ }, window: Duration.minutes(-5) }).above(percent(5)) })) },
    /^Duration: invalid length "-300000 ms": zero or more: a negative Duration has no Prometheus form$/],
  ['an override for an alert without threshold', cfg(() => ({ alerts: { Watchdog: { threshold: count(1) } } })),
    /^StackConfig: invalid alerts\.Watchdog\.threshold "1": nothing: this alert has no threshold$/],

  // misspelt and unknown keys
  ['a misspelt Prometheus setting', cfg(() => ({ prometheus: { retension: Duration.days(15) } })),
    /^StackConfig\.prometheus: invalid key "retension": unknown key \(did you mean retention\?\): one of replicas, image, reloaderImage, retention, retentionSize, /],
  ['a misspelt override field', cfg(() => ({ alerts: { HighDatabaseConnections: { treshold: count(150) } } })),
    /^StackConfig\.alerts\.HighDatabaseConnections: invalid key "treshold": unknown key \(did you mean threshold\?\): one of threshold, for, window$/],
  ['an unknown top-level key', cfg(() => ({ prometeus: {} })),
    /^StackConfig: invalid key "prometeus": unknown key \(did you mean prometheus\?\): one of environment, namespace, namespaceMode, podSecurityEnforce, hostNamespace, /],
  // the operator mode (more rows in test/operator.test.ts)
  ['an operator namespace that is not a name', cfg(() => ({ mode: 'operator', operator: { namespace: 'Monitoring' } })),
    /^StackConfig\.operator: invalid namespace "Monitoring": a DNS-1123 label/],
  ['an unknown operator selector', cfg(() => ({ mode: 'operator', operator: { ruleSelektor: { release: 'x' } } })),
    /^StackConfig\.operator: invalid key "ruleSelektor": unknown key \(did you mean ruleSelector\?\)/],
  ['a selector label key Kubernetes refuses', cfg(() => ({ mode: 'operator', operator: { ruleSelector: { 'a b': 'x' } } })),
    /^StackConfig\.operator: invalid ruleSelector key "a b": a Kubernetes label key/],
  ['a Secret key mapping that no receiver reads', cfg(() => ({ mode: 'operator', operator: { receiverSecretKeys: { 'smtp-password': 'smtp' } } })),
    /^StackConfig\.operator: invalid receiverSecretKeys\.smtp-password "smtp": a credential the receivers read: /],
  ['a setting the stack owns', cfg(() => ({ prometheus: { namespace: 'elsewhere' } })),
    /^StackConfig\.prometheus: invalid key "namespace": unknown key: one of replicas, /],
  ['Grafana rootUrl, which the Ingress decides', cfg(() => ({ grafana: { rootUrl: 'https://g.example.org' } })),
    /^StackConfig\.grafana: invalid key "rootUrl": unknown key: one of image, folder, adminSecretName, containerResources$/],
  ['an unknown resources key', cfg(() => ({ prometheus: { resources: { cpu: '1', ...res({}) } } })),
    /^StackConfig\.prometheus\.resources: invalid key "cpu": unknown key: one of cpuRequest, cpuLimit, memoryRequest, memoryLimit$/],
  ['an unknown remote_write key', cfg(() => ({ prometheus: { remoteWrite: [{ URL: 'https://m.example.org/push' }] } })),
    /^StackConfig\.prometheus\.remoteWrite\[0\]: invalid key "URL": unknown key \(did you mean url\?\)/],
  ['an unknown email key', cfg(() => ({ alertmanager: { email: { to: ['a@knowton.io'], from: 'b@knowton.io', smarthost: 's.knowton.io:587', tls: true } } })),
    /^StackConfig\.alertmanager\.email: invalid key "tls": unknown key: one of to, from, smarthost, authUsername, requireTls$/],
  ['an unknown timing', cfg(() => ({ alertmanager: { timings: { critical: { groupwait: Duration.seconds(5) } } } })),
    /^StackConfig\.alertmanager\.timings\.critical: invalid key "groupwait": unknown key \(did you mean groupWait\?\)/],
  ['an unknown severity in timings', cfg(() => ({ alertmanager: { timings: { page: {} } } })),
    /^StackConfig\.alertmanager\.timings: invalid key "page": unknown key: one of critical, warning, info, default$/],
  ['an unknown container resources key', cfg(() => ({ kubeStateMetrics: { containerResources: { ...res({}), memorylimit: '1Gi' } } })),
    /^StackConfig\.kubeStateMetrics\.containerResources: invalid key "memorylimit": unknown key \(did you mean memoryLimit\?\)/],
  ['an unknown network key', cfg(() => ({ network: { clusterCIDR: '10.0.0.0/8' } })),
    /^StackConfig\.network: invalid key "clusterCIDR": unknown key \(did you mean clusterCidr\?\)/],
  ['email recipients that are not a list', cfg(() => ({ alertmanager: { email: { to: null, from: 'am@knowton.io', smarthost: 'smtp.knowton.io:587' } } })),
    /^alertmanager\/alertmanager: invalid email\.to null: a list of email addresses$/],
  ['kube-state-metrics resources that are not a list', cfg(() => ({ kubeStateMetrics: { resources: 'pods' } })),
    /^kube-state-metrics\/kube-state-metrics: invalid resources "pods": a list of resources among /],
  // Found by a careless-user review: accepted, then wrong on the cluster or refused by Alertmanager.
  ['a threshold override on an equality (PostgreSQLDown: pg_up == 0 would become == 1, firing while healthy)',
    cfg(() => ({ alerts: { PostgreSQLDown: { threshold: count(1) } } })),
    /^StackConfig: invalid alerts\.PostgreSQLDown\.threshold "[^"]+": nothing: PostgreSQLDown tests for equality \(== 0\)/],
  ['the environment external label, which the stack sets', cfg(() => ({ prometheus: { externalLabels: { environment: 'production' } } })),
    /^StackConfig: invalid prometheus\.externalLabels\.environment "production": nothing: the stack sets environment itself/],
  ['ingress.tls as a string', cfg(() => ({ ingress: { tls: 'false' } })),
    /^ingress\/ingress: invalid tls "false": true or false \(a boolean, not a string or number\)$/],
  ['a StorageClass name Kubernetes refuses', cfg(() => ({ prometheus: { storageClassName: 'SSD' } })),
    /^prometheus\/prometheus: invalid storageClassName "SSD": the name of a StorageClass: a lowercase DNS subdomain/],
  ['a time zone that does not exist', cfg(() => ({ alertmanager: { timeIntervals: { night: [{ location: 'Europe/Pariss' }] }, muteTimeIntervals: { info: ['night'] } } })),
    /invalid timeIntervals\.night\[0\]\.location "Europe\/Pariss": an IANA time zone like Europe\/Berlin, or UTC$/],
  // Time intervals Alertmanager refuses at load (amtool check-config agrees: the describe below); their
  // syntax passed before, so the stack was applied and Alertmanager crash-looped on its config.
  ['a weekday range that wraps around', interval({ weekdays: ['saturday:sunday'] }),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.weekdays\[0\] "saturday:sunday": a range from its earlier to its later day, sunday first \(split one that wraps around: friday:monday is friday:saturday and sunday:monday\)$/],
  ['a day-of-month range that ends before it starts', interval({ daysOfMonth: ['10:3'] }),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.daysOfMonth\[0\] "10:3": a range whose start is not after its end, Alertmanager counting a negative day d as 28 \+ d \(so it refuses 28:-1\), e\.g\. 1:7, 20:-1 or -7:-1$/],
  ['a day-of-month range ending on the last day that Alertmanager counts as reversed', interval({ daysOfMonth: ['28:-1'] }),
    /invalid timeIntervals\.night\[0\]\.daysOfMonth\[0\] "28:-1": a range whose start is not after its end/],
  ['a negative day-of-month range that ends before it starts', interval({ daysOfMonth: ['-1:-3'] }),
    /invalid timeIntervals\.night\[0\]\.daysOfMonth\[0\] "-1:-3": a range whose start is not after its end/],
  ['a day-of-month range from a negative to a positive day', interval({ daysOfMonth: ['-5:20'] }),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.daysOfMonth\[0\] "-5:20": a range whose end is negative when its start is \(counting from the end of the month\), e\.g\. -7:-1$/],
  ['day of the month 0', interval({ daysOfMonth: ['0'] }),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.daysOfMonth\[0\] "0": a day of the month or range, e\.g\. 1:7 or -1$/],
  ['day of the month -32', interval({ daysOfMonth: ['-32:-1'] }),
    /invalid timeIntervals\.night\[0\]\.daysOfMonth\[0\] "-32:-1": a day of the month or range, e\.g\. 1:7 or -1$/],
  ['a month range that wraps around', interval({ months: ['december:january'] }),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.months\[0\] "december:january": a range from its earlier to its later month \(split one that wraps around: november:february is november:december and january:february\)$/],
  ['a month range in numbers that wraps around', interval({ months: ['12:1'] }),
    /invalid timeIntervals\.night\[0\]\.months\[0\] "12:1": a range from its earlier to its later month/],
  ['a year range that ends before it starts', interval({ years: ['2027:2026'] }),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.years\[0\] "2027:2026": a range from its earlier to its later year, e\.g\. 2026:2027$/],
  ['times that end where they start', interval({ times: [{ start: '10:00', end: '10:00' }] }),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.times\[0\] "10:00-10:00": a start before the end \(split a range over midnight in two\)$/],
  ['times over midnight', interval({ times: [{ start: '18:00', end: '08:00' }] }),
    /invalid timeIntervals\.night\[0\]\.times\[0\] "18:00-08:00": a start before the end/],
  ['a time past 24:00', interval({ times: [{ start: '00:00', end: '24:01' }] }),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.times\[0\]\.end "24:01": a time HH:MM from 00:00 to 24:00$/],
  ['a time with 60 minutes', interval({ times: [{ start: '00:60', end: '01:00' }] }),
    /invalid timeIntervals\.night\[0\]\.times\[0\]\.start "00:60": a time HH:MM from 00:00 to 24:00$/],
  ['a time zone in lowercase (Node finds it, Alertmanager on Linux does not)', interval({ location: 'europe/berlin' }),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.location "europe\/berlin": the zone spelt with the tz database's capitals, Europe\/Berlin \(Alertmanager opens the zone's file by its name: case matters\)$/],
  ['a time zone link in lowercase', interval({ location: 'us/eastern' }),
    /invalid timeIntervals\.night\[0\]\.location "us\/eastern": the zone spelt with the tz database's capitals \(Alertmanager opens/],
  ['UTC in lowercase', interval({ location: 'utc' }),
    /invalid timeIntervals\.night\[0\]\.location "utc": an IANA time zone like Europe\/Berlin, or UTC$/],
  ['grouping by ... and more labels', cfg(() => ({ alertmanager: { groupBy: ['alertname', '...'] } })),
    /invalid route\.groupBy \["alertname","\.\.\."\]: \['\.\.\.'\] alone \(every label\), or label names without \.\.\.$/],
  ['grouping by a label twice', cfg(() => ({ alertmanager: { groupBy: ['alertname', 'service', 'alertname'] } })),
    /invalid route\.groupBy \["alertname","service","alertname"\]: each label once$/],
  ['settings that are not an object', cfg(() => ({ prometheus: 'big' })),
    /^StackConfig\.prometheus: invalid settings "big": an object with keys among /],
  ['an oauth2-proxy key on basic auth', cfg(() => ({ ingress: { auth: { type: 'basic', secretName: 'auth', url: 'https://o.knowton.io' } } })),
    /^ingress\/ingress auth: invalid key "url": unknown key: one of type, secretName$/],

  // durations
  ['a retention beyond Prometheus\'s duration range', cfg(() => ({ prometheus: { retention: Duration.days(1000000) } })),
    /^prometheus\/prometheus: invalid retention "1000000d": at most 292 years \(the largest duration Prometheus and Alertmanager parse\)$/],
  ['a retention written as text', cfg(() => ({ prometheus: { retention: '30d' } })),
    /^prometheus\/prometheus: invalid retention "30d": a Duration such as Duration\.minutes\(5\)/],
  ['a fractional-millisecond Duration', early(() => ({ prometheus: { scrapeTimeout: Duration.millis(0.5) } })),
    /^Duration: invalid length "0\.5 ms": a whole number of milliseconds/],
  ['a NaN Duration', early(() => ({ prometheus: { scrapeInterval: Duration.seconds(NaN) } })),
    /^Duration: invalid length "NaN ms": a whole number of milliseconds .*not NaN/],
  ['a negative override `for`', cfg(() => ({ alerts: { HighErrorRate: { for: Duration.minutes(-5) } } })),
    /^StackConfig: invalid alerts\.HighErrorRate\.for "-5m": a Duration of zero or more$/],
  ['an override `for` written as text', cfg(() => ({ alerts: { HighErrorRate: { for: '5m' } } })),
    /^StackConfig: invalid alerts\.HighErrorRate\.for "5m": a Duration such as/],
  ['a window override on an alert whose query has no window (PostgreSQLDown reads pg_up)', cfg(() => ({ alerts: { PostgreSQLDown: { window: Duration.seconds(30) } } })),
    /^StackConfig: invalid alerts\.PostgreSQLDown\.window "30s": nothing: the query of PostgreSQLDown reads no range window \(pg_up\); override its `for` instead$/],
  ['a window override on the Watchdog', cfg(() => ({ alerts: { Watchdog: { window: Duration.seconds(30) } } })),
    /^StackConfig: invalid alerts\.Watchdog\.window "30s": nothing: the query of Watchdog reads no range window \(it always fires\)/],
  ['a zero window override', cfg(() => ({ alerts: { HighErrorRate: { window: Duration.seconds(0) } } })),
    /^StackConfig: invalid alerts\.HighErrorRate\.window "0s": a Duration of at least 1s \(the query's windows are 5m, 5m\)$/],
  ['a window override written as text', cfg(() => ({ alerts: { HighErrorRate: { window: '1m' } } })),
    /^StackConfig: invalid alerts\.HighErrorRate\.window "1m": a Duration such as/],
  ['an Alertmanager timing written as text', cfg(() => ({ alertmanager: { timings: { critical: { groupWait: '10s' } } } })),
    /^alertmanager\/alertmanager: invalid timings\.critical\.groupWait "10s": a Duration such as/],
  ['a heartbeat interval beyond the range', cfg(() => ({ alertmanager: { heartbeatInterval: Duration.days(200000) } })),
    /^alertmanager\/alertmanager: invalid heartbeatInterval "200000d": at most 292 years/],
  ['a negative Alertmanager retention', cfg(() => ({ alertmanager: { retention: Duration.hours(-1) } })),
    /^alertmanager\/alertmanager: invalid retention "-1h": a Duration of at least 1h$/],
  ['a Duration.parse of nonsense', early(() => ({ prometheus: { retention: Duration.parse('a month') } })),
    /^Duration\.parse: invalid duration "a month": a Prometheus duration such as 30s/],

  // label names
  ['an external label name with a dash', cfg(() => ({ prometheus: { externalLabels: { 'k8s-cluster': 'eu-1' } } })),
    /^StackConfig: invalid prometheus\.externalLabels name "k8s-cluster": a Prometheus label name: .*not starting with __ \(reserved\)$/],
  ['an empty external label name', cfg(() => ({ prometheus: { externalLabels: { '': 'eu-1' } } })),
    /^StackConfig: invalid prometheus\.externalLabels name "": a Prometheus label name/],
  ['a reserved external label name', cfg(() => ({ prometheus: { externalLabels: { __replica__: 'a' } } })),
    /^StackConfig: invalid prometheus\.externalLabels name "__replica__": .*not starting with __/],
  ['an external label value that is not text', cfg(() => ({ prometheus: { externalLabels: { cluster: 1 } } })),
    /^StackConfig: invalid prometheus\.externalLabels\.cluster 1: a string value$/],

  // Kubernetes quantities and resources
  ['CPU in words', cfg(() => ({ prometheus: { resources: res({ cpuLimit: '2 cores' }) } })),
    /^prometheus\/prometheus: invalid resources\.cpuLimit "2 cores": a positive Kubernetes quantity such as 512Mi, 50Gi or 250m$/],
  ['a negative memory limit', cfg(() => ({ grafana: { containerResources: res({ memoryLimit: '-1Gi' }) } })),
    /^grafana\/grafana: invalid containerResources\.memoryLimit "-1Gi": a positive Kubernetes quantity/],
  ['memory as a word', cfg(() => ({ kubeStateMetrics: { containerResources: res({ memoryRequest: 'lots' }) } })),
    /^kube-state-metrics\/kube-state-metrics: invalid containerResources\.memoryRequest "lots": a positive Kubernetes quantity/],
  ['a CPU request above its limit', cfg(() => ({ postgresExporter: { containerResources: res({ cpuRequest: '2', cpuLimit: '1' }) } })),
    /^postgres-exporter\/postgres-exporter: invalid containerResources\.cpuRequest "2": at most cpuLimit \(1\)$/],
  ['a memory request above its limit', cfg(() => ({ alertmanager: { reloaderResources: res({ memoryRequest: '1Gi', memoryLimit: '512Mi' }) } })),
    /^alertmanager\/alertmanager: invalid reloaderResources\.memoryRequest "1Gi": at most memoryLimit \(512Mi\)$/],
  ['a NaN quantity', cfg(() => ({ nodeExporter: { containerResources: res({ cpuRequest: 'NaN' }) } })),
    /^node-exporter\/node-exporter: invalid containerResources\.cpuRequest "NaN": a positive Kubernetes quantity/],
  ['a missing limit', cfg(() => ({ prometheus: { resources: { cpuRequest: '1', cpuLimit: '2', memoryRequest: '1Gi' } } })),
    /^prometheus\/prometheus: invalid resources\.memoryLimit undefined: a positive Kubernetes quantity/],
  ['a storage size of NaN', cfg(() => ({ prometheus: { storageSize: 'NaN' } })),
    /^prometheus\/prometheus: invalid storageSize "NaN": a positive Kubernetes quantity/],

  // addresses, ports, URLs
  ['a CIDR prefix out of range', cfg(() => ({ network: { clusterCidr: '10.0.0.0/33' } })),
    /^StackConfig: invalid network\.clusterCidr "10\.0\.0\.0\/33": a CIDR such as 10\.0\.0\.0\/8 or fd00::\/8 \(IPv4 prefix 0-32, IPv6 prefix 0-128\)$/],
  ['words as a CIDR', cfg(() => ({ network: { postgresCidr: 'the database' } })),
    /^StackConfig: invalid network\.postgresCidr "the database": a CIDR/],
  ['an IPv6 prefix out of range', cfg(() => ({ network: { notificationCidr: '2001:db8::/129' } })),
    /^StackConfig: invalid network\.notificationCidr "2001:db8::\/129": a CIDR/],
  ['an IPv4 address with a byte over 255', cfg(() => ({ network: { clusterCidr: '10.0.0.256/32' } })),
    /^StackConfig: invalid network\.clusterCidr "10\.0\.0\.256\/32": a CIDR/],
  ['port 70000', cfg(() => ({ network: { postgresPort: 70000 } })),
    /^StackConfig: invalid network\.postgresPort 70000: a port: an integer from 1 to 65535$/],
  ['a fractional port', cfg(() => ({ network: { postgresPort: 5432.5 } })),
    /^StackConfig: invalid network\.postgresPort 5432\.5: a port/],
  ['an SMTP port out of range', cfg(() => ({ alertmanager: { email: { to: ['a@knowton.io'], from: 'b@knowton.io', smarthost: 'smtp.knowton.io:70000' } } })),
    /^alertmanager\/alertmanager: invalid receivers\[5\]\.notifiers\[0\]\.smarthost port 70000: a port: an integer from 1 to 65535$/],
  ['a remote_write URL that is no URL', cfg(() => ({ prometheus: { remoteWrite: [{ url: 'https://[mimir/api/v1/push' }] } })),
    /^prometheus\/prometheus: invalid remoteWrite\[0\]\.url "https:\/\/\[mimir\/api\/v1\/push": an absolute http:\/\/ or https:\/\/ URL with a path, e\.g\. https:\/\/mimir\.example\.org\/api\/v1\/push$/],
  ['a remote_write URL without scheme', cfg(() => ({ prometheus: { remoteWrite: [{ url: 'mimir:9009/push' }] } })),
    /^prometheus\/prometheus: invalid remoteWrite\[0\]\.url "mimir:9009\/push": an absolute http/],
  ['a remote_write receiver listed twice (Prometheus refuses it at start: the test below)', cfg(() => ({ prometheus: { remoteWrite: [
    { url: 'https://mimir.example.org/api/v1/push' }, { url: 'https://mimir.example.org/api/v1/push', maxShards: 10 }] } })),
    /^prometheus\/prometheus: invalid remoteWrite\[1\]\.url "https:\/\/mimir\.example\.org\/api\/v1\/push": a receiver not already written to by remoteWrite\[0\] with the same credential \(Prometheus refuses duplicate remote write configs; it would send every sample twice\)$/],
  ['a remote_write receiver listed twice, spelt differently, with the same Secret', cfg(() => ({ prometheus: { remoteWrite: [
    { url: 'https://mimir.example.org/api/v1/push', secretName: 'mimir' }, { url: 'https://Mimir.example.org:443/api/v1/push', secretName: 'mimir' }] } })),
    /invalid remoteWrite\[1\]\.url "https:\/\/Mimir\.example\.org:443\/api\/v1\/push": a receiver not already written to by remoteWrite\[0\]/],
  ['a remote_write URL with a token as its user (masked in the message: it goes to CI logs)', cfg(() => ({ prometheus: { remoteWrite: [{ url: 'https://glc_eyJrIjoiabc@mimir.example.org/api/v1/push' }] } })),
    /^prometheus\/prometheus: invalid remoteWrite\[0\]\.url "https:\/\/\*\*\*@mimir\.example\.org\/api\/v1\/push": a URL without credentials \(it has a user or password before the host\)/],
  ['a remote_write URL with a user and password (they would be in the ConfigMap, in git)', cfg(() => ({ prometheus: { remoteWrite: [{ url: 'https://knowton:s3cret@mimir.example.org/api/v1/push' }] } })),
    /^prometheus\/prometheus: invalid remoteWrite\[0\]\.url "https:\/\/\*\*\*:\*\*\*@mimir\.example\.org\/api\/v1\/push": a URL without credentials \(it has a user or password before the host\): the URL is written into a ConfigMap, so into dist\/ and git; put the credential in a Secret and name it in secretName, with auth 'bearer' \(key token\) or 'basic' \(key password, and username\)$/],
  ['a remote_write URL with a token in its query', cfg(() => ({ prometheus: { remoteWrite: [{ url: 'https://mimir.example.org/api/v1/push?access_token=s3cret' }] } })),
    /^prometheus\/prometheus: invalid remoteWrite\[0\]\.url "https:\/\/mimir\.example\.org\/api\/v1\/push\?access_token=\*\*\*": a URL without credentials \(it has the query parameter access_token\)/],
  ["a remote_write URL with InfluxDB's password parameter", cfg(() => ({ prometheus: { remoteWrite: [{ url: 'https://influx.example.org/api/v1/prom/write?db=prometheus&u=knowton&p=s3cret' }] } })),
    /invalid remoteWrite\[0\]\.url "https:\/\/influx\.example\.org\/api\/v1\/prom\/write\?db=prometheus&u=knowton&p=\*\*\*": a URL without credentials \(it has the query parameter p\)/],
  ['a plain-HTTP oauth2-proxy URL', cfg(() => ({ ingress: { auth: { type: 'oauth2-proxy', url: 'http://oauth2.knowton.io' } } })),
    /^ingress\/ingress: invalid auth\.url "http:\/\/oauth2\.knowton\.io": an absolute https:\/\/ URL, e\.g\. https:\/\/oauth2\.knowton\.io/],
  ['an unknown auth type', cfg(() => ({ ingress: { auth: { type: 'oauth', url: 'https://o.knowton.io' } } })),
    /^ingress\/ingress: invalid auth\.type "oauth": basic or oauth2-proxy$/],
  ['a heartbeat URL without scheme', cfg(() => ({ alertmanager: { heartbeatUrl: 'hc-ping.com/abc' } })),
    /^alertmanager\/alertmanager: invalid heartbeatUrl "hc-ping\.com\/abc": an absolute http:\/\/ or https:\/\/ URL$/],
  ['a PagerDuty URL with a space', cfg(() => ({ alertmanager: { pagerdutyUrl: 'https://events.pagerduty .com/v2/enqueue' } })),
    /^alertmanager\/alertmanager: invalid pagerdutyUrl "https:\/\/events\.pagerduty \.com\/v2\/enqueue": an absolute http/],
  ['a Prometheus external URL without scheme', cfg(() => ({ prometheus: { externalUrl: 'prometheus.knowton.io' } })),
    /^prometheus\/prometheus: invalid externalUrl "prometheus\.knowton\.io": an absolute http/],

  // namespaces
  ['the kube-system namespace', cfg(() => ({ namespace: 'kube-system' })),
    /^StackConfig: invalid namespace "kube-system": a namespace of its own, not default, kube-system, kube-public, kube-node-lease or another kube-\* namespace: /],
  ['the default namespace', cfg(() => ({ namespace: 'default' })), /^StackConfig: invalid namespace "default": a namespace of its own/],
  ['kube-public as the host namespace', cfg(() => ({ hostNamespace: 'kube-public' })), /^StackConfig: invalid hostNamespace "kube-public": a namespace of its own/],
  ['watched namespaces as one string', cfg(() => ({ watchedNamespaces: 'knowton-apps' })),
    /^StackConfig: invalid watchedNamespaces "knowton-apps": a list of namespace names$/],
  ['a DNS pod label value with a space', cfg(() => ({ network: { dnsPodLabels: { 'k8s-app': 'kube dns' } } })),
    /^StackConfig: invalid network\.dnsPodLabels\.k8s-app "kube dns": a Kubernetes label value/],

  // Types a hand-written StackConfig gets wrong (`as any`): a RegExp's test or JavaScript's truthiness let them through.
  ['enableAdminApi as the string "false" (truthy: it would turn the admin API on)', cfg(() => ({ prometheus: { enableAdminApi: 'false' } })),
    /^prometheus\/prometheus: invalid enableAdminApi "false": true or false \(a boolean, not a string or number\)$/],
  ['kubeletInsecureSkipVerify as 0', cfg(() => ({ prometheus: { kubeletInsecureSkipVerify: 0 } })),
    /^prometheus\/prometheus: invalid kubeletInsecureSkipVerify 0: true or false \(a boolean, not a string or number\)$/],
  ['PagerDuty turned off with the string "false" (truthy: it would page)', cfg(() => ({ alertmanager: { pagerduty: 'false' } })),
    /^alertmanager\/alertmanager: invalid pagerduty "false": true or false \(a boolean, not a string or number\)$/],
  ['email requireTls as "no"', cfg(() => ({ alertmanager: { email: { to: ['a@knowton.io'], from: 'b@knowton.io', smarthost: 'smtp.knowton.io:587', requireTls: 'no' } } })),
    /^alertmanager\/alertmanager: invalid email\.requireTls "no": true or false \(a boolean, not a string or number\)$/],
  ['a routing list written as one string', cfg(() => ({ alertmanager: { routing: { critical: 'pagerduty' } } })),
    /^alertmanager\/alertmanager: invalid routing\.critical "pagerduty": a list of receiver names \(a list even for one: \["pagerduty"\]\)$/],
  ['groupBy written as one string', cfg(() => ({ alertmanager: { groupBy: 'alertname' } })),
    /^alertmanager\/alertmanager: invalid groupBy "alertname": a list of label names \(a list even for one: \["alertname"\]\)$/],
  ['a groupBy entry that is a list', cfg(() => ({ alertmanager: { groupBy: [['alertname']] } })),
    /^alertmanager\/alertmanager: invalid groupBy\[0\] \["alertname"\]: a string: one of the label names$/],
  ['mute intervals written as one string', cfg(() => ({ alertmanager: { timeIntervals: { night: [{ weekdays: ['saturday'] }] }, muteTimeIntervals: { info: 'night' } } })),
    /^alertmanager\/alertmanager: invalid muteTimeIntervals\.info "night": a list of time interval names/],
  ['time ranges written as one object', cfg(() => ({ alertmanager: { timeIntervals: { night: [{ times: { start: '00:00', end: '08:00' } }] }, muteTimeIntervals: { info: ['night'] } } })),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.times \{"start":"00:00","end":"08:00"\}: a non-empty list of \{ start, end \} ranges/],
  ['a weekday that is a list', cfg(() => ({ alertmanager: { timeIntervals: { night: [{ weekdays: [['saturday']] }] }, muteTimeIntervals: { info: ['night'] } } })),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.weekdays\[0\] \["saturday"\]: a weekday or range of them/],
  ['a time zone that is a list', cfg(() => ({ alertmanager: { timeIntervals: { night: [{ location: ['Europe/Berlin'] }] }, muteTimeIntervals: { info: ['night'] } } })),
    /^alertmanager\/alertmanager: invalid timeIntervals\.night\[0\]\.location \["Europe\/Berlin"\]: an IANA time zone/],
  ['kube-state-metrics pod labels as one string', cfg(() => ({ kubeStateMetrics: { podLabels: 'app' } })),
    /^kube-state-metrics\/kube-state-metrics: invalid podLabels "app": a list of Kubernetes label keys \(a list even for one: \["app"\]\)$/],
  ['a pod label with a comma (it would split the allowlist flag)', cfg(() => ({ kubeStateMetrics: { podLabels: ['app,team'] } })),
    /^kube-state-metrics\/kube-state-metrics: invalid podLabels\[0\] "app,team": a Kubernetes label key/],
  ['an email recipient that is a list', cfg(() => ({ alertmanager: { email: { to: [['a@knowton.io']], from: 'b@knowton.io', smarthost: 'smtp.knowton.io:587' } } })),
    /^alertmanager\/alertmanager: invalid email\.to\[0\] \["a@knowton\.io"\]: an email address/],
  ['an Ingress domain that is a list', cfg(() => ({ ingress: { domain: ['dev.knowton.io'] } })),
    /^ingress\/ingress: invalid domain \["dev\.knowton\.io"\]: a lowercase DNS name/],
  ['a Slack channel that is a list', cfg(() => ({ alertmanager: { slackChannels: { critical: ['#knowton-critical'] } } })),
    /^alertmanager\/alertmanager: invalid slackChannels\.critical \["#knowton-critical"\]: a Slack channel such as #knowton-alerts \(a string\)$/],
  ['an email sender that is a list', cfg(() => ({ alertmanager: { email: { to: ['a@knowton.io'], from: ['b@knowton.io'], smarthost: 'smtp.knowton.io:587' } } })),
    /^alertmanager\/alertmanager: invalid email\.from \["b@knowton\.io"\]: an email address/],
  ['an SMTP smarthost that is a list', cfg(() => ({ alertmanager: { email: { to: ['a@knowton.io'], from: 'b@knowton.io', smarthost: ['smtp.knowton.io:587'] } } })),
    /^alertmanager\/alertmanager: invalid receivers\[\d\]\.notifiers\[0\]\.smarthost \["smtp\.knowton\.io:587"\]: host:port/],
  ['an SMTP user that is a number', cfg(() => ({ alertmanager: { email: { to: ['a@knowton.io'], from: 'b@knowton.io', smarthost: 'smtp.knowton.io:587', authUsername: 5 } } })),
    /^alertmanager\/alertmanager: invalid email\.authUsername 5: a non-empty SMTP user name/],
  ['a Prometheus retentionSize that is a list', cfg(() => ({ prometheus: { retentionSize: ['45GB'] } })),
    /^prometheus\/prometheus: invalid retentionSize \["45GB"\]: a positive Prometheus size/],
  ['a remote_write auth of another spelling (no credential would be sent)', cfg(() => ({ prometheus: { remoteWrite: [{ url: 'https://m.knowton.io/push', secretName: 'rw', auth: 'Basic', username: 'u' }] } })),
    /^prometheus\/prometheus: invalid remoteWrite\[0\]\.auth "Basic": 'bearer' \(key token\) or 'basic'/],
  ['a remote_write user that is a list', cfg(() => ({ prometheus: { remoteWrite: [{ url: 'https://m.knowton.io/push', secretName: 'rw', auth: 'basic', username: ['u'] }] } })),
    /^prometheus\/prometheus: invalid remoteWrite\[0\]\.username \["u"\]: a user name for basic auth$/],
  ['a NodeLocal DNS address that is a list', cfg(() => ({ network: { nodeLocalDns: ['169.254.20.10'] } })),
    /^StackConfig: invalid network\.nodeLocalDns \["169\.254\.20\.10"\]: an IPv4 address/],

  // Routing that notifies twice or never.
  ['the critical channel the same as the all-alerts channel (every critical alert posted twice)', cfg(() => ({ alertmanager: { slackChannels: { critical: '#knowton-alerts' } } })),
    /^alertmanager\/alertmanager: invalid routing\.critical "#knowton-alerts": each Slack channel once per severity: slack-alerts and slack-critical both post to #knowton-alerts, so every critical alert would reach it twice/],
  ['critical alerts routed to the dead man\'s switch', cfg(() => ({ alertmanager: { routing: { critical: ['slack-critical', 'heartbeat'] } } })),
    /^alertmanager\/alertmanager: invalid routing\.critical \["slack-critical","heartbeat"\]: receivers that notify people, not heartbeat/],
  ['PagerDuty on but routed from no severity (nobody paged)', cfg(() => ({ alertmanager: { routing: { critical: ['slack-alerts', 'slack-critical'] } } })),
    /^alertmanager\/alertmanager: invalid pagerduty true: a receiver some severity routes to: .*add it to routing\.critical, or set pagerduty: false$/],
  ['email set but routed from no severity (no email sent)', cfg(() => ({ alertmanager: {
    email: { to: ['a@knowton.io'], from: 'b@knowton.io', smarthost: 'smtp.knowton.io:587' }, routing: { critical: ['slack-alerts', 'slack-critical', 'pagerduty'] } } })),
    /^alertmanager\/alertmanager: invalid email\.to \["a@knowton\.io"\]: a receiver some severity routes to: .*add it to routing\.critical, or remove email$/],

  // Alertmanager's mount paths.
  ['a secrets path that is a number', cfg(() => ({ alertmanager: { secretsDir: 5 } })),
    /^alertmanager\/alertmanager: invalid secretsDir 5: an absolute path such as \/etc\/alertmanager\/config/],
  ['a config path with ..', cfg(() => ({ alertmanager: { configDir: '/etc/../alertmanager-config' } })),
    /^alertmanager\/alertmanager: invalid configDir "\/etc\/\.\.\/alertmanager-config": an absolute path .*no empty, \. or \.\. segments/],
  ['the config path at /', cfg(() => ({ alertmanager: { configDir: '/' } })),
    /^alertmanager\/alertmanager: invalid configDir "\/": an absolute path .*not \/ itself\)$/],
  ['the secrets and config paths the same', cfg(() => ({ alertmanager: { configDir: '/etc/alertmanager/secrets' } })),
    /^alertmanager\/alertmanager: invalid secretsDir "\/etc\/alertmanager\/secrets": a path apart from configDir \(\/etc\/alertmanager\/secrets\), neither the same nor one inside the other/],
  ['the secrets path inside the config path', cfg(() => ({ alertmanager: { secretsDir: '/etc/alertmanager/config/secrets/' } })),
    /^alertmanager\/alertmanager: invalid secretsDir "\/etc\/alertmanager\/config\/secrets\/": a path apart from configDir \(\/etc\/alertmanager\/config\)/],
  ['the secrets path inside Alertmanager\'s data volume', cfg(() => ({ alertmanager: { secretsDir: '/alertmanager/secrets' } })),
    /^alertmanager\/alertmanager: invalid secretsDir "\/alertmanager\/secrets": a path apart from the data volume's path \(\/alertmanager\)/],

  // thresholds that make an alert always or never fire
  ['a negative count threshold with above (always fires)', cfg(() => ({ alerts: { HighDatabaseConnections: { threshold: count(-1) } } })),
    /^StackConfig: invalid alerts\.HighDatabaseConnections\.threshold "-1": a threshold the alert can cross: '> -1' always fires: a count is never negative$/],
  ['a zero threshold with below (never fires)', cfg(() => ({ alerts: { NoActiveUsers: { threshold: count(0) } } })),
    /^StackConfig: invalid alerts\.NoActiveUsers\.threshold "0": a threshold the alert can cross: '< 0' never fires: a count is never negative$/],
  ['a ratio threshold above 100%', cfg(() => ({ alerts: { HighErrorRate: { threshold: percent(150) } } })),
    /^StackConfig: invalid alerts\.HighErrorRate\.threshold "150%": a threshold the alert can cross: threshold 150% is outside 0–100%$/],
  ['a NaN threshold', early(() => ({ alerts: { HighErrorRate: { threshold: percent(NaN) } } })),
    /^Quantity: invalid amount in percent "NaN": a finite number \(not NaN or Infinity\)$/],
  ['a negative count in a rule', { rules: withAlert(() => alert({ when: gauge(postgres.backends, { aggregate: 'sum' }).above(count(-1)) })) },
    /alert ExtraAlert \(group extra\): '> -1' always fires: a count is never negative/],
  ['a latency below a negative time', { rules: withAlert(() => alert({ when: p95Latency.query.below(seconds(-1)) })) },
    /alert ExtraAlert \(group extra\): '< -1 seconds' never fires: a time is never negative/],

  // rules: quantiles, regexes, templates
  ['quantile 1.5', { rules: withAlert(() => alert({ when: histogramQuantile(1.5, http.requestDuration, { window: Duration.minutes(5) }).above(seconds(1)) })) },
    /^histogramQuantile of http_request_duration_seconds: invalid quantile "1\.5": a number strictly between 0 and 1, such as 0\.95/],
  ['regex flags in a matcher', { rules: withAlert(() => alert({ when: gauge(scrape.up, { where: { job: /knowton/i } }).equals(count(0)) })) },
    /^matcher job=~\/knowton\/i: invalid flags "i": none: the matcher has flags, which PromQL cannot express/],
  ['a lookahead in a matcher', { rules: withAlert(() => alert({ when: gauge(scrape.up, { where: { job: /(?=x)knowton/ } }).equals(count(0)) })) },
    /^matcher job=~\/\(\?=x\)knowton\/: invalid pattern "\(\?=x\)knowton": a regular expression RE2 accepts .*: lookaround \(\?= \(RE2 has no lookahead or lookbehind\)$/],
  ['a backreference in a matcher', { rules: withAlert(() => alert({ when: gauge(scrape.up, { where: { job: /(a)\1/ } }).equals(count(0)) })) },
    /invalid pattern "\(a\)\\\\1": .*backreference \\1 \(RE2 has none\)$/],
  ['an unbalanced annotation template', { rules: withAlert(() => alert({ summary: 'Errors on {{ $labels.service }' })) },
    /alert ExtraAlert \(group extra\): summary is not a valid Go template: unexpected '}' at character 30 in action '\{\{ \$labels\.service \}'$/],
  ['an unknown template function', { rules: withAlert(() => alert({ description: '{{ value }} and {{ $value | humanise }}' })) },
    /alert ExtraAlert \(group extra\): description is not a valid Go template: .*unknown function humanise$/],
  ['an unterminated template string', { rules: withAlert(() => alert({ description: '{{ value }} {{ $value | printf "%.2f }}' })) },
    /description is not a valid Go template: unterminated string/],
  ['a `for` beyond the duration range', { rules: withAlert(() => alert({ for: Duration.days(200000) })) },
    /alert ExtraAlert \(group extra\): for 200000d is longer than Prometheus can parse/],
  ['a `for` that is not a Duration', { rules: withAlert(() => alert({ for: 300 as any })) },
    /alert ExtraAlert \(group extra\): for 300 is not a Duration/],

  // dashboards
  ['a panel with an unknown metric', { dashboards: withDashboard((m) => { firstPanel(m).targets[0].expr = 'sum(knowton_no_such_metric)'; }) },
    /^dashboards\/service-health-dashboard\.json: invalid panel '.+' query "sum\(knowton_no_such_metric\)": a PromQL query over the metric catalog: unknown metric knowton_no_such_metric/],
  ['a panel with a PromQL syntax error', { dashboards: withDashboard((m) => { firstPanel(m).targets[0].expr = 'sum(rate(http_requests_total[$__rate_interval])'; }) },
    /^dashboards\/service-health-dashboard\.json: invalid panel '.+' query ".*": a PromQL query over the metric catalog: syntax error/],
  ['a counter outside rate() in a panel', { dashboards: withDashboard((m) => { firstPanel(m).targets[0].expr = 'sum(http_requests_total{service=~"$service"})'; }) },
    /counter http_requests_total is used without rate\(\) or increase\(\)/],
  ['a duplicate dashboard uid', { dashboards: withDashboard((m) => { m['business-metrics-dashboard.json'].uid = m[SERVICE_HEALTH].uid; }) },
    /^dashboards\/business-metrics-dashboard\.json: invalid uid "knowton-service-health": a uid no other dashboard has \(dashboards\/service-health-dashboard\.json has it\)/],
  ['a duplicate panel id', { dashboards: withDashboard((m) => { m[SERVICE_HEALTH].panels[2].id = m[SERVICE_HEALTH].panels[1].id; }) },
    /^dashboards\/service-health-dashboard\.json: invalid panel ".+" id \d+: an id no other panel of the dashboard has/],
  ['a dashboard file name with capitals', { dashboards: withDashboard((m) => { m['Service-Health.json'] = m[SERVICE_HEALTH]; delete m[SERVICE_HEALTH]; }) },
    /^dashboards: invalid file name "Service-Health\.json": a lowercase file name/],
  ['a variable query with an unknown label', { dashboards: withDashboard((m) => { m[SERVICE_HEALTH].templating.list[1].query = 'label_values(up, nonsense)'; }) },
    /^dashboards\/service-health-dashboard\.json: invalid variable service query "count by \(nonsense\) \(up\)": .*label 'nonsense' is not on its input/],
];

function synth(row: Row, outdir: string): void {
  if (row.rules) jest.spyOn(rulesModule, 'ruleGroups').mockImplementation(row.rules);
  if (row.dashboards) jest.spyOn(dashboardsModule, 'dashboards').mockImplementation(row.dashboards);
  synthesizeEnvironments({ dev: row.config ? row.config() : {} }, outdir);
}

describe('bad input fails synth with one ConfigError and leaves dist/ and docs/runbooks as they were', () => {
  test.each(BAD)('%s', (_name, row, message) => {
    const work = shared;
    const out = path.join(work, 'dist');
    const before = stamps(work);
    let error: unknown;
    try {
      synth(row, out);
    } catch (e) {
      error = e;
    }
    // Synth wraps what failed in a SynthError naming the environment; the ConfigError inside says the rest.
    // A mistake in building the profile itself (a Duration of half a millisecond) throws before synth runs,
    // as it does while main.ts loads the profiles.
    expect(error instanceof SynthError).toBe(!row.throwsWhileBuildingConfig);
    if (!row.throwsWhileBuildingConfig) {
      expect((error as SynthError).environment).toBe('dev');
      expect((error as SynthError).message.startsWith('[dev] ')).toBe(true);
    }
    const cause = error instanceof SynthError ? error.error : error;
    expect(cause).toBeInstanceOf(ConfigError);
    expect((cause as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
    expect(stamps(work)).toEqual(before);
    expect(fs.readdirSync(work).sort()).toEqual(['dist', 'runbooks']);
  });

  test('after every row, the copies still hold the committed dist/ and docs/runbooks byte for byte', () => {
    expect(tree(path.join(shared, 'dist'))).toEqual(committed.dist);
    expect(tree(path.join(shared, 'runbooks'))).toEqual(committed.runbooks);
  });

  test('the table covers every kind of mistake (50+ rows)', () => {
    expect(BAD.length).toBeGreaterThanOrEqual(50);
  });
});

describe('edge values that must be accepted', () => {
  const GOOD: Array<[string, Row]> = [
    ['the edges of every range', cfg(() => ({
      namespace: 'knowton-kube',
      network: { clusterCidr: '0.0.0.0/0', postgresCidr: '10.0.0.7/32', notificationCidr: '::/0', postgresPort: 65535 },
      prometheus: {
        retention: Duration.days(106751), // just under 292 years
        externalLabels: { cluster_1: 'eu-1', _zone: '' },
        resources: { cpuRequest: '2', cpuLimit: '2', memoryRequest: '4Gi', memoryLimit: '4Gi' },
        scrapeTimeout: Duration.seconds(1.005), // float noise, not a fraction of a millisecond
      },
      alertmanager: { heartbeatUrl: 'https://hc-ping.com/abc', email: { to: ['a@knowton.io'], from: 'b@knowton.io', smarthost: 'smtp.knowton.io:1' } },
      ingress: { auth: { type: 'oauth2-proxy', url: 'https://oauth2.knowton.io' } },
      kubeStateMetrics: { resources: ['pods', 'nodes'], containerResources: { cpuRequest: '0.5', cpuLimit: '500m', memoryRequest: '1Mi', memoryLimit: '1Gi' } },
      alerts: { HighErrorRate: { threshold: percent(100), for: Duration.seconds(0), window: Duration.minutes(1) }, PrometheusConfigReloadFailed: { window: Duration.minutes(1) }, NoActiveUsers: { threshold: count(1) }, HighDatabaseConnections: { threshold: count(0) } },
    }))],
    ['an IPv6 cluster and an embedded IPv4 address', cfg(() => ({ network: { clusterCidr: 'fd00::/8', postgresCidr: '::ffff:10.0.0.1/128' } }))],
    ['rules with RE2 regexes and Go template actions', { rules: withAlert(() => alert({
      when: gauge(scrape.up, { where: { job: /(?:knowton-)?[a-z]+|prometheus/ } }).equals(count(0)),
      description: '{{ value }} on {{ $labels.job }}',
    })) }],
    ['a threshold of 0% above', { rules: withAlert(() => alert({ when: errorRatio.query.above(percent(0)) })) }],
    ['one remote write receiver for two tenants (two Secrets), and a query without credentials', cfg(() => ({ prometheus: { remoteWrite: [
      { url: 'https://mimir.example.org/api/v1/push', secretName: 'tenant-a' },
      { url: 'https://mimir.example.org/api/v1/push', secretName: 'tenant-b' },
      { url: 'https://vm.example.org/api/v1/write?extra_label=cluster=eu-1' },
    ] } }))],
    ['time intervals at the edges Alertmanager accepts', interval({
      weekdays: ['saturday', 'sunday', 'monday:friday', 'sunday:saturday', 'wednesday:wednesday'],
      daysOfMonth: ['-1', '-31', '1:31', '-7:-1', '27:-1', '3:-1', '31'],
      months: ['december', 'january:december', '1:12', '2:2'],
      years: ['2026', '2026:2026', '2026:2099'],
      times: [{ start: '00:00', end: '24:00' }, { start: '23:59', end: '24:00' }],
      location: 'Asia/Kolkata',
    })],
    ['time zones spelt as the tz database spells them: a link, one Node knows by another name, Local', cfg(() => ({
      alertmanager: {
        timeIntervals: { a: [{ location: 'US/Eastern' }], b: [{ location: 'America/Port-au-Prince' }], c: [{ location: 'Local' }], d: [{ location: 'Etc/GMT+5' }] },
        muteTimeIntervals: { info: ['a', 'b', 'c', 'd'] },
      },
    }))],
    ['booleans, lists and mount paths at their edges', cfg(() => ({
      prometheus: { enableAdminApi: false, kubeletInsecureSkipVerify: true },
      ingress: { tls: true, allowInsecure: false },
      kubeStateMetrics: { podLabels: ['app.kubernetes.io/name', 'team'] },
      alertmanager: {
        // one channel for warnings and critical alerts: no severity reaches it twice
        slackChannels: { warning: '#knowton-critical' },
        routing: { critical: ['slack-critical', 'pagerduty', 'email-critical'], info: ['slack-info'] },
        groupBy: ['...'],
        email: { to: ['a@knowton.io'], from: 'b@knowton.io', smarthost: 'smtp.knowton.io:587', authUsername: 'am', requireTls: false },
        // beside the data path /alertmanager, not in it; a trailing slash
        secretsDir: '/alertmanager-secrets/',
        configDir: '/etc/alertmanager',
      },
    }))],
    ['every pod label (kube-state-metrics\' wildcard)', cfg(() => ({ kubeStateMetrics: { podLabels: ['*'] } }))],
    ['PagerDuty off and routed from nowhere, no pod labels', cfg(() => ({ alertmanager: { pagerduty: false, routing: { critical: ['slack-critical'] } }, kubeStateMetrics: { podLabels: [] } }))],
  ];

  test.each(GOOD)('%s', (_name, row) => {
    const out = path.join(tempDir('knowton-good-input-'), 'dist');
    expect(() => synth(row, out)).not.toThrow();
  });
});

describe('the checkers agree with the real promtool (2.42: Go text/template and RE2)', () => {
  // [annotation or matcher regex, whether Prometheus accepts it]
  const templates: Array<[string, boolean]> = [
    ['{{ $labels.service }', false],
    ['{{ $value | humanise }}', false],
    ['{{ $value | printf "%.2f }}', false],
    ['{{ if gt $value 1.0 }}high', false],
    ['{{ $foo }}', false],
    ['{{ }}', false],
    ['{{ ( }}', false],
    ['{{ else }}', false],
    ['{{ $value | humanizePercentage }} on {{ $labels.job }}', true],
    ['{{ if gt $value 1.0 }}high{{ else }}low{{ end }} {{ $labels.job | toUpper }}', true],
    ['{{- with $labels.pod }}{{ . }}{{ end -}} {{/* note */}} {{ printf "%.2f" $value }}', true],
    ['{{ humanizeDuration $value }} ({{ $externalLabels.environment }})', true],
  ];
  const regexes: Array<[string, boolean]> = [
    ['(?=x)knowton', false],
    ['(?<!a)b', false],
    ['(a)\\1', false],
    ['(?>a)', false],
    ['a*+', false],
    ['(?<n>a)', false],
    ['caf\\u00e9', false],
    ['knowton-.+|prometheus', true],
    ['(?:a|b)[0-9]{2,3}\\.x', true],
    ['[(?=]x', true],
  ];

  test('same verdict as promtool check rules on every case', () => {
    const dir = tempDir('knowton-promtool-agree-');
    const cases = [
      ...templates.map(([t, ok]) => ({ ok, ours: goTemplateProblem(t) === undefined, rule: { alert: 'A', expr: 'up == 0', annotations: { summary: t } } })),
      ...regexes.map(([r, ok]) => ({ ok, ours: re2Problem(r) === undefined, rule: { alert: 'A', expr: `up{job=~${JSON.stringify(r)}} == 0` } })),
    ];
    const files = cases.map((c, i) => {
      const file = path.join(dir, `case-${i}.yml`);
      fs.writeFileSync(file, stringify({ groups: [{ name: 'g', rules: [c.rule] }] }));
      return file;
    });
    // promtool prints `Checking <file>` and, on success, `SUCCESS` on stdout (failures go to stderr)
    const chunks = run('promtool', ['check', 'rules', ...files]).output.split('Checking ');
    const verdicts = files.map((f) => chunks.some((c) => c.startsWith(`${f}\n`) && /^\s+SUCCESS/m.test(c)));
    expect(cases.map((c, i) => [c.rule, verdicts[i], c.ours])).toEqual(cases.map((c) => [c.rule, c.ok, c.ok]));
  });

  test('stricter than Go where Go accepts what is surely a mistake', () => {
    // Go prints a lone '}}' as text and tolerates a trailing '|'; neither is ever meant in an annotation.
    expect(goTemplateProblem('Service {{ $labels.service }} }} down')).toMatch(/closes no/);
    expect(goTemplateProblem('{{ $value | }}')).toMatch(/'\|' with no command after it/);
    expect(re2Problem('(?i)knowton')).toMatch(/inline flags/);
  });
});

describe('the time interval checks agree with the real amtool (0.25)', () => {
  // [interval, whether Alertmanager loads it]: each refused one for its own reason (amtool's message beside it)
  const cases: Array<[TimeInterval, boolean]> = [
    [{ weekdays: ['saturday:sunday'] }, false], // start day cannot be before end day
    [{ weekdays: ['saturday', 'sunday', 'sunday:saturday', 'monday:friday'] }, true],
    [{ daysOfMonth: ['10:3'] }, false], // end day 3 is always before start day 10
    [{ daysOfMonth: ['-1:-3'] }, false],
    [{ daysOfMonth: ['28:-1'] }, false],
    [{ daysOfMonth: ['-5:20'] }, false], // end day must be negative if start day is negative
    [{ daysOfMonth: ['0'] }, false], // 0 is not a valid day of the month: out of range
    [{ daysOfMonth: ['32'] }, false],
    [{ daysOfMonth: ['-32:-1'] }, false],
    [{ daysOfMonth: ['-1', '-31', '1:31', '-7:-1', '27:-1', '3:-1'] }, true],
    [{ months: ['december:january'] }, false], // end month january is before start month december
    [{ months: ['12:1'] }, false],
    [{ months: ['december', 'january:december', '1:12'] }, true],
    [{ years: ['2027:2026'] }, false], // end year 2026 is before start year 2027
    [{ years: ['2026', '2026:2026', '2026:2099'] }, true],
    [{ times: [{ start: '10:00', end: '10:00' }] }, false], // start time cannot be equal or greater than end time
    [{ times: [{ start: '18:00', end: '08:00' }] }, false],
    [{ times: [{ start: '00:00', end: '24:01' }] }, false], // couldn't parse timestamp 24:01, invalid format
    [{ times: [{ start: '00:60', end: '01:00' }] }, false],
    [{ times: [{ start: '9:00', end: '10:00' }] }, false],
    [{ times: [{ start: '00:00', end: '24:00' }, { start: '23:59', end: '24:00' }] }, true],
    [{ location: 'europe/berlin' }, false], // unknown time zone europe/berlin
    [{ location: 'us/eastern' }, false],
    [{ location: 'utc' }, false],
    [{ location: 'Europe/Pariss' }, false],
    [{ location: 'Europe/Berlin' }, true],
    [{ location: 'US/Eastern' }, true],
    [{ location: 'Asia/Kolkata' }, true],
    [{ location: 'America/Port-au-Prince' }, true],
    [{ location: 'Etc/GMT+5' }, true],
    [{ location: 'UTC' }, true],
    [{ location: 'Local' }, true],
  ];
  /** The interval in alertmanager.yml's syntax, written by hand: what synth would have written, had it let it through. */
  const byHand = (t: TimeInterval) => ({
    ...(t.times ? { times: t.times.map((r) => ({ start_time: r.start, end_time: r.end })) } : {}),
    ...(t.weekdays ? { weekdays: t.weekdays } : {}),
    ...(t.daysOfMonth ? { days_of_month: t.daysOfMonth } : {}),
    ...(t.months ? { months: t.months } : {}),
    ...(t.years ? { years: t.years } : {}),
    ...(t.location ? { location: t.location } : {}),
  });

  test('synth refuses exactly what amtool check-config refuses; one amtool run for every case', () => {
    const dir = tempDir('knowton-amtool-agree-');
    const props = (t: TimeInterval): AlertmanagerConfigProps =>
      ({ configDir: dir, secretsDir: path.join(dir, 'secrets'), timeIntervals: { t: [t] }, muteTimeIntervals: { info: ['t'] } });
    const valid = alertmanagerConfigFiles(props({ weekdays: ['monday'] }));
    fs.writeFileSync(path.join(dir, TEMPLATE_FILE), valid[TEMPLATE_FILE]);
    const ours = cases.map(([t]) => {
      try {
        return alertmanagerConfigFiles(props(t))['alertmanager.yml'];
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return undefined;
      }
    });
    // Accepted: the alertmanager.yml synth generates. Refused: a valid one with the interval put in by hand.
    const files = cases.map(([t], i) => {
      const file = path.join(dir, `case-${i}.yml`);
      const text = ours[i] ?? toYaml({ ...parse(valid['alertmanager.yml']), time_intervals: [{ name: 't', time_intervals: [byHand(t)] }] });
      // amtool 0.25 predates url_file (the heartbeat's): that webhook gets a url for it.
      fs.writeFileSync(file, withUrlFilesAsUrls(text));
      return file;
    });
    const output = run('amtool', ['check-config', ...files]).output;
    const verdicts = files.map((f) => new RegExp(`^Checking '${f}'\\s+SUCCESS`, 'm').test(output));
    // every file was checked, so a missing verdict is a refusal, not an unread file
    files.forEach((f) => expect(output).toContain(`Checking '${f}'`));
    expect(cases.map(([t], i) => [t, verdicts[i], ours[i] !== undefined])).toEqual(cases.map(([t, ok]) => [t, ok, ok]));
  });
});

test('Prometheus refuses at start two remote write entries synth now refuses; promtool check config passes them', () => {
  // the entry as the construct renders it, twice (what synth wrote before the check)
  const chart = new Chart(new App(), 't');
  new Prometheus(chart, 'prometheus', { namespace: 'knowton-dev', remoteWrite: [{ url: 'https://mimir.example.org/api/v1/push' }] });
  const configMap = Testing.synth(chart).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-config');
  const entry = parse(configMap.data['prometheus.yml']).remote_write[0];
  const dir = tempDir('knowton-remote-write-twice-');
  const file = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(file, stringify({ remote_write: [entry, entry] }));
  expect(run('promtool', ['check', 'config', file]).code).toBe(0);
  const r = run('prometheus', [`--config.file=${file}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, '--web.listen-address=127.0.0.1:0']);
  expect(r.output).toContain('duplicate remote write configs are not allowed, found duplicate for URL: https://mimir.example.org/api/v1/push');
  expect(r.code).not.toBe(0);
});

describe('the checkers themselves', () => {
  test("Alertmanager's own message template passes the Go template checker", () => {
    expect(goTemplateProblem(TEMPLATE_SOURCE, { functions: ['toUpper', 'len', 'eq', 'or', 'urlquery', 'reReplaceAll', 'index', 'not'], variables: ['$'] })).toBeUndefined();
  });

  test.each([['(?<!a)b', 'lookaround (?<!'], ['(?>a)', 'atomic group (?>'], ['a{2}+', 'possessive quantifier }+'], ['a*+', 'possessive quantifier *+'], ['(?i)a', 'inline flags'], ['(?<=a)b', 'lookaround (?<=']])(
    're2Problem(%s)', (source, problem) => {
      expect(re2Problem(source)).toContain(problem);
    },
  );

  test('the committed dashboards pass their synth checks, which do read the catalog', () => {
    const options = { catalog: catalogWithRecordings(realRuleGroups()).catalog, rateInterval: Duration.minutes(1) };
    expect(() => checkDashboards(realDashboards(), options)).not.toThrow();
    // without the recorded series, the panels that read them are refused
    expect(() => checkDashboards(realDashboards(), { ...options, catalog: CATALOG })).toThrow(/unknown metric service:/);
  });

  test('a query of another unit type is still refused when built by hand', () => {
    const raw = new Query('pg_up', { dimension: 'time', name: 'seconds' } as any, 'raw');
    expect(() => synth({ rules: withAlert(() => alert({ when: raw.equals(count(0) as any) })) }, path.join(freshCopy(), 'dist'))).toThrow(/threshold 0 is in count \(count\), but the query returns seconds \(time\)/);
  });
});

test('a Prometheus external URL without a scheme names its environment and field, where the profiles are compared', () => {
  const { checkEnvironmentsApart } = require('../lib/config');
  expect(() => checkEnvironmentsApart({ dev: { prometheus: { externalUrl: 'prometheus.knowton.io' } } }))
    .toThrow(/^StackConfig: invalid prometheus\.externalUrl "prometheus\.knowton\.io": an absolute http:\/\/ or https:\/\/ URL/);
});

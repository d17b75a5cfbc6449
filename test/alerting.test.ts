import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import {
  ALWAYS,
  AlertRule,
  AlertRuleProps,
  generatePromtoolTests,
  humanize,
  humanize1024,
  humanizeDuration,
  humanizePercentage,
  probesFor,
  RecordingRule,
  renderRuleFile,
  renderRunbooks,
  renderTemplate,
  RuleGroup,
  RuleValidationError,
  validateRuleGroups,
} from '../lib/alerting';
import { http, postgres } from '../lib/catalog';
import { gauge, Query, rate, share } from '../lib/promql';
import { count, Duration, percent, perHour, seconds, Units } from '../lib/units';
import { FIFTEEN_SECONDS, promtool, tempDir, writeTestFiles } from './rule-tools';

const intervals = { scrapeInterval: FIFTEEN_SECONDS, evaluationInterval: FIFTEEN_SECONDS };
const errorShare = share(http.requests, { matching: { status: /5../ }, window: Duration.minutes(5), by: ['service'] });

function alert(overrides: Partial<AlertRuleProps> = {}): AlertRule {
  return new AlertRule({
    name: 'TooManyConnections',
    severity: 'warning',
    component: 'postgresql',
    when: gauge(postgres.backends, { aggregate: 'sum', by: ['instance'] }).above(count(80)),
    for: Duration.minutes(5),
    summary: 'Many connections on {{ $labels.instance }}',
    description: '{{ $labels.instance }} has {{ value }} connections (threshold {{ threshold }}).',
    firstChecks: ['Look at pg_stat_activity.'],
    ...overrides,
  });
}
const group = (alerts: AlertRule[], name = 'test', recordings: RecordingRule[] = []): RuleGroup => new RuleGroup({ name, category: 'database', alerts, recordings });
const problemsOf = (groups: RuleGroup[], options = intervals): string[] => {
  try {
    validateRuleGroups(groups, options);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(RuleValidationError);
    return [...(e as RuleValidationError).problems];
  }
};

describe('validateRuleGroups', () => {
  test('accepts a correct group', () => {
    expect(problemsOf([group([alert()])])).toEqual([]);
  });

  test.each<[string, Partial<AlertRuleProps>, string]>([
    ['a name that is not UpperCamelCase', { name: 'too_many_connections' }, 'alert too_many_connections (group test): name must be UpperCamelCase'],
    ['an unknown severity', { severity: 'page' as never }, "alert TooManyConnections (group test): severity 'page' is not one of critical, warning, info"],
    ['a PromQL syntax error', { when: new Query('sum(pg_stat_database_numbackends', Units.COUNT, 'x').above(count(1)) }, 'alert TooManyConnections (group test): syntax error'],
    ['an unknown metric', { when: new Query('pg_connections', Units.COUNT, 'x').above(count(80)), summary: 'x', description: '{{ value }}' }, 'alert TooManyConnections (group test): unknown metric pg_connections (not in the metric catalog)'],
    ['an unknown label', { when: new Query('sum by (instance) (pg_stat_database_numbackends{database="knowton"})', Units.COUNT, 'x').above(count(80)) }, "alert TooManyConnections (group test): unknown label 'database' on pg_stat_database_numbackends"],
    ['a counter without rate()', { when: new Query('sum by (instance) (http_requests_total)', Units.COUNT, 'x').above(count(80)) }, 'alert TooManyConnections (group test): counter http_requests_total is used without rate() or increase()'],
    ['a template label the query drops', { summary: 'Many connections to {{ $labels.datname }}' }, "alert TooManyConnections (group test): summary refers to {{ $labels.datname }}, but the query's result has no label 'datname' (it has: instance)"],
    ['a template that is not supported', { description: '{{ $value }} connections' }, 'alert TooManyConnections (group test): description: template {{ $value }} is not supported'],
    ['a description without the value', { description: 'Many connections.' }, 'alert TooManyConnections (group test): description must show the current value with {{ value }}'],
    ['a `for` shorter than two scrapes', { for: Duration.seconds(20) }, 'alert TooManyConnections (group test): for 20s is shorter than 2 scrape intervals (30s): a single bad scrape could fire it'],
    ['a rate window shorter than four scrapes', { when: rate(http.requests, { window: Duration.seconds(45), by: ['service'] }).above(perHour(1)), summary: '{{ $labels.service }}' }, "alert TooManyConnections (group test): range 45s in 'http_requests_total[45s]' is shorter than 4 scrape intervals (1m)"],
    ['a percentage above 100', { when: errorShare.above(percent(150)), summary: 'x' }, 'alert TooManyConnections (group test): threshold 150% is outside 0–100%'],
    ['a percentage below 0', { when: errorShare.above(percent(-1)), summary: 'x' }, "alert TooManyConnections (group test): '> -1%' always fires: a ratio is never negative"],
    ['no first checks', { firstChecks: [] }, 'alert TooManyConnections (group test): firstChecks is empty'],
    ['an always-firing alert with a `for`', { when: ALWAYS, description: 'always' }, 'alert TooManyConnections (group test): an alert that always fires needs no `for`'],
  ])('rejects %s', (_what, overrides, message) => {
    const problems = problemsOf([group([alert(overrides)])]);
    expect(problems.some((p) => p.startsWith(message))).toBe(true);
  });

  test('a severity outside the three levels, or a bare number as `for`, does not compile', () => {
    // Never called: checked by the compiler only.
    const compileOnly = (): unknown[] => [
      // @ts-expect-error severity is critical, warning or info
      alert({ severity: 'page' }),
      // @ts-expect-error `for` is a Duration
      alert({ for: 300 }),
      // @ts-expect-error category is one of the spec's groups
      new RuleGroup({ name: 'x', category: 'misc', alerts: [] }),
    ];
    expect(typeof compileOnly).toBe('function');
  });

  test('rejects a duplicate alert name across groups, naming both groups', () => {
    expect(problemsOf([group([alert()], 'first'), group([alert()], 'second')])).toEqual(['alert TooManyConnections (group second): duplicate alert name, also defined in group first']);
  });

  test('the scrape interval decides what is too short', () => {
    const g = group([alert({ when: rate(http.requests, { window: Duration.minutes(5), by: ['service'] }).above(perHour(1)), summary: '{{ $labels.service }}', description: '{{ value }}', for: Duration.minutes(2) })]);
    expect(problemsOf([g])).toEqual([]);
    expect(problemsOf([g], { scrapeInterval: Duration.minutes(2), evaluationInterval: Duration.minutes(1) })).toEqual([
      'alert TooManyConnections (group test): for 2m is shorter than 2 scrape intervals (4m): a single bad scrape could fire it',
      "alert TooManyConnections (group test): range 5m in 'http_requests_total[5m]' is shorter than 4 scrape intervals (8m)",
    ]);
  });

  test('checks recording rules, and alerts reading them see their labels and windows', () => {
    const recorded = new RecordingRule('service:http_requests_errors:ratio_rate5m', errorShare);
    const reading = alert({ when: recorded.query.above(percent(5)), summary: 'Errors on {{ $labels.service }}', description: '{{ value }} on {{ $labels.pod }}' });
    expect(problemsOf([group([reading], 'test', [recorded])])).toEqual([
      "alert TooManyConnections (group test): description refers to {{ $labels.pod }}, but the query's result has no label 'pod' (it has: service)",
    ]);
    expect(problemsOf([group([reading], 'test', [recorded])], { scrapeInterval: Duration.minutes(2), evaluationInterval: Duration.minutes(1) })).toContain(
      "recording rule service:http_requests_errors:ratio_rate5m (group test): range 5m in 'http_requests_total{status=~\"5..\"}[5m]' is shorter than 4 scrape intervals (8m)",
    );
    const bad = new RecordingRule('errors', new Query('rate(nope_total[5m])', Units.PER_SECOND, 'x'));
    expect(problemsOf([group([], 'test', [bad])])).toEqual([
      'recording rule errors (group test): name must be level:metric:operations',
      'recording rule errors (group test): unknown metric nope_total (not in the metric catalog)',
    ]);
  });

  test('reports every problem at once, on one line', () => {
    expect(() => validateRuleGroups([group([alert({ name: 'bad name', for: Duration.seconds(1) })])], intervals)).toThrow(
      /^rules\/: invalid alert rules: alert bad name \(group test\): name must be UpperCamelCase; alert bad name \(group test\): for 1s is shorter/,
    );
  });
});

describe('renderRuleFile', () => {
  test('renders recording rules first, then alerts with labels and annotations', () => {
    const recorded = new RecordingRule('service:http_requests_errors:ratio_rate5m', errorShare);
    const a = alert({ name: 'Errors', when: recorded.query.above(percent(5)), summary: 'Errors on {{ $labels.service }}', description: '{{ value }} of requests fail (threshold {{ threshold }}).' });
    const file = renderRuleFile(new RuleGroup({ name: 'g', category: 'service-health', recordings: [recorded], alerts: [a, alert({ name: 'Always', when: ALWAYS, for: Duration.seconds(0), description: 'x' })] }), {
      runbookBaseUrl: 'https://example.com/runbooks/',
    });
    expect(file).toEqual({
      groups: [
        {
          name: 'g',
          rules: [
            { record: 'service:http_requests_errors:ratio_rate5m', expr: errorShare.expr },
            {
              alert: 'Errors',
              expr: 'service:http_requests_errors:ratio_rate5m * 100 > 5',
              for: '5m',
              labels: { severity: 'warning', category: 'service-health', component: 'postgresql' },
              annotations: {
                summary: 'Errors on {{ $labels.service }}',
                description: '{{ $value | humanize }}% of requests fail (threshold 5%).',
                runbook_url: 'https://example.com/runbooks/Errors.md',
              },
            },
            {
              alert: 'Always',
              expr: 'vector(1)',
              labels: { severity: 'warning', category: 'service-health', component: 'postgresql' },
              annotations: { summary: 'Many connections on {{ $labels.instance }}', description: 'x', runbook_url: 'https://example.com/runbooks/Always.md' },
            },
          ],
        },
      ],
    });
    expect(new RuleGroup({ name: 'g', category: 'business', alerts: [] }).fileName).toBe('g.rules.yml');
  });
});

describe('humanize functions', () => {
  // Values and the text Prometheus renders for them, checked against the real Prometheus below.
  const values = [0, 0.0525, 0.95, 1, 5.25, 84, 1234.5, 1234567, 0.000123, 90, 3700, 1048576, 123456789012, -2.5, 0.1235, 1.0005, 99999, 0.5, 86400.5];
  const functions = ['humanize', 'humanizePercentage', 'humanizeDuration', 'humanize1024'];
  const ours: Record<string, (v: number) => string> = { humanize, humanizePercentage, humanizeDuration, humanize1024 };

  test('known renderings', () => {
    expect(humanize(1234567)).toBe('1.235M');
    expect(humanize(0.05)).toBe('50m');
    expect(humanizePercentage(0.0525)).toBe('5.25%');
    expect(humanizeDuration(1.05)).toBe('1.05s');
    expect(humanizeDuration(90)).toBe('1m 30s');
    expect(humanize1024(1048576)).toBe('1Mi');
    // an exact tie rounds to even, as in Go
    expect(humanizePercentage(1234.5)).toBe('1.234e+05%');
    expect(humanize(1.0005)).toBe('1');
    expect(renderTemplate('{{ $labels.a }}: {{ $value | printf "%.2f" }}', { a: 'x' }, 0.955)).toBe('x: 0.95');
  });

  test('render $value exactly as Prometheus does (checked with promtool)', () => {
    const dir = tempDir();
    const rules = values.map((v, i) => ({
      alert: `Value${i}`,
      expr: `vector(${v})`,
      annotations: Object.fromEntries(functions.map((f) => [f, `{{ $value | ${f} }}`])),
    }));
    fs.writeFileSync(path.join(dir, 'rules.yml'), stringify({ groups: [{ name: 'values', rules }] }));
    const tests = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [],
          alert_rule_test: values.map((v, i) => ({
            eval_time: '1m',
            alertname: `Value${i}`,
            exp_alerts: [{ exp_labels: {}, exp_annotations: Object.fromEntries(functions.map((f) => [f, ours[f](v)])) }],
          })),
        },
      ],
    };
    fs.writeFileSync(path.join(dir, 'test.yml'), stringify(tests));
    const r = promtool(dir, 'test', 'rules', 'test.yml');
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});

describe('generatePromtoolTests', () => {
  const g = group([alert(), alert({ name: 'LowRequestRate', when: rate(http.requests, { window: Duration.minutes(10), by: ['service'] }).below(perHour(30)), summary: 'Few requests on {{ $labels.service }}', description: '{{ value }}' })]);

  test('probes just above and just below the threshold', () => {
    expect(probesFor(errorShare.above(percent(5)))).toEqual({ firing: 5.25, silent: 4.75 });
    expect(probesFor(gauge(postgres.backends).above(count(80)))).toEqual({ firing: 81, silent: 79 });
    expect(probesFor(gauge(postgres.up).equals(count(0)))).toEqual({ firing: 0, silent: 1 });
    expect(probesFor(rate(http.requests, { window: Duration.minutes(5) }).below(perHour(1)))).toEqual({ firing: 0.95, silent: 1.05 });
    expect(probesFor(gauge(postgres.backends).above(count(0)))).toEqual({ firing: 1, silent: 0 });
    expect(probesFor(gauge(postgres.backends).atLeast(count(80)))).toEqual({ firing: 81, silent: 79 });
    expect(probesFor(errorShare.atMost(percent(5)))).toEqual({ firing: 4.75, silent: 5.25 });
  });

  test('one test per alert with a silent, a pending and a firing check', () => {
    const files = generatePromtoolTests([g], { evaluationInterval: FIFTEEN_SECONDS });
    expect(files.map((f) => [f.fileName, f.group, f.alert, (f.content as any).rule_files, f.rules.fileName])).toEqual([
      ['TooManyConnections.test.yml', 'test', 'TooManyConnections', ['TooManyConnections.rules.yml'], 'TooManyConnections.rules.yml'],
      ['LowRequestRate.test.yml', 'test', 'LowRequestRate', ['LowRequestRate.rules.yml'], 'LowRequestRate.rules.yml'],
    ]);
    const file = files[0] as { content: any };
    expect(file.content.tests).toHaveLength(1);
    const [t] = file.content.tests;
    expect(t.name).toBe('TooManyConnections: silent at 79, fires at 81 after 5 minutes');
    expect(t.input_series).toEqual([{ series: 'pg_stat_database_numbackends{datid="16384", datname="knowton", job="postgres-exporter", instance="10.42.1.7:9000", namespace="knowton-dev", pod="postgres-exporter-6c9d8f7b5-w2n4p", node="worker-1"}', values: '79x10 81x10' }]);
    // silent at the end of the quiet phase, still pending 15s before `for` has passed, then firing
    expect(t.alert_rule_test.map((c: any) => [c.eval_time, c.exp_alerts.length])).toEqual([
      ['10m', 0],
      ['15m45s', 0],
      ['18m', 1],
    ]);
    expect(t.alert_rule_test[2].exp_alerts[0]).toEqual({
      exp_labels: { instance: '10.42.1.7:9000', severity: 'warning', category: 'database', component: 'postgresql' },
      exp_annotations: {
        summary: 'Many connections on 10.42.1.7:9000',
        description: '10.42.1.7:9000 has 81 connections (threshold 80).',
        runbook_url: 'https://github.com/knowton/knowton-monitoring/blob/main/docs/runbooks/TooManyConnections.md',
      },
    });
  });

  test('the generated tests pass with promtool, and fail when a rule drifts from its definition', () => {
    const dir = tempDir();
    const tests = writeTestFiles(dir, [g]);
    const ok = promtool(dir, 'test', 'rules', ...tests);
    expect(ok.output.match(/SUCCESS/g)).toHaveLength(2);
    expect(ok.status).toBe(0);

    // The same tests against rules whose threshold and `for` changed must fail.
    const drifted = (alertName: string, from: string, to: string) => {
      const file = path.join(dir, `${alertName}.rules.yml`);
      const rules = fs.readFileSync(file, 'utf8');
      expect(rules).toContain(from);
      fs.writeFileSync(file, rules.replace(from, to));
      try {
        return promtool(dir, 'test', 'rules', `${alertName}.test.yml`);
      } finally {
        fs.writeFileSync(file, rules);
      }
    };
    const threshold = drifted('TooManyConnections', '> 80', '> 82');
    expect(threshold.status).not.toBe(0);
    expect(threshold.output).toContain('alertname: TooManyConnections, time: 18m');
    const forChanged = drifted('TooManyConnections', 'for: 5m', 'for: 1m');
    expect(forChanged.status).not.toBe(0);
    expect(forChanged.output).toContain('alertname: TooManyConnections, time: 15m45s');
    const rateChanged = drifted('LowRequestRate', '* 3600 < 30', '* 3600 < 32');
    expect(rateChanged.status).not.toBe(0);
    expect(rateChanged.output).toContain('alertname: LowRequestRate');
  });

  test("each alert's test loads the alert as its group's rule file renders it, and the recordings it reads, no other rule", () => {
    const recorded = new RecordingRule('service:http_requests_errors:ratio_rate5m', errorShare);
    const unread = new RecordingRule('instance:pg_stat_database_numbackends:sum', gauge(postgres.backends, { aggregate: 'sum', by: ['instance'] }));
    const reader = alert({ name: 'ManyRecordedConnections', when: recorded.query.above(percent(5)), summary: 'Errors on {{ $labels.service }}', description: '{{ value }}' });
    const groups = [group([alert()], 'first', [recorded, unread]), group([reader, alert({ name: 'Other' })], 'second')];
    const files = generatePromtoolTests(groups, { evaluationInterval: FIFTEEN_SECONDS });
    const full = Object.fromEntries(groups.map((x) => [x.name, (renderRuleFile(x).groups[0] as any)]));
    const rulesOf = (name: string) => files.find((f) => f.alert === name)!.rules.content.groups as any[];
    // TooManyConnections reads no recording: its group keeps the alert only
    expect(rulesOf('TooManyConnections')).toEqual([{ ...full.first, rules: full.first.rules.filter((r: any) => r.alert === 'TooManyConnections') }]);
    // the reader's file has the recording's group (the recording only) before its own (the reader only)
    expect(rulesOf('ManyRecordedConnections')).toEqual([
      { ...full.first, rules: full.first.rules.filter((r: any) => r.record === recorded.record) },
      { ...full.second, rules: full.second.rules.filter((r: any) => r.alert === 'ManyRecordedConnections') },
    ]);
  });

  test('an always-firing alert is tested to fire', () => {
    const watchdog = alert({ name: 'Watchdog', when: ALWAYS, for: Duration.seconds(0), summary: 'Heartbeat', description: 'always' });
    const dir = tempDir();
    writeTestFiles(dir, [group([watchdog])]);
    expect(promtool(dir, 'test', 'rules', 'Watchdog.test.yml').status).toBe(0);
  });

  test('refuses an alert whose query has no fixture', () => {
    const raw = alert({ when: new Query('sum by (instance) (pg_stat_database_numbackends)', Units.COUNT, 'x').above(count(80)) });
    expect(() => generatePromtoolTests([group([raw])], { evaluationInterval: FIFTEEN_SECONDS })).toThrow('alert TooManyConnections: its query has no test fixture');
  });
});

describe('renderRunbooks', () => {
  test('one page per alert from the same definition, plus an index', () => {
    const books = renderRunbooks([group([alert({ when: gauge(postgres.backends, { aggregate: 'sum', by: ['instance'] }).above(count(80)) }), alert({ name: 'Slow', when: errorShare.above(percent(5)), summary: '{{ $labels.service }}', for: Duration.minutes(5) })])]);
    expect(Object.keys(books).sort()).toEqual(['README.md', 'Slow.md', 'TooManyConnections.md']);
    const page = books['TooManyConnections.md'];
    expect(page).toContain('# TooManyConnections');
    expect(page).toContain('| warning | database | postgresql | 5 minutes |');
    expect(page).toContain('{instance} has {value} connections (threshold 80).');
    expect(page).toContain('It fires when the value is above **80** for 5 minutes. The value is pg_stat_database_numbackends (sum by instance).');
    expect(page).toContain('```promql\nsum by (instance) (pg_stat_database_numbackends) > 80\n```');
    expect(page).toContain('1. Look at pg_stat_activity.');
    expect(page).toContain('fires at 81 and stays silent at 79');
    expect(books['Slow.md']).toContain('the value is above **5%** for 5 minutes. The value is the share of http_requests_total{status=~"5.."} in all http_requests_total over 5 minutes (sum by service).');
    expect(books['README.md']).toContain('| [Slow](Slow.md) | warning | {service} |');
  });

  test('quotes the recording rules an alert reads', () => {
    const recorded = new RecordingRule('service:http_requests_errors:ratio_rate5m', errorShare);
    const books = renderRunbooks([group([alert({ name: 'Errors', when: recorded.query.above(percent(5)), summary: 'x' })], 'test', [recorded])]);
    expect(books['Errors.md']).toContain(`service:http_requests_errors:ratio_rate5m = ${errorShare.expr}`);
  });
});

test('a panel of the query can draw the alert threshold in the query unit', () => {
  const recorded = new RecordingRule('service:http_requests_errors:ratio_rate5m', errorShare);
  expect(alert({ name: 'Errors', when: recorded.query.above(percent(5)) }).thresholdMark()).toEqual({ value: 0.05, label: 'Errors (5%)', severity: 'warning' });
  expect(alert({ when: rate(http.requests, { window: Duration.minutes(5) }).below(perHour(36)) }).thresholdMark()!.value).toBe(0.01);
  expect(alert({ when: ALWAYS }).thresholdMark()).toBeUndefined();
});

test('a seconds threshold is rendered in seconds', () => {
  const latency = new Query('vector(1)', Units.SECONDS, 'latency');
  expect(alert({ when: latency.above(seconds(1)) }).template('{{ value }}')).toBe('{{ $value | humanizeDuration }}');
});

import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { environmentConfig } from '../lib/config';
import { http } from '../lib/catalog';
import { badEvents, BURN_TIERS, checkSlos, generateSloTests, leMatcher, phaseSeries, renderSloRuleFile, Slo, SloAlert, SLO_INHIBIT_RULES, SLO_RULE_FILE, slowerThan } from '../lib/slo';
import { Duration, percent, seconds } from '../lib/units';
import { slos } from '../slos';
import { findObject, loadObjects, prometheusFiles, synthTo, tempDir } from './helpers';
import { promtoolAsync, promtoolTestEach } from './rule-tools';

const all = slos();

/** `promtool <args>` in `dir`, asynchronously so that two files run at once. */
const promtool = (dir: string, args: string[]) => promtoolAsync(dir, ...args);

type Rule = { record?: string; alert?: string; expr: string; labels: Record<string, string> };
const rulesOf = (slos: readonly Slo[]): Rule[] => (renderSloRuleFile(slos).groups[0] as { rules: Rule[] }).rules;
const recordedIn = (expr: string): string[] => [...expr.matchAll(/slo:[a-z_:0-9]+/g)].map((m) => m[0]);

/**
 * The rules of `slo` that `alerts` read: those alerts, and the recordings they read, directly or
 * through other recordings, in the order of the SLO's rules. (A test checks that an SLO's rules
 * read and write only its own series, so no other SLO's rule can change these alerts.)
 */
function rulesFor(slo: Slo, alerts: readonly string[]): Rule[] {
  const rules = rulesOf([slo]);
  const needed = new Set<string>(alerts);
  for (let more = true; more;) {
    more = false;
    for (const r of rules.filter((x) => needed.has(x.record ?? x.alert!))) {
      for (const m of recordedIn(r.expr)) if (!needed.has(m)) (needed.add(m), (more = true));
    }
  }
  return rules.filter((r) => needed.has(r.record ?? r.alert!));
}

/**
 * Writes the rule file of `ruleSlos` and the tests generated for `testSlos` into a new directory;
 * each test file loads a file of the rules of `ruleSlos` its alerts read (rulesFor).
 */
function writeFiles(ruleSlos: readonly Slo[], testSlos: readonly Slo[], edit: (text: string) => string = (t) => t): { dir: string; tests: string[] } {
  const dir = tempDir('knowton-slo-');
  fs.writeFileSync(path.join(dir, SLO_RULE_FILE), stringify(renderSloRuleFile(ruleSlos), { lineWidth: 0 }));
  const ruleFileFor = (slo: Slo, alerts: readonly SloAlert[]): string => {
    const file = `slo-${slo.id}-${alerts.map((a) => a.tier.long.toPromDuration()).join('-')}.rules.yml`;
    const rules = rulesFor(ruleSlos.find((s) => s.id === slo.id)!, alerts.map((a) => a.name));
    fs.writeFileSync(path.join(dir, file), stringify({ groups: [{ ...renderSloRuleFile([]).groups[0], rules }] }, { lineWidth: 0 }));
    return file;
  };
  const tests = generateSloTests(testSlos, ruleFileFor).map((t) => {
    fs.writeFileSync(path.join(dir, t.fileName), edit(stringify(t.content, { lineWidth: 0 })));
    return t.fileName;
  });
  return { dir, tests };
}

/** promtool test rules on every file (rule-tools' promtoolTestEach); the failures' output. */
const runTests = (dir: string, files: readonly string[]): Promise<string[]> => promtoolTestEach(files.map((file) => ({ dir, file })));

describe('the SLOs of slos/', () => {
  test('the four KnowTon SLOs, 30-day windows', () => {
    expect(all.map((s) => [s.id, s.objective.toString(), s.window.toPromDuration()])).toEqual([
      ['backend-availability', '99.9%', '30d'],
      ['ai-service-availability', '99.5%', '30d'],
      ['backend-latency', '99%', '30d'],
      ['backend-nft-mint', '99%', '30d'],
    ]);
    expect(() => checkSlos(all)).not.toThrow();
  });

  test("burn rates are computed from the window: the workbook's 14.4, 6, 3, 1 at 30 days, scaled at 28", () => {
    const [backend] = all;
    expect(backend.alerts.map((a) => [a.name, a.tier.severity, a.burnRate, a.errorRatio])).toEqual([
      ['BackendAvailabilityBurnRate1h', 'critical', 14.4, 0.0144],
      ['BackendAvailabilityBurnRate6h', 'critical', 6, 0.006],
      ['BackendAvailabilityBurnRate1d', 'warning', 3, 0.003],
      ['BackendAvailabilityBurnRate3d', 'warning', 1, 0.001],
    ]);
    expect(backend.with({ window: Duration.days(28) }).alerts.map((a) => a.burnRate)).toEqual([13.44, 5.6, 2.8, 0.933333333333]);
    expect(BURN_TIERS.map((t) => `${t.long.toPromDuration()}/${t.short.toPromDuration()}`)).toEqual(['1h/5m', '6h/30m', '1d/2h', '3d/6h']);
  });

  test('recording rules: error ratio over every alert window and the SLO window, events, objective, budget remaining', () => {
    const rules = (renderSloRuleFile([all[0]]).groups[0] as { rules: Array<Record<string, unknown>> }).rules;
    expect(rules.filter((r) => r.record).map((r) => r.record)).toEqual([
      // the base rates the windows of a day or more are derived from
      'slo:sli_events:rate30m',
      'slo:sli_bad_events:rate30m',
      ...['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'].map((w) => `slo:sli_error:ratio_rate${w}`),
      ...['1h', '6h', '1d', '3d'].map((w) => `slo:sli_events:rate${w}`),
      'slo:objective:ratio',
      'slo:error_budget:remaining_ratio',
    ]);
    const expr = (record: string) => rules.find((r) => r.record === record)!.expr;
    // Up to 6 hours from the raw series; a day and more from the recorded 30-minute rates (one series per SLO).
    expect(expr('slo:sli_bad_events:rate30m')).toBe('(sum(rate(http_requests_total{service="backend", status=~"5.."}[30m])) or vector(0))');
    expect(expr('slo:sli_error:ratio_rate6h')).toBe('(sum(rate(http_requests_total{service="backend", status=~"5.."}[6h])) or vector(0)) / sum(rate(http_requests_total{service="backend"}[6h]))');
    expect(expr('slo:sli_error:ratio_rate30d')).toBe(
      'sum_over_time(slo:sli_bad_events:rate30m{slo="backend-availability"}[30d]) / sum_over_time(slo:sli_events:rate30m{slo="backend-availability"}[30d])',
    );
    expect(expr('slo:sli_events:rate3d')).toBe('avg_over_time(slo:sli_events:rate30m{slo="backend-availability"}[3d])');
    expect(rules.find((r) => r.record === 'slo:sli_error:ratio_rate5m')).toEqual({
      record: 'slo:sli_error:ratio_rate5m',
      expr: '(sum(rate(http_requests_total{service="backend", status=~"5.."}[5m])) or vector(0)) / sum(rate(http_requests_total{service="backend"}[5m]))',
      labels: { service: 'backend', slo: 'backend-availability' },
    });
    const page = rules.find((r) => r.alert === 'BackendAvailabilityBurnRate1h')!;
    expect(page.expr).toBe(
      'slo:sli_error:ratio_rate1h{slo="backend-availability"} / 0.001 > 14.4\n' +
        'and slo:sli_error:ratio_rate5m{slo="backend-availability"} / 0.001 > 14.4\n' +
        'and slo:sli_events:rate1h{slo="backend-availability"} > 0.0166666666667',
    );
    expect(page.labels).toEqual({ severity: 'critical', category: 'slo', component: 'application', service: 'backend', slo: 'backend-availability', burn_window: '1h' });
  });

  test('the latency SLI selects the 1 s bucket as Prometheus 2.x (le="1") and 3 (le="1.0") write it', () => {
    const rules = (renderSloRuleFile([all[2]]).groups[0] as { rules: Array<Record<string, unknown>> }).rules;
    const expr = (record: string) => rules.find((r) => r.record === record)!.expr;
    expect(expr('slo:sli_error:ratio_rate5m')).toBe('1 - sum(rate(http_request_duration_seconds_bucket{service="backend", le=~"1(\\\\.0)?"}[5m])) / sum(rate(http_request_duration_seconds_count{service="backend"}[5m]))');
    expect(expr('slo:sli_bad_events:rate30m')).toBe('sum(rate(http_request_duration_seconds_count{service="backend"}[30m])) - sum(rate(http_request_duration_seconds_bucket{service="backend", le=~"1(\\\\.0)?"}[30m]))');
    const re = (b: number) => new RegExp(`^(?:${leMatcher(b).source})$`);
    expect(['1', '1.0'].map((v) => re(1).test(v))).toEqual([true, true]);
    expect(['10', '1.5', '0.1'].some((v) => re(1).test(v))).toBe(false);
    expect(['0.25'].map((v) => re(0.25).test(v))).toEqual([true]);
    expect(re(0.25).test('0x25')).toBe(false);
  });

  test('a faster tier inhibits the slower one of the same SLO', () => {
    expect(SLO_INHIBIT_RULES.map((r) => [r.source.map((m) => `${m.label}=${m.value}`).join(','), r.target.map((m) => `${m.label}=${m.value}`).join(','), r.equal])).toEqual([
      ['category=slo,burn_window=1h', 'category=slo,burn_window=6h', ['slo']],
      ['category=slo,burn_window=6h', 'category=slo,burn_window=1d', ['slo']],
      ['category=slo,burn_window=1d', 'category=slo,burn_window=3d', ['slo']],
    ]);
  });
});

describe('bad SLOs fail synth naming the SLO', () => {
  const base = all[0];
  test.each([
    ['0%', percent(0), /slos\/backend-availability: invalid objective "0%": strictly between 0% and 100%/],
    ['100%', percent(100), /slos\/backend-availability: invalid objective "100%"/],
    ['150%', percent(150), /slos\/backend-availability: invalid objective "150%"/],
    ['90% (the 1h tier would need 144% errors)', percent(90), /invalid objective "90%".*BackendAvailabilityBurnRate1h needs an error ratio above 14.4 × 0.1 = 1.44/],
    ['a duration', seconds(1), /invalid objective "1 second": a ratio such as percent\(99.9\)/],
  ])('objective %s', (_, objective, message) => {
    expect(() => checkSlos([base.with({ objective: objective as never })])).toThrow(message);
  });

  test('a latency threshold that is not a bucket boundary', () => {
    const slo = new Slo({ service: 'backend', name: 'latency', description: 'x', objective: percent(99), sli: slowerThan(http.requestDuration, seconds(0.75)), firstChecks: [] });
    expect(() => checkSlos([slo])).toThrow(/slos\/backend-latency: invalid sli .*latency threshold 0.75 seconds is not a bucket boundary of http_request_duration_seconds/);
    const ok = new Slo({ service: 'backend', name: 'latency', description: 'x', objective: percent(99), sli: slowerThan(http.requestDuration, seconds(2.5)), firstChecks: [] });
    expect(() => checkSlos([ok])).not.toThrow();
  });

  test('a window no longer than the slowest tier, a duplicate SLO', () => {
    expect(() => checkSlos([base.with({ window: Duration.days(3) })])).toThrow(/slos\/backend-availability: invalid window "3d"/);
    const again = new Slo({ service: 'backend', name: 'availability', description: 'x', objective: percent(99), sli: badEvents(http.requests, { bad: { status: /5../ } }), firstChecks: [] });
    expect(() => checkSlos([base, again])).toThrow(/invalid name "backend-availability"/);
  });

  test('overrides through StackConfig.slos: applied, a bad objective named, an unknown SLO or key refused', () => {
    const dev = environmentConfig('dev');
    const dir = synthTo({ ...dev, slos: { 'backend-availability': { objective: percent(99.5) } } });
    const rules = parse(prometheusFiles(loadObjects(dir)).rules[SLO_RULE_FILE]).groups[0].rules;
    expect(rules.find((r: { alert?: string }) => r.alert === 'BackendAvailabilityBurnRate1h').expr).toContain('/ 0.005 > 14.4');
    expect(rules.find((r: { alert?: string }) => r.alert === 'AiServiceAvailabilityBurnRate1h').expr).toContain('/ 0.005 > 14.4');
    expect(rules.find((r: { alert?: string }) => r.alert === 'BackendLatencyBurnRate1h').expr).toContain('/ 0.01 > 14.4');
    expect(() => synthTo({ ...dev, slos: { 'backend-availability': { objective: percent(100) } } })).toThrow(
      /StackConfig.slos.backend-availability: invalid objective "100%"/,
    );
    expect(() => synthTo({ ...dev, slos: { 'backend-avail': { objective: percent(99) } } })).toThrow(/StackConfig: invalid slos "backend-avail": the id of an SLO of slos\//);
    expect(() => synthTo({ ...dev, slos: { 'backend-availability': { objectve: percent(99) } as never } })).toThrow(/objectve/);
  });
});

describe('dist/', () => {
  test.each([['dev', 'dist'], ['staging', 'dist/staging'], ['prod', 'dist/prod']])('%s carries slo.rules.yml and the SLO inhibit rules', (_, dir) => {
    const objects = loadObjects(path.join(__dirname, '..', dir));
    const rules = parse(prometheusFiles(objects).rules[SLO_RULE_FILE]);
    expect(rules.groups[0].rules.filter((r: { alert?: string }) => r.alert)).toHaveLength(16);
    const am = findObject(objects, 'ConfigMap', 'alertmanager-config');
    const inhibit = parse(am.data['alertmanager.yml']).inhibit_rules;
    expect(inhibit).toContainEqual({ source_matchers: ['category="slo"', 'burn_window="1h"'], target_matchers: ['category="slo"', 'burn_window="6h"'], equal: ['slo'] });
  });
});

describe('the generated promtool tests, with the real promtool', () => {
  test('the SLO rule file passes promtool check rules', async () => {
    const { dir } = writeFiles(all, []);
    const r = await promtool(dir, ['check', 'rules', SLO_RULE_FILE]);
    expect(r.output).toContain(`SUCCESS: ${rulesOf(all).length} rules found`);
    expect(rulesOf(all).length).toBe(80);
    expect(r.status).toBe(0);
  });

  test("an SLO's rules alone are its rules in the whole file, and read or write no other SLO's series; an alert's tests load what it reads", () => {
    expect(all.flatMap((s) => rulesOf([s]))).toEqual(rulesOf(all));
    // The page tier reads its two windows' error ratios and its long window's event rate, all recorded.
    expect(rulesFor(all[0], ['BackendAvailabilityBurnRate1h']).map((r) => r.record ?? r.alert)).toEqual([
      'slo:sli_error:ratio_rate5m', 'slo:sli_error:ratio_rate1h', 'slo:sli_events:rate1h', 'BackendAvailabilityBurnRate1h',
    ]);
    expect(rulesFor(all[0], ['slo:error_budget:remaining_ratio']).map((r) => r.record)).toEqual([
      'slo:sli_events:rate30m', 'slo:sli_bad_events:rate30m', 'slo:sli_error:ratio_rate30d', 'slo:error_budget:remaining_ratio',
    ]);
    for (const s of all) {
      for (const r of rulesOf([s])) {
        // What a rule writes carries its SLO's label; what it reads of the recorded series selects it.
        expect([r.record ?? r.alert, r.labels.slo]).toEqual([r.record ?? r.alert, s.id]);
        for (const m of r.expr.matchAll(/slo:[a-z_:0-9]+(\{[^}]*\})?/g)) expect([r.record ?? r.alert, m[1]]).toEqual([r.record ?? r.alert, `{slo="${s.id}"}`]);
      }
    }
  });

  test('the windows of a day or more, derived from the recorded 30-minute rates, weigh each event alike, as the raw series do', async () => {
    // A day at 2% errors and 10 requests/s, then a day clean at 30/s: over the SLO window a quarter of the
    // requests were in the bad day, so 0.5% failed; an average of the ratios (not weighing the traffic)
    // would say 1%. Samples and evaluations every 5 minutes, as the ticket tiers' tests.
    const slo = all[0];
    const phases = [{ minutes: 1440, errorRatio: 0.02, eventsPerSecond: 10 }, { minutes: 1440, errorRatio: 0, eventsPerSecond: 30 }];
    const dir = tempDir('knowton-slo-derived-');
    const read = ['slo:sli_error:ratio_rate30d', 'slo:sli_events:rate1d'];
    fs.writeFileSync(path.join(dir, 'derived.rules.yml'), stringify({ groups: [{ ...renderSloRuleFile([]).groups[0], rules: rulesFor(slo, read) }] }, { lineWidth: 0 }));
    const near = (expr: string, value: number, tolerance: number) => `abs(${expr} - ${value}) < bool ${tolerance}`;
    const labels = `{service="${slo.service}", slo="${slo.id}"}`;
    const at = '2875m';
    fs.writeFileSync(path.join(dir, 'derived.test.yml'), stringify({
      rule_files: ['derived.rules.yml'],
      evaluation_interval: '5m',
      tests: [{
        interval: '5m',
        input_series: phaseSeries(slo, phases, 5),
        promql_expr_test: [
          { expr: near(`slo:sli_error:ratio_rate30d{slo="${slo.id}"}`, 0.005, 0.0002), eval_time: at, exp_samples: [{ labels, value: 1 }] },
          // the raw ratio over the same data, for comparison
          { expr: near(slo.sli.errorRatio(Duration.days(30)), 0.005, 0.0002), eval_time: at, exp_samples: [{ labels: '{}', value: 1 }] },
          // the last day's traffic: 30 requests/s
          { expr: near(`slo:sli_events:rate1d{slo="${slo.id}"}`, 30, 0.5), eval_time: at, exp_samples: [{ labels, value: 1 }] },
        ],
      }],
    }, { lineWidth: 0 }));
    const r = await promtool(dir, ['test', 'rules', 'derived.test.yml']);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  test('every SLO and tier: fires just above its burn rate within the detection time, silent below, no page at burn rate 1, on a spike or on a handful of requests', async () => {
    const { dir, tests } = writeFiles(all, all);
    expect(tests).toHaveLength(all.length * 5);
    expect(await runTests(dir, tests)).toEqual([]);
  }, 900_000);

  test('the latency tests pass with Prometheus 3\'s le="1.0" too', async () => {
    const latency = all.find((s) => s.id === 'backend-latency')!;
    const { dir, tests } = writeFiles(all, [latency], (t) => t.replace(/le="1"/g, 'le="1.0"'));
    const pageTests = tests.filter((f) => /-1h\.test\.yml$/.test(f));
    expect(fs.readFileSync(path.join(dir, pageTests[0]), 'utf8')).toContain('le="1.0"');
    expect(await runTests(dir, pageTests)).toEqual([]);
  }, 300_000);

  test('the tests can fail: rules built for 99.8% fail the tests of 99.9%; a window without its short-window guard fails the spike test', async () => {
    const backend = all[0];
    const wrong = writeFiles([backend.with({ objective: percent(99.8) })], [backend]);
    const failures = await runTests(wrong.dir, wrong.tests.filter((f) => /-1h\.test\.yml$/.test(f)));
    expect(failures.join('\n')).toMatch(/FAILED[\s\S]*BackendAvailabilityBurnRate1h/);

    // The spike test with the long window's condition dropped from the 1h tier: the 5-minute window alone pages.
    const dir = tempDir('knowton-slo-');
    const file = renderSloRuleFile([backend]) as { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> };
    for (const r of file.groups[0].rules) if (r.alert === 'BackendAvailabilityBurnRate1h') r.expr = r.expr.split('\n').slice(1).join('\n').replace(/^and /, '');
    fs.writeFileSync(path.join(dir, SLO_RULE_FILE), stringify(file, { lineWidth: 0 }));
    const budget = generateSloTests([backend]).find((t) => t.fileName === 'slo-backend-availability.test.yml')!;
    fs.writeFileSync(path.join(dir, budget.fileName), stringify(budget.content, { lineWidth: 0 }));
    const r = await promtool(dir, ['test', 'rules', budget.fileName]);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/10-minute spike[\s\S]*BackendAvailabilityBurnRate1h/);
  }, 300_000);
});

describe('runbooks', () => {
  test('every SLO alert links to a committed runbook saying what budget burns, how fast, what to look at first', () => {
    const rules = (renderSloRuleFile(all).groups[0] as { rules: Array<{ alert?: string; annotations?: Record<string, string> }> }).rules.filter((r) => r.alert);
    expect(rules).toHaveLength(16);
    for (const r of rules) {
      const file = path.join(__dirname, '..', 'docs', 'runbooks', `${r.alert}.md`);
      expect(r.annotations!.runbook_url.endsWith(`/${r.alert}.md`)).toBe(true);
      const text = fs.readFileSync(file, 'utf8');
      expect(text).toMatch(/## What budget is burning[\s\S]*## How fast[\s\S]*## First checks\n\n1\. /);
    }
    expect(fs.readFileSync(path.join(__dirname, '..', 'docs', 'runbooks', 'BackendNftMintBurnRate6h.md'), 'utf8')).toContain('6 times the budget\'s pace, so 5% of the 30 days budget burns in 6 hours');
  });
});

describe('the SLO dashboard', () => {
  test.each(['dist', 'dist/staging', 'dist/prod'])('%s/dashboards/slo-dashboard.json: per SLO objective, budget left, SLI over the window, burn rate per window with the tiers as lines', (dir) => {
    const d = JSON.parse(fs.readFileSync(path.join(__dirname, '..', dir, 'dashboards', 'slo-dashboard.json'), 'utf8'));
    const rows = d.panels.filter((p: { type: string }) => p.type === 'row').map((p: { title: string }) => p.title.split(':')[0]);
    expect(rows).toEqual(all.map((s) => s.id));
    const panels = d.panels.filter((p: { type: string }) => p.type !== 'row');
    expect(panels.slice(0, 4).map((p: { title: string }) => p.title)).toEqual(['Objective', 'Error budget remaining', 'SLI over 30 days', 'Burn rate per alert window']);
    const burn = panels[3];
    expect(burn.targets.map((t: { expr: string }) => t.expr)).toContain('slo:sli_error:ratio_rate1h{slo="backend-availability"} / 0.001');
    expect(burn.targets.map((t: { legendFormat: string }) => t.legendFormat)).toEqual(['1h', '5m', '6h', '30m', '1d', '2h', '3d']);
    expect(burn.fieldConfig.defaults.thresholds.steps.map((s: { value: number | null; color: string }) => [s.value, s.color])).toEqual([
      [null, 'green'], [1, 'orange'], [3, 'orange'], [6, 'red'], [14.4, 'red'],
    ]);
    expect(panels[1].targets[0].expr).toBe('slo:error_budget:remaining_ratio{slo="backend-availability"}');
  });
});

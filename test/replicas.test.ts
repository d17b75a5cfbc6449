/**
 * Issue 15: every backend replica exports the same business gauges from the database, so a query that
 * sums them shows N times the truth. The catalog says which gauges these are; the query builder takes one
 * copy before aggregating and the synth-time check refuses a raw sum. Proven on promtool's engine: every
 * business panel of the synthesized dashboards and every business alert returns the same with two
 * replicas as with one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { business, CATALOG } from '../lib/catalog';
import { exampleLabels, gauge } from '../lib/promql';
import { checkDashboards } from '../lib/dashboards/validate';
import { dashboardQueries, substituteGrafana } from '../lib/dashboards/queries';
import { analyze, checkQuery } from '../lib/promql';
import { ruleGroups } from '../rules';
import { Duration } from '../lib/units';
import { ConfigError } from '../lib/validate';
import { promtool, tempDir } from './rule-tools';
import { synthTo } from './helpers';

const replicated = CATALOG.metrics.filter((m) => m.sameOnEveryReplica);

test('the gauges the business metrics exporter sets from the database are marked as the same on every replica', () => {
  expect(replicated.map((m) => m.name).sort()).toEqual([
    'knowton_active_bonds_total', 'knowton_active_users_total', 'knowton_nfts_by_category', 'knowton_royalty_revenue_usd',
    'knowton_total_nfts', 'knowton_total_value_locked_usd', 'knowton_trading_volume_usd',
  ]);
  // counters are counted by the replica that served the event: summing them is right
  expect(business.nftMints.sameOnEveryReplica).toBe(false);
});

test('the query builder takes one copy per label set before summing', () => {
  expect(gauge(business.tradingVolume, { where: { timeframe: '24h' }, aggregate: 'sum' }).expr)
    .toBe('sum(max by (pair, timeframe) (knowton_trading_volume_usd{timeframe="24h"}))');
  expect(gauge(business.totalNfts, { aggregate: 'max' }).expr).toBe('max(knowton_total_nfts)');
  expect(gauge(business.nftsByCategory).expr).toBe('max by (category) (knowton_nfts_by_category)');
});

test.each([
  ['sum(knowton_royalty_revenue_usd)', true],
  ['topk(5, knowton_nfts_by_category)', true],
  ['avg by (timeframe) (knowton_trading_volume_usd)', true],
  ['count(knowton_total_nfts)', true],
  ['sum by (pod) (knowton_royalty_revenue_usd)', false],
  ['max(knowton_total_nfts)', false],
  ['sum(max by (creator, nft) (knowton_royalty_revenue_usd))', false],
])('the synth-time query check: %s refused: %s', (expr, refused) => {
  const errors = analyze(expr, CATALOG).errors;
  expect(errors.some((e) => e.includes("counts every replica's copy"))).toBe(refused);
});

test('a dashboard panel summing such a gauge fails synth, naming the panel', () => {
  const model = {
    uid: 'x', title: 'x',
    panels: [{ id: 1, title: 'Royalties', type: 'stat', targets: [{ refId: 'A', expr: 'sum(knowton_royalty_revenue_usd)' }] }],
  };
  let err: unknown;
  try {
    checkDashboards({ 'x.json': model }, { catalog: CATALOG, rateInterval: Duration.minutes(1) });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toMatch(/panel 'Royalties'.*sum\(\) over knowton_royalty_revenue_usd counts every replica's copy/);
  expect(() => checkQuery('sum(knowton_royalty_revenue_usd)', { context: 'x', catalog: CATALOG })).toThrow(/replica/);
});

describe('two backend replicas show the same numbers as one (promtool)', () => {
  const dist = synthTo();
  const models = Object.fromEntries(fs.readdirSync(path.join(dist, 'dashboards')).map((f) => [f, JSON.parse(fs.readFileSync(path.join(dist, 'dashboards', f), 'utf8'))]));
  const names = new Set(replicated.map((m) => m.name));
  const reads = (expr: string) => analyze(expr, CATALOG).metrics.some((m) => names.has(m));
  const panels = Object.entries(models).flatMap(([file, model]) => dashboardQueries(model, file))
    .map((q) => ({ where: q.where, expr: substituteGrafana(q.expr, { rateInterval: Duration.minutes(1), variables: { service: '.+' } }) }))
    .filter((q) => reads(q.expr));
  const alerts = ruleGroups().flatMap((g) => g.alerts).filter((a) => a.condition && reads(a.condition.query.expr))
    .map((a) => ({ where: `alert ${a.name}`, expr: a.condition!.query.expr }));
  const queries = [...panels, ...alerts];

  // Each gauge holds 7 on one series per replica: with one replica every query sums to 7 over one series.
  const input = (replicas: string[]) => replicated.flatMap((m) => replicas.map((pod, i) => {
    const labels: Record<string, string> = { ...exampleLabels(m, []), pod, instance: `10.42.0.${15 + i}:3000` };
    const { __name__: name, ...rest } = labels;
    return { series: `${name}{${Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`, values: '7x10' };
  }));

  function run(replicas: string[]): { status: number | null; output: string } {
    const dir = tempDir();
    const tests = [{
      interval: '1m',
      input_series: input(replicas),
      promql_expr_test: queries.flatMap((q) => [
        { expr: `sum(${q.expr})`, eval_time: '5m', exp_samples: [{ labels: '{}', value: 7 }] },
        { expr: `count(${q.expr})`, eval_time: '5m', exp_samples: [{ labels: '{}', value: 1 }] },
      ]),
    }];
    fs.writeFileSync(path.join(dir, 'replicas.test.yml'), stringify({ rule_files: [], evaluation_interval: '1m', tests }));
    return promtool(dir, 'test', 'rules', 'replicas.test.yml');
  }

  test('the business panels and alerts reading these gauges are all covered', () => {
    expect(panels.map((p) => p.where)).toEqual(expect.arrayContaining([
      expect.stringMatching(/Royalty revenue/), expect.stringMatching(/Top 5 NFT categories/), expect.stringMatching(/24h trading volume/),
    ]));
    expect(alerts.map((a) => a.where)).toEqual(['alert NoActiveUsers']);
  });

  test('one replica: every query returns the value once', () => {
    const r = run(['backend-a']);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  test('two replicas: the same values', () => {
    const r = run(['backend-a', 'backend-b']);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });
});

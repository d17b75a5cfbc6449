import * as fs from 'fs';
import { sloDashboard } from '../dashboards/slo-dashboard';
import { SLO_DASHBOARD_FILE } from '../lib/stack';
import { sloCatalog } from '../lib/slo';
import { slos } from '../slos';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { dashboards } from '../dashboards';
import { catalogWithRecordings } from '../lib/alerting';
import { checkQuery } from '../lib/promql';
import { panelExpr } from '../lib/dashboards';
import { ruleGroups } from '../rules';
import { errorRatio, serviceHealth } from '../rules/service-health';
import { cpuOfLimit } from '../rules/resources';

// Grafana's schemas are vendored in the project (schemas/grafana/README.md says where they come from).
const SCHEMAS = path.join(__dirname, '..', 'schemas', 'grafana');

interface Target { refId: string; expr: string; datasource?: { type?: string; uid?: string } }
interface Panel {
  type: string;
  id?: number;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  options?: unknown;
  fieldConfig?: { defaults: { unit?: string; custom?: unknown; thresholds?: { steps: Array<{ value: number | null; color: string }> } } };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  editable: boolean;
  refresh: string;
  time: { from: string; to: string };
  templating: { list: Array<{ type: string; name: string; query?: unknown }> };
  panels: Panel[];
}

// The four of dashboards/index.ts and the SLO dashboard the stack adds.
const build = () => ({ ...dashboards(), [SLO_DASHBOARD_FILE]: sloDashboard(slos()) });
const all = build() as Record<string, Dashboard>;
const entries = Object.entries(all);
const panelsOf = (d: Dashboard): Panel[] => d.panels.filter((p) => p.type !== 'row');

function loadAjv(): Ajv {
  // strict false: the schemas use the x-deprecation-message keyword; validateSchema false: one enum repeats a value.
  const ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
  addFormats(ajv);
  for (const f of fs.readdirSync(SCHEMAS).filter((n) => n.endsWith('.jsonschema.json'))) {
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMAS, f), 'utf8')), f.replace('.jsonschema.json', ''));
  }
  return ajv;
}

/** Grafana's macros and variables replaced by values PromQL accepts. */
function substitute(expr: string): string {
  return expr
    .replace(/\$__rate_interval/g, '5m')
    .replace(/\$__interval/g, '1m')
    .replace(/\$__range/g, '1h')
    .replace(/\$service/g, 'backend')
    .replace(/\$\{?datasource\}?/g, 'prometheus');
}

describe('dashboards', () => {
  const ajv = loadAjv();
  const schema = (ref: string): ValidateFunction => {
    const v = ajv.getSchema(ref);
    if (!v) throw new Error(`no schema ${ref}`);
    return v;
  };
  const valid = (ref: string, data: unknown): string[] => {
    const v = schema(ref);
    return v(data) ? [] : (v.errors ?? []).map((e) => `${ref} ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  };
  const recorded = catalogWithRecordings(ruleGroups());
  const problems = recorded.problems;
  const catalog = sloCatalog(slos(), recorded.catalog);

  it('are the four files of the spec', () => {
    expect(Object.keys(all).sort()).toEqual(['business-metrics-dashboard.json', 'knowton-business-dashboard.json', 'knowton-technical-dashboard.json', 'service-health-dashboard.json', 'slo-dashboard.json']);
    expect(problems).toEqual([]);
  });

  it('have unique, stable uids', () => {
    const uids = entries.map(([, d]) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(all['service-health-dashboard.json'].uid).toBe('knowton-service-health');
    for (const uid of uids) expect(uid).toMatch(/^knowton-[a-z-]+$/);
    // built twice, the same JSON
    expect(JSON.stringify(build())).toBe(JSON.stringify(all));
  });

  describe.each(entries)('%s', (_file, d) => {
    it('validates against the Grafana schemas', () => {
      const errors: string[] = [];
      for (const p of d.panels) {
        if (p.type === 'row') {
          errors.push(...valid('dashboard#/definitions/RowPanel', p));
          continue;
        }
        errors.push(...valid('dashboard#/definitions/Panel', p).map((e) => `${p.title}: ${e}`));
        errors.push(...valid(`${p.type}#/definitions/Options`, p.options).map((e) => `${p.title}: ${e}`));
        if (p.fieldConfig?.defaults.custom !== undefined) errors.push(...valid(`${p.type}#/definitions/FieldConfig`, p.fieldConfig.defaults.custom).map((e) => `${p.title}: ${e}`));
        for (const t of p.targets ?? []) errors.push(...valid('prometheus#/definitions/Dataquery', t).map((e) => `${p.title}: ${e}`));
      }
      // the whole dashboard too, panels left out (validated one by one above, with readable errors)
      errors.push(...valid('dashboard', { ...d, panels: [] }));
      expect(errors).toEqual([]);
    });

    it('is read-only, tagged, with the datasource and service variables', () => {
      expect(d.editable).toBe(false);
      expect(d.tags).toEqual(['knowton']);
      expect(d.time).toEqual({ from: 'now-6h', to: 'now' });
      expect(d.refresh).toBe('30s');
      const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
      expect(vars.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
      expect(vars.service).toMatchObject({ type: 'query', query: 'label_values(up{job=~"knowton-.*"}, service)' });
    });

    it('has a title, description, unit and the datasource variable on every panel', () => {
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of panelsOf(d)) {
        expect({ title: p.title, description: !!p.description, unit: !!p.fieldConfig?.defaults.unit }).toEqual({ title: p.title, description: true, unit: true });
        expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(p.targets?.length).toBeGreaterThan(0);
        for (const t of p.targets!) expect(t.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      }
    });

    it('shows the timeseries legend', () => {
      for (const p of panelsOf(d).filter((x) => x.type === 'timeseries')) {
        expect((p.options as { legend: { showLegend: boolean } }).legend.showLegend).toBe(true);
      }
    });

    it('has only queries that parse and use catalog metrics', () => {
      for (const p of panelsOf(d)) {
        for (const t of p.targets!) {
          expect(() => checkQuery(substitute(t.expr), { context: `${d.uid} panel "${p.title}" ${t.refId}`, catalog })).not.toThrow();
        }
      }
    });

    it('computes rates and increases over $__rate_interval only', () => {
      for (const p of panelsOf(d)) {
        for (const t of p.targets!) {
          // every range selector is [$__rate_interval]
          const ranges = t.expr.match(/\[[^\]]*\]/g) ?? [];
          expect({ panel: p.title, ranges: ranges.filter((r) => r !== '[$__rate_interval]') }).toEqual({ panel: p.title, ranges: [] });
        }
      }
    });
  });

  it('draws the HighErrorRate threshold on the error rate panel', () => {
    const highErrorRate = serviceHealth.alerts.find((a) => a.name === 'HighErrorRate')!;
    const panel = panelsOf(all['service-health-dashboard.json']).find((p) => p.title === 'Error rate')!;
    expect(panel.targets![0].expr).toBe(`${errorRatio.query.expr}{service=~"$service"}`);
    const steps = panel.fieldConfig!.defaults.thresholds!.steps;
    expect(steps.map((s) => s.value)).toEqual([null, highErrorRate.thresholdMark()!.value]);
    expect(highErrorRate.thresholdMark()!.value).toBe(0.05);
    expect(panel.fieldConfig!.defaults.unit).toBe('percentunit');
    expect(panel.fieldConfig!.defaults.custom).toMatchObject({ thresholdsStyle: { mode: 'dashed' } });
  });

  it('colours below a "too low" alert as bad and draws no line for an "== 0" alert', () => {
    const activeUsers = panelsOf(all['business-metrics-dashboard.json']).find((p) => p.title === 'Active users (24h)')!;
    expect(activeUsers.fieldConfig!.defaults.thresholds!.steps).toEqual([{ value: null, color: 'orange' }, { value: 10, color: 'green' }]);
    const pgUp = panelsOf(all['knowton-technical-dashboard.json']).find((p) => p.title === 'PostgreSQL up')!;
    expect(pgUp.fieldConfig!.defaults.thresholds!.steps).toEqual([{ value: null, color: 'green' }]);
  });

  it('includes the PromQL examples of the spec', () => {
    const exprs = entries.flatMap(([, d]) => panelsOf(d).flatMap((p) => p.targets!.map((t) => t.expr)));
    expect(exprs).toContain('sum by (service) (rate(http_request_duration_seconds_sum[$__rate_interval])) / sum by (service) (rate(http_request_duration_seconds_count[$__rate_interval]))');
    // the spec's examples, with one copy of the gauges every backend replica exports (test/replicas.test.ts)
    expect(exprs).toContain('topk(5, max by (category) (knowton_nfts_by_category))');
    expect(exprs.some((e) => /^sum\(max by \(pair, timeframe\) \(knowton_trading_volume_usd\{.*timeframe="24h".*\}\)\)$/.test(e))).toBe(true);
    expect(exprs).toContain(`${errorRatio.query.expr}{service=~"$service"}`);
  });

  describe('panelExpr', () => {
    it('puts $__rate_interval in place of every range window', () => {
      expect(panelExpr(errorRatio.source)).not.toMatch(/\[5m\]/);
      expect(panelExpr(errorRatio.source).match(/\[\$__rate_interval\]/g)).toHaveLength(2);
    });

    test('a recorded query whose level keeps the service label follows the service variable', () => {
      expect(panelExpr(errorRatio.query)).toBe('service:http_requests_errors:ratio_rate5m{service=~"$service"}');
      expect(panelExpr(cpuOfLimit.query)).toBe(cpuOfLimit.query.expr);
    });
  });

  describe('the lint catches', () => {
    it('a query with a fixed window', () => {
      const ranges = 'sum(rate(http_requests_total[5m]))'.match(/\[[^\]]*\]/g)!;
      expect(ranges.filter((r) => r !== '[$__rate_interval]')).toEqual(['[5m]']);
    });
    it('an unknown metric or a counter without rate', () => {
      expect(() => checkQuery(substitute('sum(knowton_no_such_metric)'), { context: 'test', catalog })).toThrow(/knowton_no_such_metric/);
      expect(() => checkQuery(substitute('http_requests_total{service="$service"}'), { context: 'test', catalog })).toThrow();
    });
    it('a panel that breaks the schema', () => {
      const p = panelsOf(all['service-health-dashboard.json'])[0];
      expect(valid('dashboard#/definitions/Panel', { ...p, gridPos: { h: 'tall' } })).not.toEqual([]);
    });
  });
});

/**
 * Dashboards: panels built from the typed queries of lib/promql with the Grafana foundation SDK.
 * The files in dashboards/ declare panels with `timeseries` and `stat` (plain values); `dashboard`
 * turns them into Grafana JSON, taking each panel's unit and description from its query and drawing
 * the threshold of any alert that watches the same query.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as grafana from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stats from '@grafana/grafana-foundation-sdk/stat';
import * as ts from '@grafana/grafana-foundation-sdk/timeseries';
import { AlertRule, RuleGroup } from '../alerting';
import { Metric } from '../catalog/metric';
import { MatchValue, Query } from '../promql';
import { Dimension, Duration } from '../units';

/** The dashboards' datasource: the `datasource` variable, so that a dashboard works with any Prometheus. */
export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/**
 * Matcher for the `service` variable: `where: { service: SELECTED_SERVICE }` renders
 * `service=~"$service"`, which also matches every service when "All" (`.*`) is selected.
 */
export const SELECTED_SERVICE: MatchValue = new RegExp('$service');

/**
 * A panel's PromQL: the query's expression with every range window (`[5m]`) replaced by
 * `[$__rate_interval]`, so that rates follow the dashboard's time range and step. The typed builders
 * take a Duration window (what alerts need); dashboards only change it here, as text. A recorded
 * query (`errorRatio.query`) has no window; when its level (`service:...`, by the `level:metric:operations`
 * naming convention) says its series keep the `service` label, it follows the service variable.
 */
export function panelExpr(query: Query<Dimension>): string {
  const recorded = /^([a-z_]+):[a-zA-Z0-9_:]+$/.exec(query.expr);
  if (recorded && recorded[1].split('_').includes('service')) return `${query.expr}{service=~"$service"}`;
  return query.expr.replace(WINDOW, '[$__rate_interval]');
}

const WINDOW = /\[(?:\d+(?:ms|[smhdwy]))+\]/g;

/** A query's description as the panel shows it: its window became the rate interval. */
function describe(query: Query<Dimension>): string {
  // A recorded query keeps the window it was recorded over.
  return !query.expr.match(WINDOW) ? query.description : query.description.replace(/ over \d+ (?:seconds?|minutes?|hours?|days?)/g, ' over the rate interval');
}

/** One line of a panel: a query and how its series are named in the legend (`{{service}}`). */
export interface Target {
  readonly query: Query<Dimension>;
  /** @default '__auto' (Grafana names series by their labels) */
  readonly legend?: string;
}

export interface PanelSpec {
  readonly kind: 'timeseries' | 'stat';
  readonly title: string;
  /** Every target is in the unit of the first. */
  readonly targets: readonly Target[];
  /** @default the first query's description */
  readonly description?: string;
  /** Width in grid columns (of 24). @default 12 for a time series, 6 for a stat */
  readonly width?: number;
  /**
   * Grafana unit, only where the query's unit cannot say it: rate() of a USD counter is typed
   * "per second", which Grafana would show as ops/s. @default the first query's unit
   */
  readonly unit?: string;
  /** See PanelOptions.marks. */
  readonly marks?: readonly Mark[];
}

export interface PanelOptions {
  readonly description?: string;
  readonly width?: number;
  readonly unit?: string;
  /** Lines to draw, in the first query's unit (the SLO tiers' burn rates). @default the threshold of the alert on the first query, if any */
  readonly marks?: readonly Mark[];
}

/** A horizontal line on a panel: bad above it, red for critical, orange otherwise. */
export interface Mark {
  readonly value: number;
  readonly severity: 'critical' | 'warning' | 'info';
}

type Targets = Query<Dimension> | Target | ReadonlyArray<Query<Dimension> | Target>;
const targetsOf = (t: Targets): Target[] => (Array.isArray(t) ? t : [t]).map((x: Query<Dimension> | Target) => (x instanceof Query ? { query: x } : x));

/** A time series panel. */
export function timeseries(title: string, targets: Targets, options: PanelOptions = {}): PanelSpec {
  return { kind: 'timeseries', title, targets: targetsOf(targets), ...options };
}

/** A single-value panel (the last value of each series). */
export function stat(title: string, targets: Targets, options: PanelOptions = {}): PanelSpec {
  return { kind: 'stat', title, targets: targetsOf(targets), ...options };
}

/** A row of panels under a heading. */
export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}
export const row = (title: string, panels: readonly PanelSpec[]): RowSpec => ({ title, panels });

/** `topk(n, query)`: the n largest series of a query, same unit. */
export function topk<D extends Dimension>(n: number, query: Query<D>): Query<D> {
  return new Query(`topk(${n}, ${query.expr})`, query.unit, `the ${n} largest of ${query.description}`);
}

/**
 * The mean of a histogram's observations over a window, `rate(x_sum) / rate(x_count)`, in the
 * histogram's unit (the spec's "average response time by service").
 */
export function histogramAverage<L extends string, D extends Dimension>(
  metric: Metric<L, D, 'histogram'>,
  options: { readonly window: Duration; readonly by?: readonly NoInfer<L>[] },
): Query<D> {
  const w = options.window.toPromDuration();
  const by = options.by?.length ? ` by (${options.by.join(', ')})` : '';
  const side = (suffix: string): string => `sum${by} (rate(${metric.name}_${suffix}[${w}]))`;
  return new Query(`${side('sum')} / ${side('count')}`, metric.unit, `the mean of ${metric.name} over ${options.window.toHuman()}${by ? ` by ${options.by!.join(', ')}` : ''}`);
}

export interface DashboardSpec {
  /** Stable: links and bookmarks use it. */
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly rows: readonly RowSpec[];
  /** Alerts whose threshold a panel showing the alert's query draws. @default none */
  readonly alerts?: readonly AlertRule[];
}

/** Every alert of some rule groups, for DashboardSpec.alerts. */
export const alertsOf = (groups: readonly RuleGroup[]): AlertRule[] => groups.flatMap((g) => [...g.alerts]);

/**
 * The alert watching exactly this query with a threshold to draw, if any. `==` alerts (`up == 0`)
 * are left out: a line at one value is no boundary between good and bad.
 */
function alertOn(query: Query<Dimension>, alerts: readonly AlertRule[]): AlertRule | undefined {
  return alerts.find((a) => a.condition && a.condition.op !== '==' && a.condition.query.expr === query.expr && a.condition.query.unit === query.unit);
}

function thresholds(alert: AlertRule | undefined): grafana.ThresholdsConfigBuilder {
  const mark = alert?.thresholdMark();
  if (!mark) return new grafana.ThresholdsConfigBuilder().mode(grafana.ThresholdsMode.Absolute).steps([{ value: null, color: 'green' }]);
  const bad = mark.severity === 'critical' ? 'red' : 'orange';
  // an alert on "too low" (fewer than 10 active users) is bad below the line, others above it
  const low = alert!.condition!.op === '<' || alert!.condition!.op === '<=';
  const steps: grafana.Threshold[] = [{ value: null, color: low ? bad : 'green' }, { value: mark.value, color: low ? 'green' : bad }];
  return new grafana.ThresholdsConfigBuilder().mode(grafana.ThresholdsMode.Absolute).steps(steps);
}

function markThresholds(marks: readonly Mark[]): grafana.ThresholdsConfigBuilder {
  const steps: grafana.Threshold[] = [{ value: null, color: 'green' }, ...[...marks].sort((a, b) => a.value - b.value).map((m) => ({ value: m.value, color: m.severity === 'critical' ? 'red' : 'orange' }))];
  return new grafana.ThresholdsConfigBuilder().mode(grafana.ThresholdsMode.Absolute).steps(steps);
}

function buildPanel(p: PanelSpec, id: number, alerts: readonly AlertRule[]): ts.PanelBuilder | stats.PanelBuilder {
  if (!p.targets.length) throw new Error(`panel "${p.title}" has no query`);
  const first = p.targets[0].query;
  const alert = p.marks ? undefined : alertOn(first, alerts);
  const panel = p.kind === 'timeseries' ? new ts.PanelBuilder() : new stats.PanelBuilder();
  panel
    .id(id)
    .title(p.title)
    .description(p.description ?? describe(first))
    .datasource(DATASOURCE)
    .unit(p.unit ?? first.unit.grafanaUnit)
    .thresholds(p.marks ? markThresholds(p.marks) : thresholds(alert))
    .span(p.width ?? (p.kind === 'timeseries' ? 12 : 6))
    .height(p.kind === 'timeseries' ? 8 : 4);
  p.targets.forEach((t, i) => {
    const target = new prometheus.DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(String.fromCharCode(65 + i))
      .expr(panelExpr(t.query))
      .legendFormat(t.legend ?? '__auto');
    panel.withTarget(p.kind === 'stat' ? target.instant() : target);
  });
  if (panel instanceof ts.PanelBuilder) {
    // the SDK hides the timeseries legend by default
    panel.legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom));
    if (alert?.thresholdMark() || p.marks?.length) panel.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  } else {
    panel.reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false)).graphMode(common.BigValueGraphMode.Area);
  }
  return panel;
}

/** A read-only KnowTon dashboard as Grafana JSON: datasource and service variables, last 6 hours, 30 s refresh. */
export function dashboard(spec: DashboardSpec): object {
  const d = new grafana.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(['knowton'])
    .readonly()
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .withVariable(new grafana.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(
      new grafana.QueryVariableBuilder('service')
        .label('Service')
        .datasource(DATASOURCE)
        .query('label_values(up{job=~"knowton-.*"}, service)')
        .refresh(grafana.VariableRefresh.OnTimeRangeChanged)
        .includeAll(true)
        .allValue('.*'),
    );
  let id = 0;
  for (const r of spec.rows) {
    d.withRow(new grafana.RowBuilder(r.title).id(++id));
    for (const p of r.panels) d.withPanel(buildPanel(p, ++id, spec.alerts ?? []));
  }
  // plain JSON, as Grafana reads it: drops the SDK's marker functions (`_implementsDataqueryVariant`)
  return JSON.parse(JSON.stringify(d.build())) as object;
}

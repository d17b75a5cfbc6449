import { RECORDING_RULES } from '../alerting/validate';
import { DEFAULT_RUNBOOK_BASE_URL, RenderOptions } from '../alerting/render';
import { CATALOG } from '../catalog';
import { Catalog, Metric } from '../catalog/metric';
import { eq, InhibitRule } from '../alertmanager/model';
import { Duration, Units } from '../units';
import { ALERT_WINDOWS, BURN_TIERS, num, Slo, SloAlert } from './slo';

/** The rule group of every SLO, and its file beside the rules/ groups. */
export const SLO_GROUP = 'slo';
export const SLO_RULE_FILE = `${SLO_GROUP}.rules.yml`;
/** Label `category` of the SLO alerts. */
export const SLO_CATEGORY = 'slo';

/** Recorded series, each with the labels `service` and `slo`. */
export const SLO_SERIES = {
  /** The SLI's error ratio over a window: `slo:sli_error:ratio_rate1h`. */
  errorRatio: (w: Duration): string => `slo:sli_error:ratio_rate${w.toPromDuration()}`,
  /** Events per second over a window, for the minimum traffic: `slo:sli_events:rate1h`. */
  eventRate: (w: Duration): string => `slo:sli_events:rate${w.toPromDuration()}`,
  /** Bad events per second over a window: `slo:sli_bad_events:rate30m`, recorded for the base window only. */
  badEventRate: (w: Duration): string => `slo:sli_bad_events:rate${w.toPromDuration()}`,
  /** The objective as a ratio (0.999), for dashboards. */
  objective: 'slo:objective:ratio',
  /** Error budget left over the SLO window: 1 is untouched, 0 spent, negative overspent. */
  budgetRemaining: 'slo:error_budget:remaining_ratio',
} as const;

const LONG_WINDOWS: readonly Duration[] = BURN_TIERS.map((t) => t.long);

/**
 * Windows longer than this are not computed from the raw series but from the rates recorded over
 * DERIVED_BASE: a rate over 30 days of raw series reads every sample of every series of the SLI at each
 * evaluation (172,800 per series at a 15s scrape, times every method, route and status series), while the
 * recorded rates are one series per SLO. The ratio of two sums over the same recorded samples is the share
 * of bad events over the window, its edges smoothed by DERIVED_BASE. What it cannot see: an evaluation gap
 * longer than DERIVED_BASE, and anything before the rules were first loaded (README, SLOs).
 */
const RAW_WINDOW_MAX = Duration.hours(6);
const DERIVED_BASE = Duration.minutes(30);
const derived = (w: Duration): boolean => w.compare(RAW_WINDOW_MAX) > 0;

function selector(name: string, slo: Slo): string {
  return `${name}{slo="${slo.id}"}`;
}

/** The alert's expression: both windows burn faster than the tier's rate, with enough traffic on the long one. Its value is the long window's burn rate. */
export function alertExpr(slo: Slo, a: SloAlert): string {
  const burn = (w: Duration): string => `${selector(SLO_SERIES.errorRatio(w), slo)} / ${num(slo.budget)} > ${num(a.burnRate)}`;
  return [
    burn(a.tier.long),
    burn(a.tier.short),
    `${selector(SLO_SERIES.eventRate(a.tier.long), slo)} > ${num(slo.minEventRate.in(Units.PER_SECOND))}`,
  ].join('\nand ');
}

export function sloRunbookUrl(a: SloAlert, base = DEFAULT_RUNBOOK_BASE_URL): string {
  return `${base.replace(/\/+$/, '')}/${a.name}.md`;
}

/** Labels of an SLO alert: routing (severity), and which SLO and tier. */
export function sloAlertLabels(slo: Slo, a: SloAlert): Record<string, string> {
  return { severity: a.tier.severity, category: SLO_CATEGORY, component: 'application', ...slo.labels, burn_window: a.tier.long.toPromDuration() };
}

export function sloAlertAnnotations(slo: Slo, a: SloAlert, options: RenderOptions = {}): Record<string, string> {
  const spent = num(a.tier.budgetSpent * 100);
  return {
    summary: `${slo.service} is burning its ${slo.name} error budget ${num(a.burnRate)}x too fast (${spent}% of ${slo.window.toHuman()} in ${a.tier.long.toHuman()})`,
    description:
      `Over the last ${a.tier.long.toHuman()} the error budget of ${slo.id} (objective ${slo.objective} over ${slo.window.toHuman()}) burned ` +
      `{{ $value | printf "%.1f" }} times as fast as it may, and still does over ${a.tier.short.toHuman()}: at that pace ${spent}% of the budget goes in ${a.tier.long.toHuman()}.`,
    runbook_url: sloRunbookUrl(a, options.runbookBaseUrl),
    ...(options.dashboardUrls?.has(a.name) ? { dashboard_url: options.dashboardUrls.get(a.name)! } : {}),
  };
}

/** The rules of one SLO: error ratios per window, event rates, objective, budget remaining, then its alerts. */
export function sloRules(slo: Slo, options: RenderOptions = {}): object[] {
  // A copy per rule: a shared object would be written as a YAML anchor and aliases.
  const labels = (): Record<string, string> => ({ ...slo.labels });
  const windows = [...ALERT_WINDOWS, slo.window];
  const base = (name: string): string => selector(name, slo);
  const overWindow = (fn: string, name: string, w: Duration): string => `${fn}(${base(name)}[${w.toPromDuration()}])`;
  const errorRatio = (w: Duration): string => (derived(w)
    ? `${overWindow('sum_over_time', SLO_SERIES.badEventRate(DERIVED_BASE), w)} / ${overWindow('sum_over_time', SLO_SERIES.eventRate(DERIVED_BASE), w)}`
    : slo.sli.errorRatio(w));
  const eventRate = (w: Duration): string => (derived(w) ? overWindow('avg_over_time', SLO_SERIES.eventRate(DERIVED_BASE), w) : slo.sli.eventRate(w));
  return [
    // The base rates first: the rules of a group are evaluated in order, the derived ones read them.
    { record: SLO_SERIES.eventRate(DERIVED_BASE), expr: slo.sli.eventRate(DERIVED_BASE), labels: labels() },
    { record: SLO_SERIES.badEventRate(DERIVED_BASE), expr: slo.sli.badEventRate(DERIVED_BASE), labels: labels() },
    ...windows.map((w) => ({ record: SLO_SERIES.errorRatio(w), expr: errorRatio(w), labels: labels() })),
    ...LONG_WINDOWS.map((w) => ({ record: SLO_SERIES.eventRate(w), expr: eventRate(w), labels: labels() })),
    { record: SLO_SERIES.objective, expr: `vector(${num(slo.target)})`, labels: labels() },
    { record: SLO_SERIES.budgetRemaining, expr: `1 - ${selector(SLO_SERIES.errorRatio(slo.window), slo)} / ${num(slo.budget)}`, labels: labels() },
    ...slo.alerts.map((a) => ({ alert: a.name, expr: alertExpr(slo, a), labels: { ...sloAlertLabels(slo, a), ...options.alertLabels }, annotations: sloAlertAnnotations(slo, a, options) })),
  ];
}

/** The SLO rule file: one group, recording rules of an SLO before its alerts (evaluated in order). */
export function renderSloRuleFile(slos: readonly Slo[], options: RenderOptions = {}): { groups: object[] } {
  return { groups: [{ name: SLO_GROUP, rules: slos.flatMap((s) => sloRules(s, options)) }] };
}

/**
 * A faster tier inhibits the slower ones of the same SLO: one page, not four, while a budget burns.
 * Appended to the Alertmanager configuration's inhibit rules.
 */
export const SLO_INHIBIT_RULES: readonly InhibitRule[] = BURN_TIERS.slice(0, -1).map((fast, i) => ({
  source: [eq('category', SLO_CATEGORY), eq('burn_window', fast.long.toPromDuration())],
  target: [eq('category', SLO_CATEGORY), eq('burn_window', BURN_TIERS[i + 1].long.toPromDuration())],
  equal: ['slo'],
}));

/** The catalog plus the series the SLO rules record, for dashboard checks. */
export function sloCatalog(slos: readonly Slo[], base: Catalog = CATALOG): Catalog {
  const windows = [...new Map([...ALERT_WINDOWS, ...slos.map((s) => s.window)].map((w) => [w.toMillis(), w])).values()];
  const gauge = (name: string, help: string) => new Metric(RECORDING_RULES, { name, kind: 'gauge', unit: Units.RATIO, labels: ['service', 'slo'], help });
  return base.with([
    ...windows.map((w) => gauge(SLO_SERIES.errorRatio(w), `SLI error ratio over ${w.toHuman()}`)),
    ...[DERIVED_BASE, ...LONG_WINDOWS].map((w) => new Metric(RECORDING_RULES, { name: SLO_SERIES.eventRate(w), kind: 'gauge', unit: Units.PER_SECOND, labels: ['service', 'slo'], help: `SLI events per second over ${w.toHuman()}` })),
    new Metric(RECORDING_RULES, { name: SLO_SERIES.badEventRate(DERIVED_BASE), kind: 'gauge', unit: Units.PER_SECOND, labels: ['service', 'slo'], help: `SLI bad events per second over ${DERIVED_BASE.toHuman()}` }),
    gauge(SLO_SERIES.objective, 'SLO objective'),
    gauge(SLO_SERIES.budgetRemaining, 'error budget remaining'),
  ]);
}

import { AlertRule, RuleGroup } from './rule';

export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/knowton/knowton-monitoring/blob/main/docs/runbooks';

export interface RenderOptions {
  /** Where docs/runbooks is published; runbook_url is `<base>/<AlertName>.md`. @default DEFAULT_RUNBOOK_BASE_URL */
  readonly runbookBaseUrl?: string;
  /** `dashboard_url` annotation by alert name (see dashboard-links.ts). @default none */
  readonly dashboardUrls?: ReadonlyMap<string, string>;
  /**
   * Labels added to every alert, over those of its query: prometheus-operator's AlertmanagerConfig routes
   * only alerts whose `namespace` is its own. @default none
   */
  readonly alertLabels?: Readonly<Record<string, string>>;
}

export function runbookUrl(alert: AlertRule, base = DEFAULT_RUNBOOK_BASE_URL): string {
  return `${base.replace(/\/+$/, '')}/${alert.name}.md`;
}

/** The annotations of an alert as Prometheus receives them. */
export function annotationsOf(alert: AlertRule, options: RenderOptions = {}): Record<string, string> {
  return {
    summary: alert.template(alert.summary),
    description: alert.template(alert.description),
    runbook_url: runbookUrl(alert, options.runbookBaseUrl),
    ...(options.dashboardUrls?.has(alert.name) ? { dashboard_url: options.dashboardUrls.get(alert.name)! } : {}),
  };
}

/**
 * A Prometheus rule file for the group, as a plain object to serialize with the `yaml` package.
 * Recording rules come first: Prometheus evaluates a group's rules in order, so alerts read
 * values recorded in the same evaluation.
 */
export function renderRuleFile(group: RuleGroup, options: RenderOptions = {}): { groups: object[] } {
  const rules: object[] = [
    ...group.recordings.map((r) => ({ record: r.record, expr: r.source.expr })),
    ...group.alerts.map((a) => ({
      alert: a.name,
      expr: a.expr,
      ...(a.for.isZero() ? {} : { for: a.for.toPromDuration() }),
      labels: { ...group.labelsOf(a), ...options.alertLabels },
      annotations: annotationsOf(a, options),
    })),
  ];
  return { groups: [{ name: group.name, ...(group.interval ? { interval: group.interval.toPromDuration() } : {}), rules }] };
}

/**
 * From an alert to its evidence: the dashboard panel that shows the alert's query (the one drawing its
 * threshold line when there is one), found in the synthesized dashboards themselves, so that a link can
 * only name a uid and a panel id that exist. Alerts and panels are built from the same typed queries; a
 * panel differs from its alert's query only by the dashboard's `$service` filter and `$__rate_interval`.
 */
import { ANNOTATION_RANGE } from '../alertmanager/templates';
import { panelExpr } from '../dashboards';
import { AlertRule, RuleGroup } from './rule';

/** Where an alert's link points: a dashboard and, when one shows the alert's query, its panel. */
export interface PanelLink {
  readonly uid: string;
  /** Undefined: no panel shows the query, the link opens the dashboard of the alert's group. */
  readonly panelId?: number;
  /** Whether the alert's result keeps the `service` label, so the link can select the alert's service. */
  readonly byService: boolean;
}


// The dashboard's service filter, wherever it sits in a selector.
const SERVICE_FILTER = [/\{service=~"\$service"\}/g, /,\s*service=~"\$service"/g, /service=~"\$service",\s*/g];

function normalize(expr: string): string {
  return SERVICE_FILTER.reduce((e, re) => e.replace(re, ''), expr).replace(/\s+/g, ' ').trim();
}

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly targets?: ReadonlyArray<{ readonly expr?: string }>;
  readonly fieldConfig?: { readonly defaults?: { readonly thresholds?: { readonly steps?: ReadonlyArray<{ readonly value: number | null }> } } };
}

/** The panel showing `alert`'s query, best first: it draws the alert's threshold, the query is its first, it is one of its queries. */
function findPanel(alert: AlertRule, models: readonly any[]): { uid: string; panelId: number } | undefined {
  const c = alert.condition;
  if (!c) return undefined;
  const want = normalize(panelExpr(c.query));
  const mark = alert.thresholdMark()?.value;
  let best: { uid: string; panelId: number; score: number } | undefined;
  for (const d of models) {
    for (const p of (d.panels ?? []) as Panel[]) {
      const exprs = (p.targets ?? []).map((t) => normalize(t.expr ?? ''));
      if (!exprs.includes(want)) continue;
      const first = exprs[0] === want;
      const draws = first && (p.fieldConfig?.defaults?.thresholds?.steps ?? []).some((s) => s.value === mark);
      const score = draws ? 3 : first ? 2 : 1;
      if (!best || score > best.score) best = { uid: d.uid, panelId: p.id, score };
    }
  }
  return best && { uid: best.uid, panelId: best.panelId };
}

/**
 * The link of every alert that has one, by alert name: its panel, or else the dashboard most of its group's
 * other alerts link to. The Watchdog and alerts of a group no panel shows get none.
 */
export function alertPanelLinks(groups: readonly RuleGroup[], dashboardModels: Readonly<Record<string, object>>): Map<string, PanelLink> {
  const models = Object.values(dashboardModels);
  const links = new Map<string, PanelLink>();
  for (const g of groups) {
    const found = new Map(g.alerts.map((a) => [a.name, findPanel(a, models)]));
    const votes = new Map<string, number>();
    for (const f of found.values()) if (f) votes.set(f.uid, (votes.get(f.uid) ?? 0) + 1);
    const groupUid = [...votes.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
    for (const a of g.alerts) {
      if (a.alwaysFires) continue;
      const f = found.get(a.name);
      const uid = f?.uid ?? groupUid;
      if (uid === undefined) continue;
      // The query's test fixture knows the labels of its result (the same model the promtool tests use).
      const byService = 'service' in (a.condition?.query.fixture?.(1).labels ?? {});
      links.set(a.name, { uid, panelId: f?.panelId, byService });
    }
  }
  return links;
}

/**
 * The `dashboard_url` annotation: Grafana's `/d/<uid>` with `viewPanel`, the alert's service as the
 * dashboard variable (a Prometheus template) and ANNOTATION_RANGE.
 */
export function dashboardUrl(grafanaUrl: string, link: PanelLink): string {
  const params = [
    'orgId=1',
    ...(link.panelId !== undefined ? [`viewPanel=${link.panelId}`] : []),
    ...(link.byService ? ['var-service={{ $labels.service }}'] : []),
  ];
  // The last hour, which Alertmanager's templates replace with a range around the alert's start.
  return `${grafanaUrl.replace(/\/+$/, '')}/d/${link.uid}?${params.join('&')}${ANNOTATION_RANGE}`;
}

/**
 * Every alert's `dashboard_url` (added by lib/alerting/dashboard-links.ts) resolves, in each environment's
 * freshly synthesized dist/, to a dashboard uid Grafana provisions and a panel id of that dashboard, on
 * that environment's Grafana; the panel shows the alert's own query; and only alerts of groups no panel
 * shows go without.
 */
import { parse } from 'yaml';
import { EVERY_RULE_CONTEXT, ruleGroups } from '../rules';
import { ENVIRONMENTS, publicEndpoints, standaloneEnvironmentNames } from '../lib/config';
import { dashboardModels } from '../lib/demo/dist';
import { loadObjects, prometheusFiles, synthTo } from './helpers';

interface Rule { alert?: string; expr: string; annotations?: Record<string, string> }

const envs = Object.entries(ENVIRONMENTS).filter(([name]) => standaloneEnvironmentNames().includes(name)).map(([name, config]) => {
  const dist = synthTo(config);
  const { rules } = prometheusFiles(loadObjects(dist));
  const alerts: Rule[] = Object.values(rules).flatMap((text) => parse(text).groups.flatMap((g: any) => g.rules)).filter((r: Rule) => r.alert);
  return { name, grafana: publicEndpoints(config).urls[1], alerts, dashboards: Object.values(dashboardModels(dist)) };
});

// The dashboard's service filter and window, which alone tell a panel's query from its alert's.
const stripDashboard = (e: string) => e.replace(/\{service=~"\$service"\}|,\s*service=~"\$service"|service=~"\$service",\s*/g, '').replace(/\[[^\]]*\]/g, '[]');
// The rule's expression is the query, scaled to the threshold's unit (`* 100` for percent), compared with the threshold.
const stripAlert = (e: string) => e.replace(/\s*(==|!=|>=|<=|>|<)\s*[-+0-9.e]+$/, '').replace(/\s*[*/]\s*[0-9.e+]+$/, '').replace(/\[[^\]]*\]/g, '[]');

describe.each(envs)('$name', ({ grafana, alerts, dashboards }) => {
  const linked = alerts.filter((a) => a.annotations?.dashboard_url);

  test.each(linked.map((a) => [a.alert!, a] as const))('%s links to an existing dashboard and panel that shows its query', (_name, a) => {
    const url = new URL(a.annotations!.dashboard_url.replace('{{ $labels.service }}', 'backend'));
    expect(url.origin).toBe(new URL(grafana).origin);
    const uid = /^\/d\/([^/]+)$/.exec(url.pathname)?.[1];
    const d = dashboards.find((x: any) => x.uid === uid);
    expect([uid, d !== undefined]).toEqual([uid, true]);
    expect(url.searchParams.get('from')).toBe('now-1h');
    expect(url.searchParams.get('to')).toBe('now');
    const panelId = url.searchParams.get('viewPanel');
    if (panelId === null) return;
    const panel = d.panels.find((p: any) => p.id === Number(panelId) && p.type !== 'row');
    expect([panelId, panel !== undefined]).toEqual([panelId, true]);
    const targets = panel.targets.map((t: any) => stripDashboard(t.expr));
    if ((a as { labels?: Record<string, string> }).labels?.category === 'slo') {
      // A burn-rate alert: both of its windows' burn rates are lines of the panel (`ratio / budget > factor`).
      const terms = a.expr.split(/\s+and\s+/).filter((t) => t.includes('sli_error')).map((t) => t.replace(/\s*>\s*[0-9.e+]+$/, '').trim());
      expect(terms).toHaveLength(2);
      for (const t of terms) expect(targets).toContain(stripDashboard(t));
    } else {
      expect(targets).toContain(stripAlert(a.expr));
    }
    // The service variable only for an alert whose series carry a service.
    if (url.searchParams.has('var-service')) expect(panel.targets.some((t: any) => t.expr.includes('$service'))).toBe(true);
  });

  test('the panels a few alerts must open', () => {
    const panelOf = (name: string) => {
      const url = new URL(alerts.find((a) => a.alert === name)!.annotations!.dashboard_url);
      const d = dashboards.find((x: any) => `/d/${x.uid}` === url.pathname);
      return `${d.uid}: ${d.panels.find((p: any) => p.id === Number(url.searchParams.get('viewPanel')))?.title}`;
    };
    expect(panelOf('HighErrorRate')).toBe('knowton-service-health: Error rate');
    expect(panelOf('ServiceDown')).toBe('knowton-service-health: Service uptime');
    expect(panelOf('HighDatabaseConnections')).toBe('knowton-service-health: Database connections');
    expect(alerts.find((a) => a.alert === 'HighErrorRate')!.annotations!.dashboard_url).toContain('&var-service={{ $labels.service }}&');
  });

  test('only alerts of a group without any panel, and the Watchdog, go without a link', () => {
    // every optional alert too (prod's Alertmanager cluster)
    const groupOf = new Map(ruleGroups(EVERY_RULE_CONTEXT).flatMap((g) => g.alerts.map((a) => [a.name, g] as const)));
    const has = new Set(linked.map((a) => a.alert!));
    for (const a of alerts.filter((x) => !has.has(x.alert!))) {
      const g = groupOf.get(a.alert!)!;
      expect([a.alert, g.alerts.filter((x) => has.has(x.name)).map((x) => x.name)]).toEqual([a.alert, []]);
    }
    expect(has.has('Watchdog')).toBe(false);
    expect(linked.length).toBeGreaterThanOrEqual(12);
  });
});

/**
 * The PromQL a synthesized dashboard sends: every panel target and every query variable, and the
 * substitution Grafana performs before Prometheus sees it. Used to check dashboards against the
 * catalog, to run them against a real Prometheus, and to time them.
 */
import { Duration } from '../units';

export interface DashboardQuery {
  /** Dashboard title or file, and the panel title or variable name. */
  readonly where: string;
  /** As written in the dashboard, with Grafana's macros and variables. */
  readonly expr: string;
  readonly kind: 'panel' | 'variable';
}

/** Every Prometheus query of a dashboard model; a `label_values(selector, label)` variable becomes `count by (label) (selector)`. */
export function dashboardQueries(model: any, name = String(model?.title ?? 'dashboard')): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const walk = (x: unknown, at: string): void => {
    if (Array.isArray(x)) x.forEach((y, i) => walk(y, `${at}[${i}]`));
    else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      for (const t of Array.isArray(o.targets) ? (o.targets as Array<{ expr?: string }>) : []) {
        if (t.expr) queries.push({ where: `${name}: panel '${String(o.title ?? at)}'`, expr: t.expr, kind: 'panel' });
      }
      for (const [k, v] of Object.entries(o)) if (k !== 'targets') walk(v, `${at}.${k}`);
    }
  };
  walk(model?.panels ?? [], 'panels');
  for (const v of model?.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (typeof q !== 'string' || v.type !== 'query') continue;
    // label_values() and query_result() are Grafana's, not PromQL.
    const lv = /^\s*label_values\((.+),\s*([a-zA-Z_]\w*)\s*\)\s*$/.exec(q);
    const inner = /^\s*query_result\((.+)\)\s*$/.exec(q);
    const expr = lv ? `count by (${lv[2]}) (${lv[1]})` : inner ? inner[1] : q;
    queries.push({ where: `${name}: variable ${v.name}`, expr, kind: 'variable' });
  }
  return queries;
}

export interface GrafanaSubstitution {
  /** What `$__rate_interval` (and `$__interval`, `$__range`) become. Grafana's floor is four scrape intervals. */
  readonly rateInterval: Duration;
  /** Values of the dashboard variables by name. @default each variable is `.*` (the "All" value) */
  readonly variables?: Readonly<Record<string, string>>;
}

/** A dashboard expression as Prometheus receives it from Grafana. */
export function substituteGrafana(expr: string, sub: GrafanaSubstitution): string {
  const interval = sub.rateInterval.toPromDuration();
  return expr
    .replace(/\$\{?__\w+\}?/g, interval)
    .replace(/\$\{?(\w+)\}?/g, (_, name: string) => sub.variables?.[name] ?? '.*');
}

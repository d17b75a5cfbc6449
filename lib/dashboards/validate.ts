/**
 * Synth-time checks of dashboard models, the same as the rules get: every panel and variable query
 * parses and uses only catalog metrics and labels (after Grafana's macros are substituted), uids and
 * file names are unique, and panel ids are unique within a dashboard.
 */
import { Catalog } from '../catalog/metric';
import { analyze } from '../promql/analyze';
import { Duration } from '../units';
import { check, ConfigError } from '../validate';
import { dashboardQueries, substituteGrafana } from './queries';

export interface DashboardCheckOptions {
  /** Metrics the queries may use: the catalog with the recorded series. */
  readonly catalog: Catalog;
  /** What `$__rate_interval` becomes: Grafana's floor is four scrape intervals. */
  readonly rateInterval: Duration;
}

interface PanelLike {
  readonly id?: unknown;
  readonly title?: unknown;
  readonly panels?: readonly PanelLike[];
}

/** Panels of a dashboard, those collapsed into rows included. */
function allPanels(panels: readonly PanelLike[] = []): PanelLike[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Throws a ConfigError naming the dashboard file and panel of the first problem found. */
export function checkDashboards(models: Readonly<Record<string, unknown>>, options: DashboardCheckOptions): void {
  const files = new Map<string, string>();
  const uids = new Map<string, string>();
  for (const [file, value] of Object.entries(models)) {
    const where = `dashboards/${file}`;
    check(/^[a-z0-9][a-z0-9-]*\.json$/.test(file), 'dashboards', 'file name', file, 'a lowercase file name like service-health-dashboard.json');
    // Grafana provisions from the file names; on a case-insensitive file system two would collide.
    const other = files.get(file.toLowerCase());
    check(other === undefined, 'dashboards', 'file name', file, `a name no other dashboard has (${other} has it)`);
    files.set(file.toLowerCase(), file);

    const model = value as { uid?: unknown; title?: unknown; panels?: PanelLike[] };
    check(typeof model?.uid === 'string' && /^[a-zA-Z0-9_-]{1,40}$/.test(model.uid), where, 'uid', model?.uid,
      'a Grafana uid: 1-40 letters, digits, - or _');
    const uid = model.uid as string;
    const sameUid = uids.get(uid);
    check(sameUid === undefined, where, 'uid', uid, `a uid no other dashboard has (dashboards/${sameUid} has it): Grafana would load only one of them`);
    uids.set(uid, file);

    const ids = new Map<number, string>();
    for (const p of allPanels(model.panels)) {
      const title = String(p.title ?? '');
      check(Number.isInteger(p.id), where, `panel "${title}" id`, p.id, 'an integer');
      const owner = ids.get(p.id as number);
      check(owner === undefined, where, `panel "${title}" id`, p.id, `an id no other panel of the dashboard has (panel "${owner}" has it)`);
      ids.set(p.id as number, title);
    }

    for (const q of dashboardQueries(model, file)) {
      const expr = substituteGrafana(q.expr, { rateInterval: options.rateInterval });
      const { errors } = analyze(expr, options.catalog);
      if (errors.length) {
        // q.where is `<file>: panel '<title>'` or `<file>: variable <name>`
        const field = q.where.slice(file.length + 2);
        throw new ConfigError(where, `${field} query`, q.expr, `a PromQL query over the metric catalog: ${errors.join('; ')}`);
      }
    }
  }
}

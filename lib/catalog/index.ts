/**
 * The metric catalog: every metric the rules and dashboards use, declared once with kind, unit,
 * labels and help. app.ts holds the KnowTon services' metrics, exporters.ts those of the exporters
 * and of Prometheus and Alertmanager themselves.
 */
import * as app from './app';
import * as exporters from './exporters';
import { Catalog, Metric } from './metric';

export * from './metric';
export { LABEL_EXAMPLES } from './labels';
export * from './app';
export * from './exporters';

function metricsOf(groups: object): Metric[] {
  return Object.values(groups).flatMap((g) => (g && typeof g === 'object' && !(g instanceof Metric) && !Array.isArray(g) ? Object.values(g) : [])).filter((m): m is Metric => m instanceof Metric);
}

/** Every metric declared by this package: the application's and the exporters'. */
export const CATALOG = new Catalog([...metricsOf(app), ...metricsOf(exporters)]);

import { Catalog } from '../catalog/metric';
import { CATALOG } from '../catalog';
import { analyze, Analysis } from './analyze';

export interface CheckOptions {
  /** Where the query is used, for the message: `alert HighErrorRate`, `panel "Error rate"`. */
  readonly context: string;
  /** Metrics the query may use. @default CATALOG (plus nothing recorded) */
  readonly catalog?: Catalog;
}

/** A query failed its checks; the message names where it is used and every problem. */
export class QueryError extends Error {
  constructor(
    readonly context: string,
    readonly expr: string,
    readonly problems: readonly string[],
  ) {
    super(`${context}: ${problems.join('; ')} in query: ${expr}`);
    this.name = 'QueryError';
  }
}

/**
 * Checks a PromQL expression: syntax (official lezer grammar), unknown metric or label, counter
 * without rate()/increase(), gauge in rate(), grouping by a missing label. Dashboard queries must
 * have their Grafana macros ($__rate_interval, $service) substituted first. Returns the analysis
 * (result labels, metrics, range windows) when the query is fine; throws a QueryError otherwise.
 */
export function checkQuery(expr: string, options: CheckOptions): Analysis {
  const analysis = analyze(expr, options.catalog ?? CATALOG);
  if (analysis.errors.length) throw new QueryError(options.context, expr, analysis.errors);
  return analysis;
}

/**
 * Application and monitoring agree: every metric and label that an alert, a recording rule or a
 * dashboard query names is produced by the instrumentation module (lib/instrumentation) or by one
 * of the named exporters; and the reverse report lists catalog metrics that nothing queries.
 * It reads the synthesized output, so it covers whatever rules and dashboards exist.
 */
import { parse } from 'yaml';
import { renderRuleFile } from '../lib/alerting';
import {
  ALERTMANAGER,
  ANY_TARGET,
  APP,
  CADVISOR,
  CATALOG,
  KUBE_STATE_METRICS,
  KUBELET,
  NODE_EXPORTER,
  POSTGRES_EXPORTER,
  PROMETHEUS,
  Source,
} from '../lib/catalog';
import { createInstruments } from '../lib/instrumentation';
import { analyze } from '../lib/promql';
import { dashboardQueries, substituteGrafana } from '../lib/dashboards/queries';
import { Duration } from '../lib/units';
import { EVERY_RULE_CONTEXT, ruleGroups } from '../rules';
import { renderSloRuleFile, SLO_RULE_FILE } from '../lib/slo';
import { slos } from '../slos';
import { K8sObject, loadObjects, prometheusFiles, synthTo } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { parser } = require('@prometheus-io/lezer-promql') as { parser: { parse(text: string): { topNode: Node } } };
interface Node {
  readonly type: { readonly name: string; readonly isError: boolean };
  readonly from: number;
  readonly to: number;
  readonly firstChild: Node | null;
  readonly nextSibling: Node | null;
}

interface Query {
  /** Where the query is, for messages: `rules/business.rules.yml: alert LowNFTMintingRate`. */
  readonly where: string;
  readonly expr: string;
}

/** Who produces a series and the labels it carries (scrape target labels included). */
interface Producer {
  readonly by: string;
  readonly labels: ReadonlySet<string> | 'any';
}

// ---------------------------------------------------------------------------------------------
// What the monitoring queries

function ruleQueries(files: Record<string, string>): { queries: Query[]; records: Array<{ record: string; expr: string; labels: string[] }> } {
  const queries: Query[] = [];
  const records: Array<{ record: string; expr: string; labels: string[] }> = [];
  for (const [file, text] of Object.entries(files)) {
    for (const group of parse(text)?.groups ?? []) {
      for (const rule of group.rules ?? []) {
        queries.push({ where: `${file}: ${rule.alert ? `alert ${rule.alert}` : `record ${rule.record}`}`, expr: String(rule.expr) });
        if (rule.record) records.push({ record: rule.record, expr: String(rule.expr), labels: Object.keys(rule.labels ?? {}) });
      }
    }
  }
  return { queries, records };
}

function dashboardQueriesOf(objects: K8sObject[]): Query[] {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-dashboards');
  // Grafana substitutes its macros and variables before Prometheus sees a query; so must we.
  const sub = { rateInterval: Duration.minutes(5) };
  return Object.entries((cm?.data ?? {}) as Record<string, string>).flatMap(([file, text]) =>
    dashboardQueries(JSON.parse(text), file).map((q) => ({ where: q.where, expr: substituteGrafana(q.expr, sub) })),
  );
}

// ---------------------------------------------------------------------------------------------
// What is produced

const EXPORTERS: ReadonlyArray<Source> = [KUBE_STATE_METRICS, NODE_EXPORTER, POSTGRES_EXPORTER, CADVISOR, KUBELET, PROMETHEUS, ALERTMANAGER];

/**
 * Series produced by the instrumentation module (read from a real registry it creates, so the
 * catalog is not trusted for the application side), by the named exporters (their catalog
 * entries), by Prometheus itself (up, ALERTS) and by the recording rules.
 */
function producers(records: Array<{ record: string; expr: string; labels: string[] }>): Map<string, Producer> {
  const out = new Map<string, Producer>();
  const add = (series: string, p: Producer): void => {
    if (!out.has(series)) out.set(series, p);
  };
  const { registry } = createInstruments();
  for (const m of registry.getMetricsAsArray() as unknown as Array<{ name: string; type: string; labelNames: string[] }>) {
    const labels = [...m.labelNames, ...APP.targetLabels];
    if (m.type === 'histogram') {
      add(`${m.name}_bucket`, { by: 'lib/instrumentation', labels: new Set([...labels, 'le']) });
      add(`${m.name}_sum`, { by: 'lib/instrumentation', labels: new Set(labels) });
      add(`${m.name}_count`, { by: 'lib/instrumentation', labels: new Set(labels) });
    } else {
      add(m.name, { by: 'lib/instrumentation', labels: new Set(labels) });
    }
  }
  for (const m of CATALOG.metrics) {
    const source = m.source === ANY_TARGET ? PROMETHEUS : EXPORTERS.find((s) => s === m.source);
    if (!source) continue;
    for (const s of m.seriesNames()) add(s, { by: source.name, labels: new Set(CATALOG.lookup(s)!.labels) });
  }
  // Prometheus's alert series carry every label of the alert.
  add('ALERTS', { by: 'Prometheus', labels: 'any' });
  add('ALERTS_FOR_STATE', { by: 'Prometheus', labels: 'any' });
  const withRecords = CATALOG.with([]);
  for (const r of records) {
    add(r.record, { by: 'recording rule', labels: new Set([...analyze(r.expr, withRecords).type.labels, ...r.labels]) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The check

const unquote = (s: string): string => (/^["'`]/.test(s) ? s.slice(1, -1) : s);

function childrenOf(n: Node): Node[] {
  const out: Node[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

interface CheckResult {
  readonly problems: string[];
  /** Series names the queries select. */
  readonly used: Set<string>;
}

/** Every selector's metric and matcher labels, and every grouping label, must be produced. */
function check(queries: Query[], produced: Map<string, Producer>): CheckResult {
  const problems: string[] = [];
  const used = new Set<string>();
  for (const q of queries) {
    const text = (n: Node): string => q.expr.slice(n.from, n.to);
    const tree = parser.parse(q.expr);
    let syntaxError = false;
    const scan = (n: Node): void => {
      if (n.type.isError) syntaxError = true;
      childrenOf(n).forEach(scan);
    };
    scan(tree.topNode);
    if (syntaxError) {
      problems.push(`${q.where}: cannot parse '${q.expr}'`);
      continue;
    }

    /** Labels available below a node; undefined when unknowable (an unknown metric, ALERTS). */
    const available = (n: Node): Set<string> | undefined => {
      if (n.type.name === 'VectorSelector') {
        const p = produced.get(selectorName(n) ?? '');
        return p && p.labels !== 'any' ? new Set(p.labels) : undefined;
      }
      const acc = new Set<string>();
      if (n.type.name === 'FunctionCall' || n.type.name === 'AggregateExpr') {
        // label_replace(v, "dst", ...), label_join(v, "dst", ...), count_values("label", v) create a label
        const fn = text(n.firstChild!);
        const args = childrenOf(childrenOf(n).find((c) => c.type.name === 'FunctionCallBody') ?? n);
        const dst = fn === 'count_values' ? args[0] : ['label_replace', 'label_join'].includes(fn) ? args[1] : undefined;
        if (dst?.type.name === 'StringLiteral') acc.add(unquote(text(dst)));
      }
      for (const c of childrenOf(n)) {
        const a = available(c);
        if (!a) return undefined;
        a.forEach((l) => acc.add(l));
      }
      return acc;
    };

    const selectorName = (n: Node): string | undefined => {
      let name: string | undefined;
      for (const c of childrenOf(n)) {
        if (c.type.name === 'Identifier') name = text(c);
        if (c.type.name === 'LabelMatchers') {
          for (const m of childrenOf(c)) {
            const parts = childrenOf(m);
            if (parts.length === 1) name = unquote(text(parts[0])); // {"metric_name"}
            else if (unquote(text(parts[0])) === '__name__') name = unquote(text(parts[parts.length - 1]));
          }
        }
      }
      return name;
    };

    const visit = (n: Node): void => {
      if (n.type.name === 'VectorSelector') {
        const name = selectorName(n);
        if (!name) {
          problems.push(`${q.where}: selector '${text(n)}' has no metric name`);
          return;
        }
        used.add(name);
        const p = produced.get(name);
        if (!p) {
          problems.push(`${q.where}: ${name} is produced by neither lib/instrumentation nor a named exporter (${EXPORTERS.map((s) => s.name).join(', ')})`);
          return;
        }
        const lm = childrenOf(n).find((c) => c.type.name === 'LabelMatchers');
        for (const m of lm ? childrenOf(lm) : []) {
          const parts = childrenOf(m);
          const label = unquote(text(parts[0]));
          if (parts.length > 1 && label !== '__name__' && p.labels !== 'any' && !p.labels.has(label)) {
            problems.push(`${q.where}: ${name} has no label '${label}' (${p.by} produces: ${[...p.labels].sort().join(', ')})`);
          }
        }
        return;
      }
      if (n.type.name === 'AggregateExpr' || n.type.name === 'BinaryExpr') {
        const clause = childrenOf(n).find((c) => c.type.name === 'AggregateModifier' || c.type.name === 'MatchingModifierClause');
        const labels = clause ? childrenOf(clause).filter((c) => c.type.name === 'GroupingLabels').flatMap((g) => childrenOf(g).map((l) => unquote(text(l)))) : [];
        const have = labels.length ? available(n) : undefined;
        for (const l of labels) {
          if (have && !have.has(l)) problems.push(`${q.where}: groups by '${l}', which no series in '${text(n)}' carries`);
        }
      }
      childrenOf(n).forEach(visit);
    };
    visit(tree.topNode);
  }
  return { problems, used };
}

/** Catalog metrics none of whose series a query selects. */
function unqueried(used: Set<string>): string[] {
  return CATALOG.metrics.filter((m) => !m.seriesNames().some((s) => used.has(s))).map((m) => `${m.name} (${m.source.name})`);
}

// ---------------------------------------------------------------------------------------------

describe('consistency of the instrumentation with the rules and dashboards', () => {
  const objects = loadObjects(synthTo());
  const { rules } = prometheusFiles(objects);
  const { queries: synthRuleQueries, records } = ruleQueries(rules);
  const dashboards = dashboardQueriesOf(objects);
  const produced = producers(records);

  test('every metric and label of the synthesized rules and dashboards is produced; reverse report', () => {
    // Zero rules would make this pass vacuously: fail loudly instead.
    if (synthRuleQueries.length === 0) {
      throw new Error(
        `the synthesized prometheus-rules ConfigMap holds no rule expressions (files: ${Object.keys(rules).join(', ') || 'none'}): ` +
          'the rules of rules/ are not in the synthesized output, so there is nothing to check',
      );
    }
    const { problems, used } = check([...synthRuleQueries, ...dashboards], produced);
    expect(problems).toEqual([]);

    // The reverse report is a report, not a gate: a metric may be exported for ad-hoc queries.
    const report = unqueried(used);
    console.log(
      `${synthRuleQueries.length} rule and ${dashboards.length} dashboard queries checked. ` +
        `Catalog metrics nothing queries (${report.length} of ${CATALOG.metrics.length}):\n  ${report.join('\n  ')}`,
    );
    expect(report.length).toBeLessThan(CATALOG.metrics.length);
  });

  test('every metric and label of the rules declared in rules/ is produced (independent of the ConfigMap wiring)', () => {
    // every optional alert too (remote write, the Alertmanager cluster)
    const files = Object.fromEntries(ruleGroups(EVERY_RULE_CONTEXT).map((g) => [`${g.name}.rules.yml`, JSON.stringify(renderRuleFile(g))]));
    files[SLO_RULE_FILE] = JSON.stringify(renderSloRuleFile(slos()));
    const { queries, records: recs } = ruleQueries(files);
    expect(queries.length).toBeGreaterThan(0);
    const { problems, used } = check(queries, producers(recs));
    expect(problems).toEqual([]);
    expect(used.has('http_requests_total')).toBe(true);
  });

  test('the check catches the drift of the system this replaces', () => {
    const bad: Query[] = [
      { where: 'a', expr: 'sum(rate(http_requests_total{status_code=~"5.."}[5m])) by (service)' },
      { where: 'b', expr: 'knowton_trading_volume_usd{period="24h"}' },
      { where: 'c', expr: 'sum by (period) (knowton_active_users_total)' },
      { where: 'd', expr: 'rate(knowton_ipfs_uploads_total[5m])' },
      { where: 'e', expr: 'sum by (nope) (label_replace(up, "made", "$1", "job", "(.*)"))' },
      { where: 'f', expr: 'sum by (made) (label_replace(up, "made", "$1", "job", "(.*)")) + on(job) group_left(instance) up' },
    ];
    expect(check(bad, produced).problems).toEqual([
      expect.stringMatching(/^a: http_requests_total has no label 'status_code' \(lib\/instrumentation produces: .*status/),
      "b: knowton_trading_volume_usd has no label 'period' (lib/instrumentation produces: instance, job, namespace, pair, pod, service, timeframe)",
      expect.stringMatching(/^c: groups by 'period'/),
      expect.stringMatching(/^d: knowton_ipfs_uploads_total is produced by neither/),
      expect.stringMatching(/^e: groups by 'nope'/),
    ]);
  });

  test('dashboard queries are read through Grafana macros and label_values variables', () => {
    const dashboard = {
      panels: [{ type: 'row', panels: [{ title: 'Errors', targets: [{ expr: 'sum by (service) (rate(http_requests_total{status=~"5..", service=~"$service"}[$__rate_interval]))' }] }] }],
      templating: { list: [{ name: 'service', type: 'query', query: { query: 'label_values(http_requests_total, service_name)' } }] },
    };
    const objs = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'grafana-dashboards' }, data: { 'x.json': JSON.stringify(dashboard) } }];
    const queries = dashboardQueriesOf(objs);
    expect(queries.map((q) => q.where)).toEqual(["x.json: panel 'Errors'", 'x.json: variable service']);
    expect(check(queries, produced).problems).toEqual([expect.stringMatching(/^x.json: variable service: groups by 'service_name'/)]);
  });

  test('the reverse report lists exactly the catalog metrics no query selects', () => {
    const report = unqueried(new Set(['http_requests_total', 'http_request_duration_seconds_bucket', 'up']));
    expect(report).toHaveLength(CATALOG.metrics.length - 3);
    expect(report).not.toContainEqual(expect.stringMatching(/^(http_requests_total|http_request_duration_seconds|up) /));
    expect(report).toContain('knowton_total_nfts (knowton application)');
  });
});

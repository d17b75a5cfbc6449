import { Catalog } from '../catalog/metric';
import { Duration } from '../units';

// The grammar ships as ESM with a CommonJS build; require() reaches the latter under node16 resolution.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { parser } = require('@prometheus-io/lezer-promql') as { parser: { parse(text: string): LezerTree } };

/** The parts of lezer's tree API used here (the package's types refer to @lezer/lr, not installed as a direct dependency). */
interface LezerNode {
  readonly type: { readonly name: string; readonly isError: boolean };
  readonly from: number;
  readonly to: number;
  readonly parent: LezerNode | null;
  readonly firstChild: LezerNode | null;
  readonly lastChild: LezerNode | null;
  readonly nextSibling: LezerNode | null;
}
interface LezerTree {
  readonly topNode: LezerNode;
  iterate(spec: { enter(node: { type: { name: string; isError: boolean }; from: number; to: number }): boolean | void }): void;
}

/** What an expression evaluates to, and the labels its series can carry. */
export interface ExprType {
  readonly kind: 'vector' | 'matrix' | 'scalar' | 'string';
  /** Label names of the resulting series (metric name excluded). Empty for scalars. */
  readonly labels: ReadonlySet<string>;
}

export interface RangeUse {
  /** The function the range vector is passed to (`rate`), or `subquery`. */
  readonly fn: string;
  readonly window: Duration;
  readonly text: string;
}

export interface Analysis {
  readonly type: ExprType;
  /** Problems found, each a sentence naming the offending part of the query. */
  readonly errors: string[];
  /** Series names selected by the query. */
  readonly metrics: string[];
  readonly ranges: RangeUse[];
}

// Functions over a range vector that are meaningful on a counter (and for which it must be one).
const COUNTER_RANGE_FNS = new Set(['rate', 'irate', 'increase', 'resets']);
// Functions that only look at whether or when samples exist, so any metric kind is fine.
const PRESENCE_RANGE_FNS = new Set(['absent_over_time', 'present_over_time', 'count_over_time', 'last_over_time']);
const PRESENCE_FNS = new Set(['absent', 'timestamp']);
const PRESENCE_AGGREGATIONS = new Set(['count', 'group']);
const SET_OPS = new Set(['and', 'or', 'unless']);
const FILTER_AGGREGATIONS = new Set(['topk', 'bottomk', 'limitk', 'limit_ratio']);
// Aggregations whose result changes with the number of identical copies of a series.
const REPLICA_COUNTING = new Set(['sum', 'avg', 'count', 'topk', 'bottomk', 'stddev', 'stdvar', 'quantile', 'count_values']);

const VECTOR = (labels: Iterable<string>): ExprType => ({ kind: 'vector', labels: new Set(labels) });
const SCALAR: ExprType = { kind: 'scalar', labels: new Set() };

/** Children of a node, skipping comments. */
function children(node: LezerNode): LezerNode[] {
  const out: LezerNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.type.name !== 'LineComment') out.push(c);
  return out;
}

function unquote(text: string): string {
  if (text.startsWith('`')) return text.slice(1, -1);
  if (text.startsWith("'")) return JSON.parse('"' + text.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"') + '"');
  return JSON.parse(text);
}

/**
 * Parses of each expression seen, with the position of its first syntax error: synth checks the same
 * queries in every environment and from several places (rules, inhibitions, panels, links), and
 * parsing is most of a check's time. Lezer trees are immutable, so sharing one is safe.
 */
const parsed = new Map<string, { readonly tree: LezerTree; readonly syntaxError: number | undefined }>();

function parse(expr: string): { readonly tree: LezerTree; readonly syntaxError: number | undefined } {
  let entry = parsed.get(expr);
  if (!entry) {
    const tree = parser.parse(expr);
    let syntaxError: number | undefined;
    tree.iterate({
      enter(n) {
        if (syntaxError === undefined && n.type.isError) syntaxError = n.from;
        return syntaxError === undefined;
      },
    });
    entry = { tree, syntaxError };
    parsed.set(expr, entry);
  }
  return entry;
}

const list = (s: Iterable<string>): string => [...s].sort().join(', ') || 'none';

/**
 * Parses a PromQL expression with the official lezer grammar and checks it against a catalog:
 * syntax, unknown metrics and labels, counters used without rate()/increase(), gauges passed to
 * rate(), grouping by labels the input does not have. It also infers the labels of the result,
 * which is what alert templates may refer to.
 */
export function analyze(expr: string, catalog: Catalog): Analysis {
  const errors: string[] = [];
  const metrics: string[] = [];
  const ranges: RangeUse[] = [];
  const text = (n: LezerNode): string => expr.slice(n.from, n.to);
  // Once a metric is unknown its labels are too: label checks would only add noise.
  let labelsKnown = true;
  const labelProblem = (msg: string): void => {
    if (labelsKnown) errors.push(msg);
  };

  const { tree, syntaxError } = parse(expr);
  if (syntaxError !== undefined || expr.trim() === '') {
    const at = syntaxError ?? 0;
    const message =
      at >= expr.trimEnd().length
        ? 'syntax error: the query ends too early (unclosed parenthesis, bracket or string?)'
        : `syntax error at character ${at + 1} (near '${expr.slice(Math.max(0, at - 20), at + 20)}')`;
    return { type: SCALAR, errors: [message], metrics, ranges };
  }

  /** The function or aggregation whose argument list directly holds `node` (through parentheses). */
  function enclosingCall(node: LezerNode): string | undefined {
    let p = node.parent;
    // (x), x offset 5m and x @ t are still x
    while (p && ['ParenExpr', 'OffsetExpr', 'StepInvariantExpr'].includes(p.type.name)) p = p.parent;
    if (!p || p.type.name !== 'FunctionCallBody') return undefined;
    const call = p.parent!;
    // FunctionIdentifier or AggregateOp
    return text(call.firstChild!).toLowerCase();
  }

  /** Whether the aggregation directly holding `node` keeps the series of each replica apart (by instance or pod). */
  function keepsReplicas(node: LezerNode): boolean {
    let p = node.parent;
    while (p && ['ParenExpr', 'OffsetExpr', 'StepInvariantExpr'].includes(p.type.name)) p = p.parent;
    const call = p?.parent;
    const modifier = call ? children(call).find((c) => c.type.name === 'AggregateModifier') : undefined;
    if (!modifier) return false;
    const parts = children(modifier);
    const grouping = parts.find((x) => x.type.name === 'GroupingLabels');
    const labels = grouping ? children(grouping).map((l) => text(l)) : [];
    const without = parts.some((x) => x.type.name === 'Without');
    const replicaLabels = ['instance', 'pod'];
    return without ? replicaLabels.every((l) => !labels.includes(l)) : replicaLabels.some((l) => labels.includes(l));
  }

  function selector(node: LezerNode): ExprType {
    let name: string | undefined;
    const matchers: Array<[string, LezerNode]> = [];
    for (const c of children(node)) {
      if (c.type.name === 'Identifier') name = text(c);
      if (c.type.name === 'LabelMatchers') {
        for (const m of children(c)) {
          const parts = children(m);
          const labelNode = parts[0];
          if (labelNode.type.name === 'QuotedLabelName' || labelNode.type.name === 'StringLiteral') {
            // {"name"} selects by metric name; {"label"="v"} is a quoted label name
            if (parts.length === 1) name = unquote(text(labelNode));
            else matchers.push([unquote(text(labelNode)), parts[parts.length - 1]]);
          } else {
            matchers.push([text(labelNode), parts[parts.length - 1]]);
          }
        }
      }
    }
    const nameMatcher = matchers.find(([l]) => l === '__name__');
    if (!name && nameMatcher) name = unquote(text(nameMatcher[1]));
    if (!name) {
      errors.push(`selector '${text(node)}' has no metric name`);
      return VECTOR([]);
    }
    metrics.push(name);
    const ref = catalog.lookup(name);
    if (!ref) {
      labelsKnown = false;
      const hist = catalog.get(name);
      errors.push(
        hist
          ? `${name} is a histogram: select ${name}_bucket, ${name}_sum or ${name}_count`
          : `unknown metric ${name} (not in the metric catalog)`,
      );
      return VECTOR([]);
    }
    for (const [label] of matchers) {
      if (label !== '__name__' && !ref.labels.includes(label)) {
        errors.push(`unknown label '${label}' on ${name} (it has: ${list(ref.labels)})`);
      }
    }

    // How the selector is used decides whether its kind fits.
    const parent = node.parent!;
    const inRange = parent.type.name === 'MatrixSelector';
    const fn = enclosingCall(inRange ? parent : node);
    if (ref.metric.sameOnEveryReplica && !inRange && fn && REPLICA_COUNTING.has(fn) && !keepsReplicas(node)) {
      errors.push(`${fn}() over ${name} counts every replica's copy: each backend replica exports the same value, take one first (max by (${ref.metric.ownLabels.join(', ')}) (${name}))`);
    }
    if (ref.monotonic) {
      const ok = inRange ? fn !== undefined && (COUNTER_RANGE_FNS.has(fn) || PRESENCE_RANGE_FNS.has(fn)) : fn !== undefined && (PRESENCE_FNS.has(fn) || PRESENCE_AGGREGATIONS.has(fn));
      if (!ok) {
        errors.push(`counter ${name} is used without rate() or increase()${fn ? ` (it is passed to ${fn}())` : ''}`);
      }
    } else if (inRange && fn && COUNTER_RANGE_FNS.has(fn)) {
      errors.push(`${fn}() of ${name}, which is a ${ref.metric.kind}, not a counter (use deriv() or delta())`);
    }
    return VECTOR(ref.labels);
  }

  function call(node: LezerNode): ExprType {
    const [ident, body] = children(node);
    const fn = text(ident);
    const args = body ? children(body).map((a) => ({ node: a, type: visit(a) })) : [];
    const vectorArg = args.find((a) => a.type.kind === 'vector' || a.type.kind === 'matrix');
    switch (fn) {
      case 'vector':
        return VECTOR([]);
      case 'absent':
      case 'absent_over_time':
        return VECTOR([]);
      case 'scalar':
      case 'time':
      case 'pi':
        return SCALAR;
      case 'histogram_quantile': {
        const input = args[1]?.type.labels ?? new Set<string>();
        if (args[1] && !input.has('le')) {
          labelProblem(`histogram_quantile() needs the 'le' label of the buckets, but its input has only: ${list(input)} (group by le)`);
        }
        return VECTOR([...input].filter((l) => l !== 'le'));
      }
      case 'label_replace':
      case 'label_join': {
        const dst = args[1] && args[1].node.type.name === 'StringLiteral' ? unquote(text(args[1].node)) : undefined;
        return VECTOR([...(args[0]?.type.labels ?? []), ...(dst ? [dst] : [])]);
      }
      default:
        if (!vectorArg) return args.length === 0 ? SCALAR : VECTOR([]);
        return VECTOR(vectorArg.type.labels);
    }
  }

  function aggregate(node: LezerNode): ExprType {
    let op = '';
    let modifier: { without: boolean; labels: string[] } | undefined;
    let args: Array<{ node: LezerNode; type: ExprType }> = [];
    for (const c of children(node)) {
      if (c.type.name === 'AggregateOp') op = text(c).toLowerCase();
      if (c.type.name === 'AggregateModifier') {
        const parts = children(c);
        const grouping = parts.find((p) => p.type.name === 'GroupingLabels');
        modifier = {
          without: parts.some((p) => p.type.name === 'Without'),
          labels: grouping ? children(grouping).map((l) => (l.type.name === 'LabelName' ? text(l) : unquote(text(l)))) : [],
        };
      }
      if (c.type.name === 'FunctionCallBody') args = children(c).map((a) => ({ node: a, type: visit(a) }));
    }
    const input = args[args.length - 1]?.type.labels ?? new Set<string>();
    if (modifier) {
      for (const l of modifier.labels) {
        if (!input.has(l)) labelProblem(`${op} ${modifier.without ? 'without' : 'by'} (${l}): label '${l}' is not on its input (which has: ${list(input)})`);
      }
    }
    if (FILTER_AGGREGATIONS.has(op)) return VECTOR(input);
    let labels: string[];
    if (!modifier) labels = [];
    else if (modifier.without) labels = [...input].filter((l) => !modifier!.labels.includes(l));
    else labels = modifier.labels;
    if (op === 'count_values' && args[0]?.node.type.name === 'StringLiteral') labels = [...labels, unquote(text(args[0].node))];
    return VECTOR(labels);
  }

  function binary(node: LezerNode): ExprType {
    const parts = children(node);
    const lhsNode = parts[0];
    const rhsNode = parts[parts.length - 1];
    const opNode = parts[1];
    const op = text(opNode).toLowerCase();
    const lhs = visit(lhsNode);
    const rhs = visit(rhsNode);
    const clause = parts.find((p) => p.type.name === 'MatchingModifierClause');
    if (lhs.kind === 'scalar' && rhs.kind === 'scalar') return SCALAR;
    if (lhs.kind === 'scalar') return VECTOR(rhs.labels);
    if (rhs.kind === 'scalar') return VECTOR(lhs.labels);

    let on: boolean | undefined;
    let matching: string[] = [];
    let group: 'left' | 'right' | undefined;
    let include: string[] = [];
    if (clause) {
      const cs = children(clause);
      on = cs.some((c) => c.type.name === 'On');
      const groupings = cs.filter((c) => c.type.name === 'GroupingLabels');
      const names = (g: LezerNode | undefined): string[] => (g ? children(g).map((l) => text(l)) : []);
      matching = names(groupings[0]);
      if (cs.some((c) => c.type.name === 'GroupLeft')) group = 'left';
      if (cs.some((c) => c.type.name === 'GroupRight')) group = 'right';
      include = names(groupings[1]);
      if (on) {
        for (const l of matching) {
          if (!lhs.labels.has(l) || !rhs.labels.has(l)) {
            labelProblem(`on(${l}) in '${text(node)}': both sides need label '${l}' (left has ${list(lhs.labels)}; right has ${list(rhs.labels)})`);
          }
        }
      }
    }
    if (SET_OPS.has(op)) {
      return op === 'or' ? VECTOR([...lhs.labels].filter((l) => rhs.labels.has(l))) : VECTOR(lhs.labels);
    }
    if (group === 'left') return VECTOR([...lhs.labels, ...include]);
    if (group === 'right') return VECTOR([...rhs.labels, ...include]);
    if (on) return VECTOR(matching);
    const lhsKeys = [...lhs.labels].filter((l) => !matching.includes(l));
    const rhsKeys = [...rhs.labels].filter((l) => !matching.includes(l));
    // One-to-one matching needs identical label sets (apart from ignored ones), or nothing matches.
    if (list(lhsKeys) !== list(rhsKeys)) {
      labelProblem(
        `the two sides of '${op}' in '${text(node)}' have different labels (${list(lhsKeys)} vs ${list(rhsKeys)}), so no series match: aggregate them or use on()/ignoring()`,
      );
    }
    return VECTOR(lhsKeys);
  }

  function visit(node: LezerNode): ExprType {
    switch (node.type.name) {
      case 'UnaryExpr': // -x: the operand comes last
        return visit(node.lastChild!);
      case 'PromQL':
      case 'ParenExpr':
      case 'OffsetExpr': // x offset 5m, x @ t: the expression comes first
      case 'StepInvariantExpr':
        return node.firstChild ? visit(children(node)[0]) : SCALAR;
      case 'NumberDurationLiteral':
        return SCALAR;
      case 'StringLiteral':
        return { kind: 'string', labels: new Set() };
      case 'VectorSelector':
        return selector(node);
      case 'MatrixSelector':
      case 'SubqueryExpr': {
        const [inner, ...rest] = children(node);
        const t = visit(inner);
        const window = rest.find((c) => c.type.name === 'DurationExpr' || c.type.name === 'NumberDurationLiteralInDurationContext');
        if (window) {
          const w = text(window);
          try {
            const fn = node.type.name === 'SubqueryExpr' ? 'subquery' : (enclosingCall(node) ?? 'none');
            ranges.push({ fn, window: /^\d+(\.\d+)?$/.test(w) ? Duration.seconds(Number(w)) : Duration.parse(w), text: text(node) });
          } catch {
            // a computed duration: nothing to check statically
          }
        }
        return { kind: 'matrix', labels: t.labels };
      }
      case 'FunctionCall':
        return call(node);
      case 'AggregateExpr':
        return aggregate(node);
      case 'BinaryExpr':
        return binary(node);
      default: {
        const first = node.firstChild;
        return first ? visit(first) : SCALAR;
      }
    }
  }

  const type = visit(tree.topNode);
  return { type, errors: [...new Set(errors)], metrics: [...new Set(metrics)], ranges };
}

/** Whether an expression's outermost node is a binary operation (so it needs parentheses to be scaled). */
export function isBinaryExpr(expr: string): boolean {
  // Memoized: every environment renders the same expressions, and parsing was a tenth of synth.
  let binary = binaryExprs.get(expr);
  if (binary === undefined) {
    binary = parser.parse(expr).topNode.firstChild?.type.name === 'BinaryExpr';
    binaryExprs.set(expr, binary);
  }
  return binary;
}
const binaryExprs = new Map<string, boolean>();

/**
 * Whether `expr` is a binary expression binding looser than a comparison (`and`, `or`, `unless`, or a
 * comparison itself): `x or vector(0) < 2` would compare only `vector(0)`, so such an expression needs
 * parentheses before a threshold.
 */
export function bindsLooserThanComparison(expr: string): boolean {
  const top = parser.parse(expr).topNode.firstChild;
  if (top?.type.name !== 'BinaryExpr') return false;
  for (let c = top.firstChild; c; c = c.nextSibling) {
    if (['And', 'Or', 'Unless', 'Eql', 'Neq', 'Gtr', 'Lss', 'Gte', 'Lte'].includes(c.type.name)) return true;
  }
  return false;
}

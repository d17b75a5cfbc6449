import { Condition, Query, renderCondition } from '../promql/query';
import { Dimension, Duration, Quantity, Units } from '../units';
import { check, checkDuration, ConfigError, keysOf } from '../validate';

export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];
export type Category = 'service-health' | 'resources' | 'database' | 'business' | 'monitoring';

/** The condition of an alert that fires all the time (a dead man's switch). */
export const ALWAYS = { always: true } as const;

export interface AlertRuleProps {
  /** UpperCamelCase, unique across all groups. */
  readonly name: string;
  readonly severity: Severity;
  /** The part of the platform it is about: `backend`, `kubernetes`, `postgresql`, `prometheus`... */
  readonly component: string;
  /** A query compared with a threshold in the query's unit, or ALWAYS. */
  readonly when: Condition<Dimension> | typeof ALWAYS;
  /** How long the condition must hold before the alert fires. */
  readonly for: Duration;
  /**
   * One line. Templates: `{{ $labels.<name> }}` for a label of the query's result, `{{ value }}`
   * for the current value in the threshold's unit, `{{ threshold }}` for the threshold.
   */
  readonly summary: string;
  /** Same templates as `summary`; must show `{{ value }}`. */
  readonly description: string;
  /** What the person on call checks first; quoted by the runbook. */
  readonly firstChecks: readonly string[];
}

/** Dimensions of quantities that are never negative: counts, rates, ratios, durations, CPU, bytes (not money). */
const NON_NEGATIVE: readonly Dimension[] = ['ratio', 'time', 'rate', 'cpu', 'count', 'bytes'];

/**
 * What is wrong with comparing a query with a threshold, if anything: a threshold that is no
 * quantity or of another dimension than the query (the run-time form of the type check, since synth
 * transpiles without it), a sign that makes the alert always or never fire on a quantity that cannot
 * be negative, or a ratio outside 0-100%.
 */
export function conditionProblem(c: Condition<Dimension>): string | undefined {
  const t = c.threshold as unknown;
  const dim = c.query.unit.dimension;
  if (!(t instanceof Quantity)) return `threshold ${String(t)} is not a quantity: write it in the query's unit (${c.query.unit.name}), e.g. ${c.query.unit.format(1)}`;
  if (t.dimension !== dim) {
    return `threshold ${t} is in ${t.unit.name} (${t.dimension}), but the query returns ${c.query.unit.name} (${dim}): a threshold must be in its query's dimension`;
  }
  const v = t.amount;
  if (NON_NEGATIVE.includes(dim)) {
    const always = (c.op === '>' && v < 0) || (c.op === '>=' && v <= 0);
    const never = (c.op === '<' && v <= 0) || ((c.op === '<=' || c.op === '==') && v < 0);
    if (always) return `'${c.op} ${t}' always fires: a ${dim} is never negative`;
    if (never) return `'${c.op} ${t}' never fires: a ${dim} is never negative`;
  }
  if (dim === 'ratio') {
    const pct = t.in(Units.PERCENT);
    if (pct < 0 || pct > 100) return `threshold ${t} is outside 0–100%`;
  }
  return undefined;
}

/** What an environment may change of an alert. */
export interface AlertOverride {
  /** Threshold, in the dimension of the alert's query. @default the rule's */
  readonly threshold?: Quantity<Dimension>;
  /** How long the condition must hold. @default the rule's */
  readonly for?: Duration;
  /**
   * Every range window of the alert's query (a recorded query then evaluates its recording's source),
   * so that a short local run sees an alert resolve in seconds. Only for alerts whose query has a
   * window. @default the rule's windows
   */
  readonly window?: Duration;
}

export const ALERT_OVERRIDE_KEYS = keysOf<AlertOverride>()(['threshold', 'for', 'window']);

/** An alerting rule: a plain immutable value. */
export class AlertRule {
  readonly name: string;
  readonly severity: Severity;
  readonly component: string;
  readonly condition?: Condition<Dimension>;
  readonly for: Duration;
  readonly summary: string;
  readonly description: string;
  readonly firstChecks: readonly string[];

  constructor(props: AlertRuleProps) {
    this.name = props.name;
    this.severity = props.severity;
    this.component = props.component;
    this.condition = 'always' in props.when ? undefined : props.when;
    this.for = props.for;
    this.summary = props.summary;
    this.description = props.description;
    this.firstChecks = props.firstChecks;
  }

  /**
   * The same alert with another threshold or `for`: an environment's override. The threshold must be
   * in the dimension of the alert's query (checked here, since overrides come from untyped config).
   */
  with(where: string, override: AlertOverride): AlertRule {
    const c = this.condition;
    const threshold = override.threshold as unknown;
    if (threshold !== undefined && (!c || !(threshold instanceof Quantity) || threshold.dimension !== c.query.unit.dimension)) {
      throw new ConfigError(where, `alerts.${this.name}.threshold`, String(threshold),
        c ? `a quantity in the dimension of the alert's query (${c.query.unit.dimension}), like ${c.threshold}` : 'nothing: this alert has no threshold');
    }
    // An equality (PostgreSQLDown: pg_up == 0) states a fact, not a limit: `== 1` would fire while healthy.
    check(threshold === undefined || c?.op !== '==', where, `alerts.${this.name}.threshold`, String(threshold),
      `nothing: ${this.name} tests for equality (${c?.op} ${c?.threshold}), which is not a threshold; override its \`for\` instead`);
    const problem = c && override.threshold && conditionProblem({ ...c, threshold: override.threshold });
    if (problem) throw new ConfigError(where, `alerts.${this.name}.threshold`, String(override.threshold), `a threshold the alert can cross: ${problem}`);
    if (override.for !== undefined) {
      checkDuration(where, `alerts.${this.name}.for`, override.for, Duration.millis(0), 'a Duration of zero or more');
    }
    let query = c?.query;
    if (override.window !== undefined) {
      const field = `alerts.${this.name}.window`;
      const windows = c?.query.windows ?? [];
      check(windows.length > 0, where, field, String(override.window),
        `nothing: the query of ${this.name} reads no range window (${c ? c.query.expr : 'it always fires'}); override its \`for\` instead`);
      checkDuration(where, field, override.window, Duration.seconds(1), `a Duration of at least 1s (the query's windows are ${windows.join(', ')})`);
      query = c!.query.overWindow(override.window);
    }
    return new AlertRule({
      name: this.name,
      severity: this.severity,
      component: this.component,
      // a window override reaches the guard too: it covers what the query's window still holds
      when: c ? { ...c, query: query!, threshold: override.threshold ?? c.threshold, unless: override.window && c.unless ? c.unless.overWindow(override.window) ?? c.unless : c.unless } : ALWAYS,
      for: override.for ?? this.for,
      summary: this.summary,
      description: this.description,
      firstChecks: this.firstChecks,
    });
  }

  /** Whether the alert fires regardless of any metric (the Watchdog). */
  get alwaysFires(): boolean {
    return this.condition === undefined;
  }

  /** The PromQL expression of the rule. */
  get expr(): string {
    return this.condition ? renderCondition(this.condition) : 'vector(1)';
  }

  /**
   * The threshold in the unit of the alert's query, for a dashboard panel showing that query to
   * draw as a line (as aws-cloudwatch's `alarm.toAnnotation()` does). Undefined for ALWAYS.
   */
  thresholdMark(): { value: number; label: string; severity: Severity } | undefined {
    const c = this.condition;
    if (!c) return undefined;
    return { value: c.threshold.in(c.query.unit), label: `${this.name} (${c.threshold})`, severity: this.severity };
  }

  /** An annotation template with the `{{ value }}` and `{{ threshold }}` placeholders filled in. */
  template(text: string): string {
    const c = this.condition;
    return text
      .replace(/\{\{\s*value\s*\}\}/g, c ? c.threshold.unit.valueTemplate : '{{ $value }}')
      .replace(/\{\{\s*threshold\s*\}\}/g, c ? c.threshold.toString() : '');
  }
}

/** A recording rule: precomputes a query that an alert and a dashboard share. */
export class RecordingRule<D extends Dimension = Dimension> {
  /** The query reading the recorded series: same unit, same test fixture. */
  readonly query: Query<D>;

  constructor(
    /** Series name, `level:metric:operations` (e.g. `service:http_requests_errors:ratio_rate5m`). */
    readonly record: string,
    /** The expression evaluated. */
    readonly source: Query<D>,
  ) {
    this.query = source.fromRecording(record);
  }
}

export interface RuleGroupProps {
  /** Group name, also the file's base name. */
  readonly name: string;
  /** Label `category` of every alert of the group. */
  readonly category: Category;
  /** Recording rules, evaluated before the alerts of the group so they read fresh values. @default [] */
  readonly recordings?: readonly RecordingRule[];
  readonly alerts: readonly AlertRule[];
  /** Evaluation interval of this group. @default the global evaluation interval */
  readonly interval?: Duration;
}

/** A group of rules, rendered to one Prometheus rule file. */
export class RuleGroup {
  readonly name: string;
  readonly category: Category;
  readonly recordings: readonly RecordingRule[];
  readonly alerts: readonly AlertRule[];
  readonly interval?: Duration;

  constructor(props: RuleGroupProps) {
    this.name = props.name;
    this.category = props.category;
    this.recordings = props.recordings ?? [];
    this.alerts = props.alerts;
    this.interval = props.interval;
  }

  /** The rule file's name: `service-health.rules.yml`. */
  get fileName(): string {
    return `${this.name}.rules.yml`;
  }

  /** The same group with some alerts replaced (environment overrides). */
  mapAlerts(fn: (alert: AlertRule) => AlertRule): RuleGroup {
    return new RuleGroup({ name: this.name, category: this.category, recordings: this.recordings, alerts: this.alerts.map(fn), interval: this.interval });
  }

  /** Labels an alert of this group carries. */
  labelsOf(alert: AlertRule): Record<string, string> {
    return { severity: alert.severity, category: this.category, component: alert.component };
  }
}

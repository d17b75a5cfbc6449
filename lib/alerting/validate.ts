import { CATALOG } from '../catalog';
import { Catalog, Metric, Source } from '../catalog/metric';
import { analyze, Analysis } from '../promql/analyze';
import { Duration } from '../units';
import { ConfigError, goTemplateProblem, MAX_DURATION_MS } from '../validate';
import { AlertRule, conditionProblem, RuleGroup, SEVERITIES } from './rule';

export interface ValidateOptions {
  /** How often targets are scraped. */
  readonly scrapeInterval: Duration;
  /** How often rules are evaluated. */
  readonly evaluationInterval: Duration;
  /** Metrics the rules may use. @default CATALOG */
  readonly catalog?: Catalog;
}

/** Every problem found in the rule groups, each naming the rule, on one line (`; ` between them). */
export class RuleValidationError extends ConfigError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('rules/', 'alert rules', problems.length, problems.join('; '));
    this.problems = problems;
    this.message = `rules/: invalid alert rules: ${problems.join('; ')}`;
    this.name = 'RuleValidationError';
  }
}

/**
 * The problems of alerts that make rendering meaningless: a threshold that is no quantity or in
 * another dimension than its query, a `for` that is no Duration, annotations that are no text (tsc
 * refuses all of them, but synth transpiles without type checking). Checked before the rules are rendered; throws a RuleValidationError naming each alert.
 */
export function checkRuleConditions(groups: readonly RuleGroup[]): void {
  const problems = groups.flatMap((g) =>
    g.alerts.flatMap((a) => {
      const p = [
        a.condition ? conditionProblem(a.condition) : undefined,
        a.for instanceof Duration ? undefined : `for ${String(a.for)} is not a Duration (write Duration.minutes(5))`,
        typeof a.summary === 'string' && typeof a.description === 'string' ? undefined : 'summary and description must be strings',
      ].filter((x): x is string => x !== undefined);
      return p.map((x) => `alert ${a.name} (group ${g.name}): ${x}`);
    }),
  );
  if (problems.length) throw new RuleValidationError(problems);
}

/** Where recorded series come from: the rule evaluation itself, which adds no labels. */
export const RECORDING_RULES: Source = { name: 'recording rules', job: '.*', targetLabels: [] };

// A range shorter than this many scrapes holds too few samples: rate() over it is noisy, and
// empty when a single scrape is missed.
export const MIN_SCRAPES_PER_WINDOW = 4;
// `for` shorter than this many scrapes lets one bad scrape fire the alert.
export const MIN_SCRAPES_PER_FOR = 2;

const TEMPLATE = /\{\{(.*?)\}\}/g;
const ALLOWED_TEMPLATE = /^\s*(\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)|value|threshold)\s*$/;

/**
 * The catalog extended with the series the recording rules of these groups produce, and the
 * analysis of every recording rule. Recorded series have the labels their expression keeps.
 */
export function catalogWithRecordings(groups: readonly RuleGroup[], base: Catalog = CATALOG): { catalog: Catalog; problems: string[] } {
  const problems: string[] = [];
  const recorded: Metric[] = [];
  const seen = new Set<string>();
  for (const g of groups) {
    for (const r of g.recordings) {
      const where = `recording rule ${r.record} (group ${g.name})`;
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]*$/.test(r.record)) problems.push(`${where}: name must be level:metric:operations`);
      if (seen.has(r.record)) problems.push(`${where}: recorded twice`);
      seen.add(r.record);
      // Recording rules may read series recorded by earlier ones.
      const a = analyze(r.source.expr, base.with(recorded));
      problems.push(...a.errors.map((e) => `${where}: ${e}`));
      if (!a.errors.length) {
        recorded.push(new Metric(RECORDING_RULES, { name: r.record, kind: 'gauge', unit: r.source.unit, labels: [...a.type.labels], help: r.source.description }));
      }
    }
  }
  return { catalog: base.with(recorded), problems };
}

/** Checks one alert; returns its problems, each naming the rule. */
function checkAlert(alert: AlertRule, group: RuleGroup, catalog: Catalog, options: ValidateOptions, recordings: Map<string, Analysis>): string[] {
  const where = `alert ${alert.name} (group ${group.name})`;
  const out: string[] = [];
  const say = (msg: string): void => {
    out.push(`${where}: ${msg}`);
  };

  if (!/^[A-Z][a-zA-Z0-9]*$/.test(alert.name)) say(`name must be UpperCamelCase`);
  if (!SEVERITIES.includes(alert.severity)) say(`severity '${alert.severity}' is not one of ${SEVERITIES.join(', ')}`);
  if (!alert.component || !/^[a-z0-9-]+$/.test(alert.component)) say(`component '${alert.component}' must be a lower-case word`);
  if (typeof alert.summary !== 'string' || typeof alert.description !== 'string') {
    say('summary and description must be strings');
    return out;
  }
  if (!alert.summary.trim()) say('summary is empty');
  if (!Array.isArray(alert.firstChecks) || !alert.firstChecks.length) say('firstChecks is empty: the runbook needs them');
  if (!(alert.for instanceof Duration)) {
    say(`for ${String(alert.for)} is not a Duration (write Duration.minutes(5))`);
    return out;
  }
  if (alert.for.toMillis() > MAX_DURATION_MS) say(`for ${alert.for} is longer than Prometheus can parse (about 292 years)`);

  const minFor = options.scrapeInterval.times(MIN_SCRAPES_PER_FOR);
  if (alert.for.isNegative()) say(`for ${alert.for} is negative`);
  else if (!alert.for.isZero() && alert.for.compare(minFor) < 0) {
    say(`for ${alert.for} is shorter than ${MIN_SCRAPES_PER_FOR} scrape intervals (${minFor}): a single bad scrape could fire it`);
  } else if (!alert.for.isZero() && alert.for.compare(options.evaluationInterval) < 0) {
    say(`for ${alert.for} is shorter than the evaluation interval ${options.evaluationInterval}`);
  }
  if (alert.alwaysFires && !alert.for.isZero()) say('an alert that always fires needs no `for`');

  const c = alert.condition;
  const problem = c && conditionProblem(c);
  if (problem) {
    say(problem);
    return out;
  }

  const analysis = analyze(alert.expr, catalog);
  for (const e of analysis.errors) say(e);

  // Range windows, also those of the recording rules the alert reads.
  const ranges = [...analysis.ranges, ...analysis.metrics.flatMap((m) => recordings.get(m)?.ranges ?? [])];
  const minWindow = options.scrapeInterval.times(MIN_SCRAPES_PER_WINDOW);
  for (const r of ranges) {
    if (r.window.compare(minWindow) < 0) {
      say(`range ${r.window} in '${r.text}' is shorter than ${MIN_SCRAPES_PER_WINDOW} scrape intervals (${minWindow})`);
    }
  }

  for (const [field, text] of [
    ['summary', alert.summary],
    ['description', alert.description],
  ] as const) {
    for (const m of text.matchAll(TEMPLATE)) {
      const t = ALLOWED_TEMPLATE.exec(m[1]);
      if (!t) {
        say(`${field}: template {{${m[1]}}} is not supported (use {{ $labels.<name> }}, {{ value }} or {{ threshold }})`);
      } else if (t[2] && !analysis.errors.length && !analysis.type.labels.has(t[2])) {
        say(`${field} refers to {{ $labels.${t[2]} }}, but the query's result has no label '${t[2]}' (it has: ${[...analysis.type.labels].sort().join(', ') || 'none'})`);
      } else if (!t[2] && alert.alwaysFires && t[1] === 'threshold') {
        say(`${field}: {{ threshold }} in an alert without a threshold`);
      }
    }
  }
  if (!alert.alwaysFires && !/\{\{\s*value\s*\}\}/.test(alert.description)) say('description must show the current value with {{ value }}');
  // What Prometheus receives must parse as a Go template: `{{ $labels.service }` would make it refuse the rule file.
  for (const [field, text] of [['summary', alert.summary], ['description', alert.description]] as const) {
    const templateProblem = goTemplateProblem(alert.template(text));
    if (templateProblem) say(`${field} is not a valid Go template: ${templateProblem}`);
  }
  return out;
}

/**
 * Checks rule groups at synth time and throws a RuleValidationError listing every problem, each
 * naming its rule: PromQL syntax, unknown metric or label, counter without rate()/increase(),
 * duplicate alert name, template label the query drops, `for` or range window too short for the
 * scrape interval, percent threshold outside 0–100.
 */
export function validateRuleGroups(groups: readonly RuleGroup[], options: ValidateOptions): void {
  checkRuleConditions(groups);
  const { catalog, problems } = catalogWithRecordings(groups, options.catalog ?? CATALOG);
  const recordings = new Map<string, Analysis>();
  const minWindow = options.scrapeInterval.times(MIN_SCRAPES_PER_WINDOW);
  for (const g of groups) {
    for (const rule of g.recordings) {
      const a = analyze(rule.source.expr, catalog);
      recordings.set(rule.record, a);
      for (const r of a.ranges) {
        if (r.window.compare(minWindow) < 0) {
          problems.push(`recording rule ${rule.record} (group ${g.name}): range ${r.window} in '${r.text}' is shorter than ${MIN_SCRAPES_PER_WINDOW} scrape intervals (${minWindow})`);
        }
      }
    }
  }

  const groupOf = new Map<string, string>();
  const files = new Set<string>();
  for (const g of groups) {
    if (files.has(g.fileName)) problems.push(`group ${g.name}: another group has the file name ${g.fileName}`);
    files.add(g.fileName);
    for (const a of g.alerts) {
      const other = groupOf.get(a.name);
      if (other !== undefined) problems.push(`alert ${a.name} (group ${g.name}): duplicate alert name, also defined in group ${other}`);
      groupOf.set(a.name, g.name);
      problems.push(...checkAlert(a, g, catalog, options, recordings));
    }
  }
  if (problems.length) throw new RuleValidationError(problems);
}

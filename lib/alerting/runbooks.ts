import { Quantity } from '../units';
import { DEFAULT_RUNBOOK_BASE_URL, RenderOptions } from './render';
import { AlertRule, RuleGroup } from './rule';
import { probesFor } from './tests';

const OP_WORDS: Record<string, string> = { '>': 'above', '<': 'below', '>=': 'at or above', '<=': 'at or below', '==': 'equal to' };

/**
 * A template as readers see it: `{service}` for `{{ $labels.service }}`, `{value}` for the value,
 * the threshold written out. (Not `<service>`: Markdown would take it for an HTML tag.)
 */
function plain(text: string, alert: AlertRule): string {
  return text
    .replace(/\{\{\s*\$labels\.([a-zA-Z0-9_]+)\s*\}\}/g, '{$1}')
    .replace(/\{\{\s*value\s*\}\}/g, '{value}')
    .replace(/\{\{\s*threshold\s*\}\}/g, alert.condition ? alert.condition.threshold.toString() : '');
}

/** Where the first checks' commands say `$NS`: the namespace of the alert's environment. */
function namespaceNote(namespaces: readonly string[], operatorNamespace?: string): string {
  const names = namespaces.map((n) => `\`${n}\``);
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names.join('');
  const note = `\`$NS\` is the namespace of the environment the alert comes from (its \`environment\` label)${list ? `: ${list}` : ''}. Set it first, e.g. \`NS=${namespaces[namespaces.length - 1] ?? 'knowton-prod'}\`.`;
  return operatorNamespace === undefined
    ? note
    : `${note} On a cluster that runs prometheus-operator (the \`operator\` profile), KnowTon's own objects are in \`${operatorNamespace}\`, while Prometheus and Alertmanager are kube-prometheus-stack's: use the chart's namespace and its pod names.`;
}

function runbook(alert: AlertRule, group: RuleGroup, recordings: Map<string, string>, options: RunbookOptions): string {
  const c = alert.condition;
  const lines: string[] = [`# ${alert.name}`, ''];
  lines.push(`| Severity | Category | Component | For |`, `|---|---|---|---|`);
  lines.push(`| ${alert.severity} | ${group.category} | ${alert.component} | ${alert.for.isZero() ? 'fires at once' : alert.for.toHuman()} |`, '');
  lines.push('## What it means', '', plain(alert.summary, alert) + '.', '', plain(alert.description, alert), '');
  lines.push('## Threshold', '');
  if (c) {
    lines.push(
      `It fires when the value is ${OP_WORDS[c.op]} **${c.threshold}**${alert.for.isZero() ? '' : ` for ${alert.for.toHuman()}`}.` +
        ` The value is ${c.query.description}.`,
    );
    if (c.unless) lines.push('', `It stays quiet while ${c.unless.description} (the \`unless\` in the PromQL below).`);
    const p = probesFor(c);
    lines.push('', `The generated \`promtool test rules\` check that it fires at ${new Quantity(p.firing, c.threshold.unit)} and stays silent at ${new Quantity(p.silent, c.threshold.unit)}${alert.for.isZero() ? '' : ` and before ${alert.for.toHuman()} have passed`}.`);
  } else {
    lines.push('It always fires. It proves that the whole alerting pipeline (Prometheus, rule evaluation, Alertmanager, notification) works: if it stops arriving, alerting is broken.');
  }
  lines.push('', '## PromQL', '', '```promql', alert.expr, '```', '');
  const used = [...recordings.keys()].filter((r) => new RegExp(`(^|[^a-zA-Z0-9_:])${r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^a-zA-Z0-9_:]|$)`).test(alert.expr));
  for (const r of used) lines.push(`\`${r}\` is recorded by the rule:`, '', '```promql', `${r} = ${recordings.get(r)}`, '```', '');
  lines.push('## First checks', '', ...alert.firstChecks.map((s, i) => `${i + 1}. ${s}`), '');
  if (alert.firstChecks.some((s) => s.includes('$NS'))) lines.push(namespaceNote(options.namespaces ?? [], options.operatorNamespace), '');
  return lines.join('\n');
}

/** Where the runbooks' commands run. */
export interface RunbookOptions extends RenderOptions {
  /** The standalone environments' namespaces, which the first checks' `$NS` stands for. @default none named */
  readonly namespaces?: readonly string[];
  /** The operator profile's namespace, where it has one. @default no operator profile */
  readonly operatorNamespace?: string;
}

/**
 * Markdown runbooks, one per alert, keyed by path relative to docs/runbooks (`HighErrorRate.md`),
 * plus `README.md` listing them. Generated from the same definitions as the rules, so the
 * threshold and the PromQL quoted are the ones deployed.
 */
export function renderRunbooks(groups: readonly RuleGroup[], options: RunbookOptions = {}): Record<string, string> {
  const recordings = new Map(groups.flatMap((g) => g.recordings.map((r) => [r.record, r.source.expr] as [string, string])));
  const out: Record<string, string> = {};
  const base = (options.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL).replace(/\/+$/, '');
  const index = ['# Runbooks', '', `Generated from rules/ by the synth; do not edit by hand. Alerts link here through runbook_url (${base}/<Alert>.md).`, ''];
  for (const g of groups) {
    index.push(`## ${g.name}`, '', '| Alert | Severity | Summary |', '|---|---|---|');
    for (const a of g.alerts) {
      out[`${a.name}.md`] = runbook(a, g, recordings, options);
      index.push(`| [${a.name}](${a.name}.md) | ${a.severity} | ${plain(a.summary, a).replace(/\|/g, '\\|')} |`);
    }
    index.push('');
  }
  out['README.md'] = index.join('\n');
  return out;
}



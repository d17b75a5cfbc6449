import { DEFAULT_RUNBOOK_BASE_URL, RenderOptions } from '../alerting/render';
import { Units } from '../units';
import { alertExpr, SLO_SERIES } from './render';
import { num, Slo, SloAlert } from './slo';

function hoursToEmpty(slo: Slo, a: SloAlert): string {
  const hours = slo.window.toMillis() / 3_600_000 / a.burnRate;
  return hours < 48 ? `${num(Number(hours.toPrecision(3)))} hours` : `${num(Number((hours / 24).toPrecision(3)))} days`;
}

function runbook(slo: Slo, a: SloAlert): string {
  const t = a.tier;
  const spent = num(t.budgetSpent * 100);
  const lines = [
    `# ${a.name}`,
    '',
    '| SLO | Objective | Window | Severity | Burn rate | Windows |',
    '|---|---|---|---|---|---|',
    `| ${slo.id} | ${slo.objective} | ${slo.window.toHuman()} | ${t.severity} | ${num(a.burnRate)}x | ${t.long.toPromDuration()} and ${t.short.toPromDuration()} |`,
    '',
    '## What budget is burning',
    '',
    `${slo.description} over ${slo.window.toHuman()}: the error budget is ${num(slo.budget * 100)}% of the events, ${slo.sli.description} being the bad ones.`,
    '',
    '## How fast',
    '',
    `It fires when, over the last ${t.long.toHuman()} and still over the last ${t.short.toHuman()}, the error ratio is above ${num(a.errorRatio * 100)}%: ` +
      `${num(a.burnRate)} times the budget's pace, so ${spent}% of the ${slo.window.toHuman()} budget burns in ${t.long.toHuman()}, and all of it in ${hoursToEmpty(slo, a)} if nothing changes. ` +
      `The short window makes it resolve soon after the errors stop. It stays silent below ${num(slo.minEventRate.in(Units.PER_MINUTE))} events per minute over ${t.long.toHuman()} (a handful of failures is no outage).`,
    '',
    `${t.severity === 'critical' ? 'A page: act now.' : 'A ticket: the budget leaks; look at it within the working day.'} A faster tier of the same SLO, while it fires, mutes this one in Alertmanager.`,
    '',
    `The generated \`promtool test rules\` check that it fires at ${num(a.burnRate * 1.1)}x within the workbook's detection time and not before, and stays silent at ${num(a.burnRate * 0.9)}x.`,
    '',
    '## PromQL',
    '',
    '```promql',
    alertExpr(slo, a),
    '```',
    '',
    `\`${SLO_SERIES.errorRatio(t.long)}\` is recorded for \`slo="${slo.id}"\` by:`,
    '',
    '```promql',
    slo.sli.errorRatio(t.long),
    '```',
    '',
    `Budget left over the window: \`${SLO_SERIES.budgetRemaining}{slo="${slo.id}"}\` (1 untouched, 0 spent).`,
    '',
    '## First checks',
    '',
    ...slo.firstChecks.map((s, i) => `${i + 1}. ${s}`),
    '',
  ];
  return lines.join('\n');
}

/** Runbook pages of the SLO alerts (`BackendAvailabilityBurnRate1h.md`), and the lines of their section in the index. */
export function renderSloRunbooks(slos: readonly Slo[], options: RenderOptions = {}): { pages: Record<string, string>; index: string[] } {
  const pages: Record<string, string> = {};
  const index = ['## SLOs', '', `Generated from slos/; alerts link here through runbook_url (${(options.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL).replace(/\/+$/, '')}/<Alert>.md).`, '', '| Alert | SLO | Severity | Burn rate |', '|---|---|---|---|'];
  for (const slo of slos) {
    for (const a of slo.alerts) {
      pages[`${a.name}.md`] = runbook(slo, a);
      index.push(`| [${a.name}](${a.name}.md) | ${slo.id} (${slo.objective}) | ${a.tier.severity} | ${num(a.burnRate)}x over ${a.tier.long.toPromDuration()} |`);
    }
  }
  index.push('');
  return { pages, index };
}

// Service level objectives: per SLO its objective, the SLI over the window, the error budget left,
// and the burn rate over each alert window with the tiers' rates as lines.
import { dashboard, row, stat, timeseries } from '../lib/dashboards';
import { Query } from '../lib/promql';
import { Slo, SLO_SERIES, num } from '../lib/slo';
import { Units } from '../lib/units';

/** The panel each SLO alert links to: its SLO's burn rate over every alert window, with the tiers as lines. */
export const BURN_RATE_PANEL = 'Burn rate per alert window';

const sel = (name: string, slo: Slo): string => `${name}{slo="${slo.id}"}`;

/** The SLO dashboard of an environment's SLOs (overrides applied). */
export const sloDashboard = (slos: readonly Slo[]): object => dashboard({
  uid: 'knowton-slo',
  title: 'KnowTon SLOs',
  description: 'Service level objectives: SLI over the window, error budget left, and how fast it burns.',
  rows: slos.map((slo) => row(`${slo.id}: ${slo.description}`, [
    stat('Objective', { query: new Query(sel(SLO_SERIES.objective, slo), Units.RATIO, `the objective of ${slo.id}`), legend: slo.id }, { width: 4 }),
    stat('Error budget remaining', { query: new Query(sel(SLO_SERIES.budgetRemaining, slo), Units.RATIO, `the share of the ${slo.window.toHuman()} error budget of ${slo.id} left (1 untouched, 0 spent, below 0 overspent)`), legend: slo.id }, { width: 4 }),
    timeseries(`SLI over ${slo.window.toHuman()}`, {
      query: new Query(`1 - ${sel(SLO_SERIES.errorRatio(slo.window), slo)}`, Units.RATIO, `the share of good events over ${slo.window.toHuman()}: ${slo.sli.description}`),
      legend: 'SLI',
    }, { width: 6, marks: [] }),
    timeseries(BURN_RATE_PANEL, slo.alerts.flatMap((a) => [a.tier.long, a.tier.short].map((w) => ({
      query: new Query(`${sel(SLO_SERIES.errorRatio(w), slo)} / ${num(slo.budget)}`, Units.COUNT, `how many times faster than the budget allows ${slo.id} burns, per window`),
      legend: w.toPromDuration(),
    }))).filter((t, i, all) => all.findIndex((x) => x.legend === t.legend) === i), {
      width: 10,
      unit: 'suffix:x',
      marks: slo.alerts.map((a) => ({ value: a.burnRate, severity: a.tier.severity })),
      description: `The error ratio over each window divided by the budget (${num(slo.budget * 100)}%). Lines: ${slo.alerts.map((a) => `${num(a.burnRate)}x (${a.tier.long.toPromDuration()} and ${a.tier.short.toPromDuration()}, ${a.tier.severity === 'critical' ? 'page' : 'ticket'})`).join(', ')}.`,
    }),
  ])),
});

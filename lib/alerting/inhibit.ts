import { analyze } from '../promql/analyze';
import { ConfigError } from '../validate';
import { RuleGroup } from './rule';
import { catalogWithRecordings } from './validate';

/**
 * While `source` fires, the `targets` alerts with the same values of `equal` are not sent: the cause
 * pages, its consequences stay quiet. Alert names, not severities: every alert name has exactly one
 * severity, so an inhibition by severity and alertname never matches anything.
 */
export interface Inhibition {
  /** The alert that explains the others. */
  readonly source: string;
  /** The alerts it makes redundant. */
  readonly targets: readonly string[];
  /** Labels both must share (the same service); [] for a cause that explains them all (the one database). */
  readonly equal: readonly string[];
  /** Why, for the README and the review. */
  readonly why: string;
}

/**
 * Checks inhibitions against the rules they refer to: both alert names exist, a target is not its own
 * source, and every `equal` label is one that both alerts' queries return (a label missing on either
 * side makes Alertmanager compare "" with a value, and the inhibition silently never matches).
 * Throws one ConfigError naming the inhibition, the label or name, and what is allowed.
 */
export function checkInhibitions(inhibitions: readonly Inhibition[], groups: readonly RuleGroup[]): void {
  const { catalog } = catalogWithRecordings(groups);
  const alerts = new Map(groups.flatMap((g) => g.alerts.map((a) => [a.name, a] as const)));
  const labelsOf = (name: string): Set<string> => {
    const a = alerts.get(name)!;
    // The Watchdog's vector(1) has no labels; every other alert has its query's result labels.
    return new Set(a.condition ? analyze(a.condition.query.expr, catalog).type.labels : []);
  };
  const known = [...alerts.keys()].join(', ');
  inhibitions.forEach((inh, i) => {
    const where = `inhibitions[${i}] (${inh.source})`;
    if (!alerts.has(inh.source)) throw new ConfigError(where, 'source', inh.source, `the name of an alert of rules/: ${known}`);
    if (inh.targets.length === 0) throw new ConfigError(where, 'targets', '[]', 'at least one alert name');
    for (const t of inh.targets) {
      if (!alerts.has(t)) throw new ConfigError(where, 'targets', t, `the name of an alert of rules/: ${known}`);
      if (t === inh.source) throw new ConfigError(where, 'targets', t, 'an alert other than the source (it would mute itself)');
      for (const label of inh.equal) {
        for (const name of [inh.source, t]) {
          const labels = labelsOf(name);
          if (!labels.has(label)) {
            throw new ConfigError(where, 'equal', label, `a label both ${inh.source} and ${t} carry; ${name} has only: ${[...labels].sort().join(', ') || 'none'}`);
          }
        }
      }
    }
  });
}

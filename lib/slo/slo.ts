import { Duration, perMinute, Quantity, Rate, Ratio, Units } from '../units';
import { ConfigError, keysOf } from '../validate';
import { Severity } from '../alerting/rule';
import { Sli } from './sli';

/**
 * A multi-window burn-rate alert tier (Google SRE workbook, chapter 5): it fires when the share
 * `budgetSpent` of the SLO window's error budget burns within `long`, confirmed by `short` (so it
 * resolves soon after the burning stops). The burn rate is computed, never written by hand.
 */
export interface BurnTier {
  readonly severity: Severity;
  /** Share of the whole window's budget, 0 to 1. */
  readonly budgetSpent: number;
  readonly long: Duration;
  readonly short: Duration;
}

/** The workbook's tiers: page at 2% in 1h or 5% in 6h, ticket at 10% in 1d or 10% in 3d. Fastest first. */
export const BURN_TIERS: readonly BurnTier[] = [
  { severity: 'critical', budgetSpent: 0.02, long: Duration.hours(1), short: Duration.minutes(5) },
  { severity: 'critical', budgetSpent: 0.05, long: Duration.hours(6), short: Duration.minutes(30) },
  { severity: 'warning', budgetSpent: 0.1, long: Duration.days(1), short: Duration.hours(2) },
  { severity: 'warning', budgetSpent: 0.1, long: Duration.days(3), short: Duration.hours(6) },
];

/** Every window a recording rule computes the error ratio over: the tiers' long and short windows. */
export const ALERT_WINDOWS: readonly Duration[] = [...new Map(BURN_TIERS.flatMap((t) => [t.short, t.long]).map((d) => [d.toMillis(), d])).values()]
  .sort((a, b) => a.compare(b));

export const DEFAULT_SLO_WINDOW = Duration.days(30);
/** Below this many events per second over a tier's long window, no burn-rate alert fires: a handful of failed requests is no outage. */
export const DEFAULT_MIN_EVENT_RATE: Rate = perMinute(1);

export interface SloProps {
  /** The service, label `service` of the recorded series and alerts: `backend`. */
  readonly service: string;
  /** Short lowercase name within the service: `availability`. The label `slo` is `<service>-<name>`. */
  readonly name: string;
  /** One line: what is promised. */
  readonly description: string;
  /** The share of good events promised, strictly between 0 and 100%: `percent(99.9)`. */
  readonly objective: Ratio;
  /** The window the objective holds over. @default DEFAULT_SLO_WINDOW (30 days) */
  readonly window?: Duration;
  readonly sli: Sli;
  /** Minimum events per second over a tier's long window for it to fire. @default DEFAULT_MIN_EVENT_RATE (1 per minute) */
  readonly minEventRate?: Rate;
  /** What the person on call looks at first; quoted by the runbooks. */
  readonly firstChecks: readonly string[];
}

/** What an environment may change of an SLO (StackConfig.slos). */
export interface SloOverride {
  /** @default the SLO's */
  readonly objective?: Ratio;
  /** @default the SLO's */
  readonly window?: Duration;
}
export const SLO_OVERRIDE_KEYS = keysOf<SloOverride>()(['objective', 'window']);

const pascal = (s: string): string => s.split(/[^a-zA-Z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
/** A number as PromQL and YAML show it: no float noise (1 - 0.999 = 0.001, not 0.0010000000000000009). */
export const num = (n: number): string => String(Number(n.toPrecision(12)));

/** One tier of one SLO, with its computed burn rate. */
export interface SloAlert {
  readonly name: string;
  readonly tier: BurnTier;
  /** budgetSpent · window / long: 14.4 for 2% of 30 days in 1 hour. */
  readonly burnRate: number;
  /** burnRate · (1 - objective): the error ratio both windows must exceed. */
  readonly errorRatio: number;
}

/** A service level objective: a plain immutable value. */
export class Slo {
  readonly service: string;
  readonly name: string;
  readonly description: string;
  readonly objective: Ratio;
  readonly window: Duration;
  readonly sli: Sli;
  readonly minEventRate: Rate;
  readonly firstChecks: readonly string[];

  constructor(props: SloProps) {
    this.service = props.service;
    this.name = props.name;
    this.description = props.description;
    this.objective = props.objective;
    this.window = props.window ?? DEFAULT_SLO_WINDOW;
    this.sli = props.sli;
    this.minEventRate = props.minEventRate ?? DEFAULT_MIN_EVENT_RATE;
    this.firstChecks = props.firstChecks;
  }

  /** Label `slo`: `backend-availability`. */
  get id(): string {
    return `${this.service}-${this.name}`;
  }

  /** The objective as a ratio, 0.999. */
  get target(): number {
    return Number(this.objective.in(Units.RATIO).toPrecision(12));
  }

  /** The error budget as a ratio: 1 - objective. */
  get budget(): number {
    return Number((1 - this.target).toPrecision(12));
  }

  /** The labels of every series and alert of this SLO. */
  get labels(): Record<string, string> {
    return { service: this.service, slo: this.id };
  }

  /** The four alerts, fastest first: `BackendAvailabilityBurnRate1h`. */
  get alerts(): SloAlert[] {
    return BURN_TIERS.map((tier) => {
      const burnRate = Number(((tier.budgetSpent * this.window.toMillis()) / tier.long.toMillis()).toPrecision(12));
      return { name: `${pascal(this.id)}BurnRate${tier.long.toPromDuration()}`, tier, burnRate, errorRatio: Number((burnRate * this.budget).toPrecision(12)) };
    });
  }

  /** The same SLO with an environment's objective or window. */
  with(override: SloOverride): Slo {
    return new Slo({ ...this, objective: override.objective ?? this.objective, window: override.window ?? this.window });
  }
}

/** A problem of an SLO: the field, its value and what is allowed. */
export interface SloProblem {
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string;
}

/** Every problem of an SLO; empty when it is fine. */
export function sloProblems(slo: Slo): SloProblem[] {
  const p: SloProblem[] = [];
  const o = slo.objective as unknown;
  if (!(o instanceof Quantity) || o.dimension !== 'ratio') return [{ field: 'objective', value: String(o), allowed: 'a ratio such as percent(99.9)' }];
  const pct = o.in(Units.PERCENT);
  if (!(pct > 0 && pct < 100)) p.push({ field: 'objective', value: String(o), allowed: 'strictly between 0% and 100% (100% leaves no error budget, 0% promises nothing)' });
  if (!/^[a-z][a-z0-9-]*$/.test(String(slo.service)) || !/^[a-z][a-z0-9-]*$/.test(String(slo.name))) {
    p.push({ field: 'service/name', value: `${String(slo.service)}/${String(slo.name)}`, allowed: 'lowercase words with dashes, such as backend/availability' });
  }
  const w = slo.window as unknown;
  const longest = BURN_TIERS[BURN_TIERS.length - 1].long;
  if (!(w instanceof Duration) || w.compare(longest) <= 0) p.push({ field: 'window', value: String(w), allowed: `a Duration longer than the slowest tier's window (${longest.toHuman()}), such as Duration.days(30)` });
  const r = slo.minEventRate as unknown;
  if (!(r instanceof Quantity) || r.dimension !== 'rate' || !(r.amount > 0)) p.push({ field: 'minEventRate', value: String(r), allowed: 'a positive rate such as perMinute(1)' });
  if (slo.sli.problem) p.push({ field: 'sli', value: slo.sli.description, allowed: slo.sli.problem });
  if (!p.length) {
    for (const a of slo.alerts) {
      if (a.errorRatio >= 1) {
        p.push({ field: 'objective', value: String(o), allowed: `an objective whose budget lets every tier fire: ${a.name} needs an error ratio above ${num(a.burnRate)} × ${num(slo.budget)} = ${num(a.errorRatio)}, more than 100% of the events` });
      }
    }
  }
  return p;
}

/** Throws a ConfigError for the first problem, naming the SLO (`slos/backend-availability`), the field, its value and what is allowed. */
export function checkSlos(slos: readonly Slo[], where = (s: Slo) => `slos/${s.id}`): void {
  const seen = new Set<string>();
  for (const s of slos) {
    const [first] = sloProblems(s);
    if (first) throw new ConfigError(where(s), first.field, first.value, first.allowed);
    if (seen.has(s.id)) throw new ConfigError(where(s), 'name', s.id, 'a name no other SLO of the service has');
    seen.add(s.id);
  }
}

/**
 * Typed quantities. A period is a Duration, never a bare number, so `for: 10` (seconds? minutes?)
 * cannot be written.
 */
import { ConfigError } from './validate';

/** Units a Duration is printed in: days at most, as operators write retention (`30d`, not `4w2d`). */
const PROM_UNITS: ReadonlyArray<[string, number]> = [
  ['d', 24 * 3600],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
];

const PARSE_UNITS: Record<string, number> = { y: 365 * 86400, w: 7 * 86400, d: 86400, h: 3600, m: 60, s: 1 };

/** A length of time, held in whole milliseconds. */
export class Duration {
  static millis(n: number): Duration {
    return new Duration(n);
  }
  static seconds(n: number): Duration {
    return new Duration(n * 1000);
  }
  static minutes(n: number): Duration {
    return new Duration(n * 60_000);
  }
  static hours(n: number): Duration {
    return new Duration(n * 3_600_000);
  }
  static days(n: number): Duration {
    return new Duration(n * 86_400_000);
  }

  /** Parses a Prometheus duration such as `30s`, `1h30m` or `30d`; throws on anything else. */
  static parse(text: string): Duration {
    const re = /(\d+)(ms|y|w|d|h|m|s)/g;
    if (typeof text !== 'string' || !/^(\d+(ms|y|w|d|h|m|s))+$/.test(text)) {
      throw new ConfigError('Duration.parse', 'duration', text, 'a Prometheus duration such as 30s, 5m, 1h30m or 30d');
    }
    let ms = 0;
    for (const m of text.matchAll(re)) {
      const n = Number(m[1]);
      ms += m[2] === 'ms' ? n : n * 1000 * PARSE_UNITS[m[2]];
    }
    return new Duration(ms);
  }

  private readonly ms: number;
  private constructor(ms: number) {
    // Float noise (Duration.seconds(1.005) is 1004.9999999999999 ms) is not a fraction anyone meant.
    const whole = Math.round(ms);
    if (!Number.isFinite(ms) || Math.abs(ms - whole) > 1e-6) {
      throw new ConfigError('Duration', 'length', `${ms} ms`, 'a whole number of milliseconds (Prometheus durations have millisecond precision), finite and not NaN');
    }
    this.ms = whole === 0 ? 0 : whole;
  }

  toMillis(): number {
    return this.ms;
  }
  toSeconds(): number {
    return this.ms / 1000;
  }
  isZero(): boolean {
    return this.ms === 0;
  }
  isNegative(): boolean {
    return this.ms < 0;
  }
  plus(other: Duration): Duration {
    return new Duration(this.ms + other.ms);
  }
  times(factor: number): Duration {
    return new Duration(Math.round(this.ms * factor));
  }
  compare(other: Duration): number {
    return this.ms - other.ms;
  }
  equals(other: Duration): boolean {
    return this.ms === other.ms;
  }

  /** Prometheus/Alertmanager duration text in the largest exact units: 90s -> `1m30s`, 30d -> `30d`. */
  toPromDuration(): string {
    if (this.ms < 0) throw new ConfigError('Duration', 'length', `${this.ms} ms`, 'zero or more: a negative Duration has no Prometheus form');
    if (this.ms === 0) return '0s';
    let rest = this.ms;
    let out = '';
    for (const [unit, secs] of PROM_UNITS) {
      const size = secs * 1000;
      if (rest >= size) {
        out += `${Math.floor(rest / size)}${unit}`;
        rest %= size;
      }
    }
    if (rest > 0) out += `${rest}ms`;
    return out;
  }

  /** Human text for docs and messages: `2 minutes`, `1 hour 30 minutes`. */
  toHuman(): string {
    const names: Record<string, string> = { y: 'year', w: 'week', d: 'day', h: 'hour', m: 'minute', s: 'second' };
    const parts: string[] = [];
    let rest = this.ms;
    for (const [unit, secs] of PROM_UNITS) {
      const size = secs * 1000;
      if (rest >= size) {
        const n = Math.floor(rest / size);
        parts.push(`${n} ${names[unit]}${n === 1 ? '' : 's'}`);
        rest %= size;
      }
    }
    if (rest > 0) parts.push(`${rest} ms`);
    return parts.length ? parts.join(' ') : '0 seconds';
  }

  /** Prometheus text, with a leading `-` for negative values so error messages can show them. */
  toString(): string {
    return this.ms < 0 ? `-${new Duration(-this.ms).toPromDuration()}` : this.toPromDuration();
  }
}

/**
 * Dimensions of the quantities a query can return. A threshold must have its query's dimension,
 * checked by the compiler: `Quantity<'ratio'>` and `Quantity<'time'>` are different types.
 * - ratio: dimensionless fraction (percent and ratio are two units of it)
 * - time: seconds
 * - rate: events per second (per-hour and per-minute are units of it)
 * - cpu: CPU cores (what rate() of a CPU-seconds counter gives)
 * - count, bytes, usd: plain amounts
 */
export type Dimension = 'ratio' | 'time' | 'rate' | 'cpu' | 'count' | 'bytes' | 'usd';

/**
 * A unit of a dimension. Its size relative to the dimension's base unit is the exact fraction
 * `num / den` (percent = 1/100, per hour = 1/3600 per second), so conversions between units are
 * computed from integers and stay exact (x per second is 3600·x per hour, not 3599.99…).
 */
export class Unit<D extends Dimension> {
  constructor(
    readonly dimension: D,
    /** Name used in messages: `percent`. */
    readonly name: string,
    readonly num: number,
    readonly den: number,
    /** Formats an amount in this unit for people: `5%`, `1 per hour`. */
    readonly format: (amount: number) => string,
    /** Go template that renders an alert's `$value` (in this unit) for people. */
    readonly valueTemplate: string,
    /** Grafana's unit id for a panel showing values in this unit. */
    readonly grafanaUnit: string,
  ) {}

  /** The factor that converts an amount in this unit into an amount in `other`. */
  factorTo(other: Unit<D>): number {
    // Rounded to 12 significant digits: the integer fraction is exact, the division may not be.
    return Number(((this.num * other.den) / (this.den * other.num)).toPrecision(12));
  }
}

const plural = (n: number, word: string): string => `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;
/** Numbers in docs: no float noise (0.1 + 0.2), no trailing zeros. */
export function fmt(n: number): string {
  return String(Number(n.toPrecision(10)));
}

export const Units = {
  RATIO: new Unit('ratio', 'ratio', 1, 1, (n) => `${fmt(n * 100)}%`, '{{ $value | humanizePercentage }}', 'percentunit'),
  PERCENT: new Unit('ratio', 'percent', 1, 100, (n) => `${fmt(n)}%`, '{{ $value | humanize }}%', 'percent'),
  SECONDS: new Unit('time', 'seconds', 1, 1, (n) => plural(n, 'second'), '{{ $value | humanizeDuration }}', 's'),
  MILLISECONDS: new Unit('time', 'milliseconds', 1, 1000, (n) => `${fmt(n)} ms`, '{{ $value | humanize }}ms', 'ms'),
  PER_SECOND: new Unit('rate', 'per second', 1, 1, (n) => `${fmt(n)} per second`, '{{ $value | printf "%.2f" }} per second', 'ops'),
  PER_MINUTE: new Unit('rate', 'per minute', 1, 60, (n) => `${fmt(n)} per minute`, '{{ $value | printf "%.2f" }} per minute', 'opm'),
  PER_HOUR: new Unit('rate', 'per hour', 1, 3600, (n) => `${fmt(n)} per hour`, '{{ $value | printf "%.2f" }} per hour', 'short'),
  CORES: new Unit('cpu', 'cores', 1, 1, (n) => plural(n, 'core'), '{{ $value | humanize }} cores', 'short'),
  // Whole numbers: an increase() is extrapolated to the window's edges ("restarted 1.034 times"); counts of things are whole anyway.
  COUNT: new Unit('count', 'count', 1, 1, (n) => fmt(n), '{{ $value | printf "%.0f" }}', 'short'),
  BYTES: new Unit('bytes', 'bytes', 1, 1, (n) => plural(n, 'byte'), '{{ $value | humanize1024 }}B', 'bytes'),
  MEBIBYTES: new Unit('bytes', 'MiB', 1048576, 1, (n) => `${fmt(n)} MiB`, '{{ $value | humanize }} MiB', 'mbytes'),
  USD: new Unit('usd', 'USD', 1, 1, (n) => `${fmt(n)} USD`, '{{ $value | humanize }} USD', 'currencyUSD'),
} as const;

/** An amount in a unit: a threshold, or a value of a query. Immutable. */
export class Quantity<D extends Dimension> {
  constructor(
    readonly amount: number,
    readonly unit: Unit<D>,
  ) {
    if (typeof amount !== 'number' || !Number.isFinite(amount)) {
      throw new ConfigError('Quantity', `amount in ${unit.name}`, String(amount), 'a finite number (not NaN or Infinity)');
    }
  }
  get dimension(): D {
    return this.unit.dimension;
  }
  /** The amount expressed in another unit of the same dimension. */
  in(unit: Unit<D>): number {
    return Number((this.amount * this.unit.factorTo(unit)).toPrecision(12));
  }
  /** The same quantity scaled: used to probe just above and below a threshold. */
  times(factor: number): Quantity<D> {
    return new Quantity(Number((this.amount * factor).toPrecision(12)), this.unit);
  }
  toString(): string {
    return this.unit.format(this.amount);
  }
}

export type Ratio = Quantity<'ratio'>;
export type Seconds = Quantity<'time'>;
export type Rate = Quantity<'rate'>;
export type Cores = Quantity<'cpu'>;
export type Count = Quantity<'count'>;
export type Bytes = Quantity<'bytes'>;
export type Usd = Quantity<'usd'>;

/** `percent(5)` is 5%, the same quantity as `ratio(0.05)`. */
export const percent = (n: number): Ratio => new Quantity(n, Units.PERCENT);
export const ratio = (n: number): Ratio => new Quantity(n, Units.RATIO);
export const seconds = (n: number): Seconds => new Quantity(n, Units.SECONDS);
export const milliseconds = (n: number): Seconds => new Quantity(n, Units.MILLISECONDS);
export const perSecond = (n: number): Rate => new Quantity(n, Units.PER_SECOND);
export const perMinute = (n: number): Rate => new Quantity(n, Units.PER_MINUTE);
export const perHour = (n: number): Rate => new Quantity(n, Units.PER_HOUR);
export const cores = (n: number): Cores => new Quantity(n, Units.CORES);
export const count = (n: number): Count => new Quantity(n, Units.COUNT);
export const bytes = (n: number): Bytes => new Quantity(n, Units.BYTES);
export const mebibytes = (n: number): Bytes => new Quantity(n, Units.MEBIBYTES);
export const usd = (n: number): Usd => new Quantity(n, Units.USD);

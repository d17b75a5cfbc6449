/**
 * Typed quantities. A period is a Duration, never a bare number, so `for: 10` (seconds? minutes?)
 * cannot be written.
 */

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
    if (!/^(\d+(ms|y|w|d|h|m|s))+$/.test(text)) {
      throw new Error(`'${text}' is not a Prometheus duration (e.g. 30s, 5m, 1h30m, 30d)`);
    }
    let ms = 0;
    for (const m of text.matchAll(re)) {
      const n = Number(m[1]);
      ms += m[2] === 'ms' ? n : n * 1000 * PARSE_UNITS[m[2]];
    }
    return new Duration(ms);
  }

  private constructor(private readonly ms: number) {
    if (!Number.isFinite(ms) || !Number.isInteger(ms)) {
      throw new Error(`a Duration must be a whole number of milliseconds, got ${ms}`);
    }
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
    if (this.ms < 0) throw new Error(`a negative Duration (${this.ms} ms) has no Prometheus form`);
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

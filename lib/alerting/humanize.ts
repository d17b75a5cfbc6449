/**
 * TypeScript versions of the template functions Prometheus applies to `$value` (Go's
 * template/funcs), so that generated promtool tests can expect the exact annotation text.
 */

/**
 * The 4 significant digits and decimal exponent of |v|, rounded like Go: to nearest, and an exact
 * tie to even (JavaScript's toExponential rounds a tie up: 123450 gives 1.235e+5, Go 1.234e+05).
 */
function round4(v: number): { digits: string; exp: number } {
  const exact = Math.abs(v).toExponential(40); // enough digits to see an exact tie
  const [m, e] = exact.split('e');
  const all = m.replace('.', '');
  const tie = all[4] === '5' && /^0*$/.test(all.slice(5)) && Number(all[3]) % 2 === 0;
  if (tie) return { digits: all.slice(0, 4), exp: Number(e) };
  const [m2, e2] = Math.abs(v).toExponential(3).split('e');
  return { digits: m2.replace('.', ''), exp: Number(e2) };
}

/** Go's `%.4g`: 4 significant digits, trailing zeros removed, exponent with at least 2 digits. */
export function formatG4(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const sign = v < 0 ? '-' : '';
  const { digits, exp } = round4(v);
  const strip = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 4) {
    const n = Math.abs(exp);
    return `${sign}${strip(`${digits[0]}.${digits.slice(1)}`)}e${exp < 0 ? '-' : '+'}${n < 10 ? '0' : ''}${n}`;
  }
  // fixed notation: place the decimal point after exp + 1 digits
  const fixed = exp >= 0 ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}` : `0.${'0'.repeat(-exp - 1)}${digits}`;
  return sign + strip(fixed);
}

const SMALL = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];
const LARGE = ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];

export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return formatG4(v);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of LARGE) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const p of SMALL) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return formatG4(v) + prefix;
}

export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return formatG4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return formatG4(v) + prefix;
}

export function humanizePercentage(v: number): string {
  return `${formatG4(v * 100)}%`;
}

export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return formatG4(v);
  if (v === 0) return '0s';
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    v = Math.abs(v);
    const total = Math.trunc(v);
    const s = total % 60;
    const m = Math.trunc(total / 60) % 60;
    const h = Math.trunc(total / 3600) % 24;
    const d = Math.trunc(total / 86400);
    if (d) return `${sign}${d}d ${h}h ${m}m ${s}s`;
    if (h) return `${sign}${h}h ${m}m ${s}s`;
    if (m) return `${sign}${m}m ${s}s`;
    return `${sign}${formatG4(v)}s`;
  }
  let prefix = '';
  for (const p of SMALL) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${formatG4(v)}${prefix}s`;
}

/**
 * Renders `{{ $labels.x }}`, `{{ $value }}` and `{{ $value | fn }}` (fn one of the humanize
 * functions or `printf "%.Nf"`) the way Prometheus does; other templates are rejected.
 */
export function renderTemplate(text: string, labels: Readonly<Record<string, string>>, value: number): string {
  const re = /\{\{\s*(\$value|\$labels\.([a-zA-Z_][a-zA-Z0-9_]*))\s*(?:\|\s*([a-zA-Z0-9]+)(?:\s+"%\.(\d+)f")?\s*)?\}\}/g;
  return text.replace(re, (_all, what: string, label: string | undefined, fn: string | undefined, digits: string | undefined) => {
    if (label) return labels[label] ?? '';
    switch (fn) {
      case 'printf':
        if (digits === undefined) throw new Error('only printf "%.Nf" is supported by the test generator');
        return value.toFixed(Number(digits));
      case undefined:
        return String(value);
      case 'humanize':
        return humanize(value);
      case 'humanize1024':
        return humanize1024(value);
      case 'humanizePercentage':
        return humanizePercentage(value);
      case 'humanizeDuration':
        return humanizeDuration(value);
      default:
        throw new Error(`template function ${fn} of ${what} is not supported by the test generator`);
    }
  });
}

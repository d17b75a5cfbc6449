/**
 * YAML text of plain data (objects, arrays, strings, numbers, booleans, null), byte for byte what the
 * `yaml` package's `stringify(value, { lineWidth: 0, version })` writes, in a fraction of its time: the
 * package builds a node tree of every value before writing it, which was a third of a synth.
 *
 * Only the layout and the common scalars are written here: block maps and sequences, plain strings
 * that cannot be read as anything else, literal block scalars, integers. Any other scalar (quoted
 * strings, floats, words a YAML schema reads as booleans or null, keys that need quoting) is written
 * by the `yaml` package itself, one scalar at a time, and a value this does not know (undefined, a
 * Date, a Map...) hands the whole document to it. test/yaml.test.ts compares the two on every file
 * synth writes and on generated strings.
 */
import { stringify } from 'yaml';

/** The YAML schema the text is read with: `1.1` for Kubernetes manifests (as cdk8s writes them), `1.2` otherwise. */
export type YamlVersion = '1.1' | '1.2';

class Unsupported extends Error {}

// Control characters and lone surrogates: the package double-quotes these.
const NEEDS_ESCAPE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
// Plain (unquoted) only if it starts with a letter or one of these, and holds nothing a reader takes
// for a comment, a mapping or trailing space.
const PLAIN_START = /^[A-Za-z_/$(]/;
const NOT_PLAIN = /:[ \t]|[\t ]#|[\t :]$/;
// Words that are booleans or null in one schema or the other (`y`, `on`, `NULL`, `False`...), in any case.
const MAYBE_RESERVED = /^(y|yes|n|no|true|false|on|off|null)$/i;

const scalars = new Map<string, string>();

// Text a reader could take for a document marker or directive: how the package writes it depends on
// where it sits, so the whole document is the package's to write.
const MARKER = /^(%|---|\.\.\.)/m;

/** A scalar as the package writes it (outside any collection, where it needs no indentation). */
function byPackage(value: string | number, version: YamlVersion): string {
  if (typeof value === 'string' && MARKER.test(value)) throw new Unsupported();
  const key = `${version}\0${typeof value}\0${value}`;
  let text = scalars.get(key);
  if (text === undefined) {
    text = stringify(value, { lineWidth: 0, version }).replace(/\n$/, '');
    // A block scalar's layout depends on where it sits: that is the package's to write.
    if (text.includes('\n')) throw new Unsupported();
    scalars.set(key, text);
  }
  return text;
}

function plainOk(s: string): boolean {
  return PLAIN_START.test(s) && !s.includes('\n') && !NOT_PLAIN.test(s) && !MAYBE_RESERVED.test(s) && !NEEDS_ESCAPE.test(s) && !MARKER.test(s);
}

const keys = new Map<string, string>();

function key(k: string, version: YamlVersion): string {
  if (plainOk(k) && k.length <= 1024) return k;
  if (MARKER.test(k)) throw new Unsupported();
  const cacheKey = `${version}\0${k}`;
  let text = keys.get(cacheKey);
  if (text === undefined) {
    const pair = stringify({ [k]: 1 }, { lineWidth: 0, version });
    if (!pair.endsWith(': 1\n') || pair.slice(0, -4).includes('\n')) throw new Unsupported();
    text = pair.slice(0, -4);
    keys.set(cacheKey, text);
  }
  return text;
}

/** A multi-line string as a literal block scalar whose lines sit at `indent`; undefined where the package would not write one. */
function literal(value: string, indent: string): string | undefined {
  if (NEEDS_ESCAPE.test(value) || /\n[\t ]+$/.test(value)) return undefined;
  // Chomping from the whitespace at the end.
  let endStart = value.length;
  while (endStart > 0 && '\n\t '.includes(value[endStart - 1])) endStart--;
  let end = value.slice(endStart);
  const nl = end.indexOf('\n');
  const chomp = nl === -1 ? '-' : value === end || nl !== end.length - 1 ? '+' : '';
  if (end) {
    value = value.slice(0, -end.length);
    if (end.endsWith('\n')) end = end.slice(0, -1);
    end = end.replace(/(^|(?<!\n))\n+(?!\n|$)/g, `$&${indent}`);
  }
  // An indentation indicator when the text starts with a space.
  let startWithSpace = false;
  let startEnd = 0;
  let lastNl = -1;
  for (; startEnd < value.length; startEnd++) {
    if (value[startEnd] === ' ') startWithSpace = true;
    else if (value[startEnd] === '\n') lastNl = startEnd;
    else break;
  }
  let start = value.slice(0, lastNl < startEnd ? lastNl + 1 : startEnd);
  if (start) {
    value = value.slice(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = (startWithSpace ? '2' : '') + chomp;
  return `|${header}\n${indent}${start}${value.replace(/\n+/g, `$&${indent}`)}${end}`;
}

/** A scalar after `key: ` or `- `, whose block lines (if any) sit at `indent`. */
function scalar(v: unknown, indent: string, version: YamlVersion): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v) : byPackage(v, version);
  if (typeof v !== 'string') throw new Unsupported();
  if (v.includes('\n')) {
    const block = literal(v, indent);
    return block ?? byPackage(v, version);
  }
  return plainOk(v) ? v : byPackage(v, version);
}

const isMap = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** Lines of a collection whose entries start at `indent` (the first one's prefix is the caller's). */
function collection(v: Record<string, unknown> | unknown[], indent: string, version: YamlVersion): string {
  const out: string[] = [];
  const child = `${indent}  `;
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const at = i === 0 ? '' : indent;
      out.push(`${at}- ${value(item, child, version, true)}`);
    });
  } else {
    Object.entries(v).forEach(([k, item], i) => {
      const at = i === 0 ? '' : indent;
      out.push(`${at}${key(k, version)}:${nested(item, child, version)}`);
    });
  }
  return out.join('\n');
}

/** A value after `- ` (`inSeq`): a collection continues on the same line. */
function value(v: unknown, indent: string, version: YamlVersion, inSeq: boolean): string {
  if (Array.isArray(v) || isMap(v)) {
    const empty = Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
    if (empty) return Array.isArray(v) ? '[]' : '{}';
    if (inSeq) return collection(v, indent, version);
  }
  return scalar(v, indent, version);
}

/** What follows `key:` — a scalar on the same line, or a collection on the next ones. */
function nested(v: unknown, indent: string, version: YamlVersion): string {
  if (Array.isArray(v) && v.length > 0) return `\n${indent}${collection(v, indent, version)}`;
  if (isMap(v) && Object.keys(v).length > 0) return `\n${indent}${collection(v, indent, version)}`;
  return ` ${value(v, indent, version, false)}`;
}

export interface YamlOptions {
  /** @default '1.2' */
  readonly version?: YamlVersion;
  /** Undefined values of a map as `null` rather than left out (what cdk8s asks for). @default false */
  readonly keepUndefined?: boolean;
}

/** `value` as YAML text, as `stringify(value, { lineWidth: 0, ...options })` of the `yaml` package writes it. */
export function toYaml(v: unknown, options: YamlOptions = {}): string {
  const version = options.version ?? '1.2';
  try {
    if ((Array.isArray(v) || isMap(v)) && (Array.isArray(v) ? v.length : Object.keys(v).length) > 0) {
      return `${collection(v, '', version)}\n`;
    }
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
  }
  return stringify(v, { lineWidth: 0, version, keepUndefined: options.keepUndefined ?? false });
}

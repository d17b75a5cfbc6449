/**
 * `amtool config routes test` for many alerts against one alertmanager.yml. amtool (0.25) answers one
 * label set per process, and a test that routes every alert of the rules spawns it dozens of times.
 * Which receivers an alert reaches depends on its labels only through the verdicts of the routing
 * tree's matchers (match, match_re, matchers); label sets that give every matcher of the file the
 * same verdict take the same path, so amtool runs once per distinct verdict vector (and file, file
 * content and other arguments) and its answer is reused. A matcher this cannot read or evaluate
 * exactly turns the reuse off for that file: amtool then answers every label set itself.
 */
import * as fs from 'fs';
import { parse } from 'yaml';
import { run } from './helpers';

type Label = Record<string, string>;
/** A matcher as a predicate on the labels; undefined when it cannot be evaluated here exactly. */
type Verdict = (labels: Label) => boolean;

/** RE2 syntax JavaScript reads differently or not at all: such a regex is not evaluated here. */
const UNSAFE_REGEX = /\\[pPQEzACbBdDsSwW]|\(\?[a-zA-Z]|\[\[:|\\x\{/;

function regexVerdict(name: string, pattern: string, negate: boolean): Verdict | undefined {
  if (UNSAFE_REGEX.test(pattern)) return undefined;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch {
    return undefined;
  }
  return (l) => re.test(l[name] ?? '') !== negate;
}

/** One matcher string of `matchers` (`severity="critical"`, `job=~"a|b"`); undefined if unreadable. */
function parseMatcher(text: string): Verdict | undefined {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/.exec(text);
  if (!m) return undefined;
  const [, name, op, raw] = m;
  let value: string;
  if (raw.startsWith('"')) {
    // Alertmanager unquotes only \", \\ and \n; any other escape is read here as it would not be.
    const m2 = /^"((?:[^"\\]|\\["\\n])*)"$/.exec(raw);
    if (!m2) return undefined;
    value = m2[1].replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
  } else if (/^[a-zA-Z0-9_:.\-]*$/.test(raw)) {
    value = raw;
  } else {
    return undefined;
  }
  if (op === '=') return (l) => (l[name] ?? '') === value;
  if (op === '!=') return (l) => (l[name] ?? '') !== value;
  return regexVerdict(name, value, op === '!~');
}

/** Every matcher of the routing tree, or undefined if one of them cannot be evaluated exactly. */
function routeMatchers(route: Record<string, any>, out: Verdict[] = []): Verdict[] | undefined {
  for (const [name, value] of Object.entries((route.match ?? {}) as Label)) out.push((l) => (l[name] ?? '') === String(value));
  for (const [name, value] of Object.entries((route.match_re ?? {}) as Label)) {
    const v = regexVerdict(name, String(value), false);
    if (!v) return undefined;
    out.push(v);
  }
  for (const text of (route.matchers ?? []) as string[]) {
    const v = parseMatcher(text);
    if (!v) return undefined;
    out.push(v);
  }
  for (const child of (route.routes ?? []) as Array<Record<string, any>>) if (!routeMatchers(child, out)) return undefined;
  return out;
}

const answers = new Map<string, { code: number; output: string }>();
const matchersOf = new Map<string, Verdict[] | undefined>();

/** `amtool config routes test --config.file=<file> <args> <labels>`, amtool's answer reused for labels routed alike. */
export function routesTest(file: string, labels: Label, args: string[] = []): { code: number; output: string } {
  const text = fs.readFileSync(file, 'utf8');
  const fileKey = `${file}\0${text}`;
  if (!matchersOf.has(fileKey)) matchersOf.set(fileKey, routeMatchers(parse(text).route ?? {}));
  const matchers = matchersOf.get(fileKey);
  const labelKey = matchers ? matchers.map((v) => (v(labels) ? '1' : '0')).join('') : JSON.stringify(Object.entries(labels).sort());
  const key = JSON.stringify([fileKey, args, labelKey]);
  if (!answers.has(key)) {
    answers.set(key, run('amtool', ['config', 'routes', 'test', `--config.file=${file}`, ...args, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]));
  }
  return answers.get(key)!;
}

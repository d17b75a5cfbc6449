/**
 * lib/yaml.ts writes YAML byte for byte as the `yaml` package does (with lineWidth 0, as synth and
 * cdk8s call it): proven on every object and configuration file synth writes, and on generated
 * documents full of the characters and words that make YAML quote, escape or change type.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { toYaml, YamlOptions, YamlVersion } from '../lib/yaml';
import { allEnvironments } from '../lib/config';
import { environmentApp, renderManifests } from '../lib/synth';
import { listFiles, tempDir } from './helpers';

// Calls to the package are recorded (the test below counts what lib/yaml.ts hands to it).
jest.mock('yaml', () => {
  const actual = jest.requireActual('yaml');
  return { ...actual, stringify: jest.fn(actual.stringify) };
});

const pkg = (v: unknown, o: YamlOptions = {}): string =>
  stringify(v, { lineWidth: 0, version: o.version ?? '1.2', keepUndefined: o.keepUndefined ?? false });

describe('every file synth writes', () => {
  const docs: Array<[string, unknown, YamlOptions]> = [];
  for (const [env, config] of Object.entries(allEnvironments())) {
    const { app, extra } = environmentApp(config);
    for (const [file, text] of extra) if (/\.ya?ml$/.test(file)) docs.push([`${env} ${file}`, require('yaml').parse(text), {}]);
    for (const chart of app.charts) {
      for (const obj of Object.values(chart.toJson()) as any[]) {
        // As cdk8s writes manifests.
        docs.push([`${env} ${obj.kind}/${obj.metadata.name}`, obj, { version: '1.1', keepUndefined: true }]);
        for (const [file, text] of Object.entries<string>(obj.data ?? {})) {
          if (/\.ya?ml$/.test(file)) docs.push([`${env} ${obj.metadata.name}/${file}`, require('yaml').parse(text), {}]);
        }
      }
    }
  }

  test('there are manifests and embedded YAML files to compare', () => {
    expect(docs.filter(([, , o]) => o.version === '1.1').length).toBeGreaterThan(100);
    expect(docs.filter(([, , o]) => o.version !== '1.1').length).toBeGreaterThan(10);
  });

  test.each(docs.map(([name, doc, o]) => [name, doc, o] as const))('%s', (_name, doc, o) => {
    expect(toYaml(doc, o)).toBe(pkg(doc, o));
  });
});

describe("synth's manifest files are cdk8s's own", () => {
  test.each(Object.keys(allEnvironments()))('%s: renderManifests writes what App.synth() writes, file for file', (env) => {
    const out = tempDir('knowton-yaml-');
    const { app } = environmentApp(allEnvironments()[env]);
    // cdk8s's own writer, into a folder of the test's.
    (app as unknown as { outdir: string }).outdir = out;
    app.synth();
    const ours = renderManifests(environmentApp(allEnvironments()[env]).app);
    expect([...ours.keys()].sort()).toEqual(listFiles(out));
    for (const file of listFiles(out)) expect([file, ours.get(file)]).toEqual([file, fs.readFileSync(path.join(out, file), 'utf8')]);
  });

  test('the package writes only single scalars and keys on synth\'s data, never a whole document', () => {
    const recorded = stringify as unknown as jest.Mock;
    recorded.mockClear();
    for (const config of Object.values(allEnvironments())) renderManifests(environmentApp(config).app);
    // The recording works: a float is the package's to write.
    toYaml({ x: 0.123456789 });
    const calls = recorded.mock.calls.map((c) => c[0] as unknown);
    expect(calls).toContain(0.123456789);
    const whole = calls.filter((v) => typeof v === 'object' && v !== null && !(Object.keys(v).length === 1 && Object.values(v)[0] === 1));
    expect(whole).toEqual([]);
  });
});

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHARS = ['a', 'Z', 'k', '0', '9', ' ', ' ', '\t', '\n', '\n', ':', '#', '-', '?', '|', '>', '"', "'", '{', '}', '[', ']', ',', '&', '*', '!', '%',
  '@', '`', '.', '~', '=', '\\', '/', '$', '(', '_', '+', 'é', '\x01', '\x7f', '\u2028', '\ufeff', '😀'];
const WORDS = ['yes', 'No', 'on', 'OFF', 'y', 'N', 'true', 'False', 'null', 'Null', 'NULL', '~', '', ' ', '1e3', '0x1F', '0o7', '0b11', '1_000', '12:30',
  '190:20:30', '.inf', '-.Inf', '.NaN', '-.5', '+1', '007', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '<<', '=', '---', '...', '--- x', '%YAML',
  'a: b', 'a #b', 'a:', 'x\n', '\nx', ' x\n', 'x\n\n', 'x\n \n', 'x \ny', '  indented\nnext\n', 'line\n\n\nafter\n', 'tab\tin', 'trail ', '- item', '? q',
  'sum(rate(http_requests_total{status=~"5.."}[5m])) > 0.05', '{{ $labels.service }}', 'http://x:9090/api', 'prom/prometheus:v3.1.0',
  'Z'.repeat(1100), 'a\u2028%b', 'x\u2028--- y', 'cr\rlf', 'nel\u0085x'];

function string(rnd: () => number): string {
  if (rnd() < 0.35) return WORDS[Math.floor(rnd() * WORDS.length)];
  const n = Math.floor(rnd() * 12);
  let s = '';
  for (let i = 0; i < n; i++) s += CHARS[Math.floor(rnd() * CHARS.length)];
  return rnd() < 0.3 ? `${WORDS[Math.floor(rnd() * WORDS.length)]}${s}` : s;
}

function scalarValue(rnd: () => number): unknown {
  const r = rnd();
  if (r < 0.6) return string(rnd);
  if (r < 0.7) return Math.floor(rnd() * 2000) - 1000;
  if (r < 0.8) return [0.1, -0, 1e21, 2 ** 60, 1.5e-7, 3.14159, NaN, Infinity, -Infinity, 100.0][Math.floor(rnd() * 10)];
  if (r < 0.9) return rnd() < 0.5;
  return null;
}

function valueOf(rnd: () => number, depth: number): unknown {
  const r = rnd();
  if (depth > 3 || r < 0.45) return scalarValue(rnd);
  const n = Math.floor(rnd() * 4);
  if (r < 0.72) return Array.from({ length: n }, () => valueOf(rnd, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) o[rnd() < 0.7 ? string(rnd).slice(0, 20) || 'k' : string(rnd)] = valueOf(rnd, depth + 1);
  return o;
}

describe('generated documents', () => {
  for (const version of ['1.1', '1.2'] as YamlVersion[]) {
    test(`2000 documents under YAML ${version}`, () => {
      const rnd = random(version === '1.1' ? 11 : 12);
      const differ: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const doc = { top: valueOf(rnd, 0), list: [valueOf(rnd, 1), valueOf(rnd, 1)], [string(rnd) || 'x']: valueOf(rnd, 0) };
        if (toYaml(doc, { version }) !== pkg(doc, { version })) differ.push(JSON.stringify(doc));
      }
      expect(differ.slice(0, 3)).toEqual([]);
    });
  }

  test('each tricky word as a value, an item, a key and a block line, under both schemas', () => {
    for (const version of ['1.1', '1.2'] as YamlVersion[]) {
      for (const w of WORDS) {
        const doc = { v: w, l: [w, { k: w }], [w || 'e']: 1, b: `first\n${w}\nlast\n`, n: { deeper: [[w]] } };
        expect([w, toYaml(doc, { version })]).toEqual([w, pkg(doc, { version })]);
      }
    }
  });

  test('what it does not write itself goes to the package whole: undefined, dates, top-level scalars', () => {
    const odd = [{ a: undefined, b: 1 }, { d: new Date(0) }, 'top', 42, null, [], {}];
    for (const doc of odd) {
      expect(toYaml(doc, { keepUndefined: true })).toBe(pkg(doc, { keepUndefined: true }));
      expect(toYaml(doc)).toBe(pkg(doc));
    }
  });
});

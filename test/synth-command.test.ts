/**
 * The synth command itself, as `npm run synth` and the cdk8s CLI (cdk8s.yaml) run it: a new Node
 * process running main.ts bundled by scripts/run-bundled.js. It writes the committed dist/ and
 * runbooks byte for byte, and neither its bundle nor the transpile cache of scripts/register-ts.js
 * (which the other scripts use) ever runs code older than the source.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { listFiles, tempDir } from './helpers';

const ROOT = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const SYNTH = 'node scripts/run-bundled.js main.ts';

function node(args: string[], env: Record<string, string> = {}, cwd = ROOT): { code: number; output: string } {
  const r = spawnSync(process.execPath, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

function expectSameTree(actual: string, expected: string): void {
  expect(listFiles(actual)).toEqual(listFiles(expected));
  for (const f of listFiles(expected)) {
    expect([f, fs.readFileSync(path.join(actual, f), 'utf8')]).toEqual([f, fs.readFileSync(path.join(expected, f), 'utf8')]);
  }
}

test('npm run synth and cdk8s.yaml run the same command', () => {
  expect(pkg.scripts.synth).toBe(SYNTH);
  expect(parse(fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8')).app).toBe(SYNTH);
});

test('the command writes the committed dist/ and docs/runbooks/ byte for byte', () => {
  const out = tempDir('knowton-synth-cmd-');
  // CDK8S_OUTDIR is how the cdk8s CLI names the output directory.
  // A bundle cache of its own: the test proves a bundle built from the current source.
  const r = node(['scripts/run-bundled.js', 'main.ts'], {
    CDK8S_OUTDIR: path.join(out, 'dist'), KNOWTON_RUNBOOKS_DIR: path.join(out, 'runbooks'), KNOWTON_BUNDLE_CACHE: path.join(out, 'bundle'),
  });
  expect(r).toMatchObject({ code: 0 });
  expect(r.output).toContain(`dev -> ${path.join(out, 'dist')}/: `);
  expectSameTree(path.join(out, 'dist'), path.join(ROOT, 'dist'));
  expectSameTree(path.join(out, 'runbooks'), path.join(ROOT, 'docs', 'runbooks'));
});

test('arguments are refused with the usage, and nothing is written: `npm run synth -- --outdir out` would otherwise write dist/', () => {
  const out = tempDir('knowton-synth-args-');
  const r = node(['scripts/run-bundled.js', 'main.ts', '--outdir', 'out'], { KNOWTON_OUTDIR: path.join(out, 'dist'), KNOWTON_RUNBOOKS_DIR: path.join(out, 'runbooks') });
  expect(r.code).toBe(2);
  expect(r.output).toContain('synth: no arguments are taken, but it was given "--outdir" "out"; nothing was written.');
  expect(r.output).toContain('Usage: npm run synth');
  expect(fs.readdirSync(out)).toEqual([]);
});

test('the transpile cache follows the source: a changed file runs its new code', () => {
  const dir = tempDir('knowton-register-');
  const file = path.join(dir, 'answer.ts');
  const run = (): string => node(['-r', path.join(ROOT, 'scripts', 'register-ts.js'), file], {}, dir).output.trim();
  fs.writeFileSync(file, 'const answer: number = 41;\nconsole.log(answer);\n');
  expect(run()).toBe('41');
  expect(run()).toBe('41');
  fs.writeFileSync(file, 'const answer: number = 42;\nconsole.log(answer);\n');
  expect(run()).toBe('42');
});

test('a syntax error names the file instead of running stale code', () => {
  const dir = tempDir('knowton-register-');
  const file = path.join(dir, 'broken.ts');
  fs.writeFileSync(file, 'const x: number = ;\n');
  const r = node(['-r', path.join(ROOT, 'scripts', 'register-ts.js'), file], {}, dir);
  expect(r.code).not.toBe(0);
  expect(r.output).toContain(`${file}: Expression expected.`);
});

describe('the bundle of scripts/run-bundled.js', () => {
  // Entry files outside the checkout, each test with a cache of its own.
  function setup(): { dir: string; run: (...args: string[]) => { code: number; output: string } } {
    const dir = tempDir('knowton-bundle-');
    const cache = path.join(dir, 'cache');
    return { dir, run: (...args) => node([path.join(ROOT, 'scripts', 'run-bundled.js'), ...args], { KNOWTON_BUNDLE_CACHE: cache }, dir) };
  }

  test('follows the source: a changed imported file runs its new code; arguments reach the program', () => {
    const { dir, run } = setup();
    fs.writeFileSync(path.join(dir, 'main.ts'), "import { answer } from './answer';\nconsole.log(answer, process.argv.slice(2).join(' '));\n");
    fs.writeFileSync(path.join(dir, 'answer.ts'), 'export const answer: number = 41;\n');
    expect(run('main.ts', 'a', 'b').output.trim()).toBe('41 a b');
    expect(run('main.ts').output.trim()).toBe('41');
    // Same size, so only the modification time tells the change.
    fs.writeFileSync(path.join(dir, 'answer.ts'), 'export const answer: number = 42;\n');
    fs.utimesSync(path.join(dir, 'answer.ts'), new Date(), new Date(Date.now() + 5000));
    expect(run('main.ts').output.trim()).toBe('42');
  });

  test('a syntax error names the file, line and column, and nothing runs', () => {
    const { dir, run } = setup();
    fs.writeFileSync(path.join(dir, 'main.ts'), "import './broken';\nconsole.log('ran');\n");
    fs.writeFileSync(path.join(dir, 'broken.ts'), 'export const a = 1;\nconst x: number = ;\n');
    const r = run('main.ts');
    expect(r.code).toBe(1);
    expect(r.output).toContain(`${path.join(dir, 'broken.ts')}:2:19: Unexpected ";"`);
    expect(r.output).not.toContain('ran');
  });

  test('KNOWTON_DEBUG=1 gives stack traces in the TypeScript source', () => {
    const { dir, run } = setup();
    fs.writeFileSync(path.join(dir, 'main.ts'), "\n\nconst e: Error = new Error('where?');\nconsole.log(process.env.KNOWTON_DEBUG === '1' ? e.stack : 'no debug');\n");
    expect(run('main.ts').output).toContain('no debug');
    const r = node([path.join(ROOT, 'scripts', 'run-bundled.js'), 'main.ts'], { KNOWTON_BUNDLE_CACHE: path.join(dir, 'cache'), KNOWTON_DEBUG: '1' }, dir);
    expect(r.output).toContain(`${path.join(dir, 'main.ts')}:3:`);
  });
});

/**
 * The synth command itself, as `npm run synth` and the cdk8s CLI (cdk8s.yaml) run it: a new Node
 * process through scripts/register-ts.js (no ts-node). It writes the committed dist/ and runbooks
 * byte for byte, and its transpile cache never serves JavaScript for a source that changed.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { listFiles, tempDir } from './helpers';

const ROOT = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const SYNTH = 'node -r ./scripts/register-ts.js main.ts';

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
  const r = node(['-r', './scripts/register-ts.js', 'main.ts'], { CDK8S_OUTDIR: path.join(out, 'dist'), KNOWTON_RUNBOOKS_DIR: path.join(out, 'runbooks') });
  expect(r).toMatchObject({ code: 0 });
  expect(r.output).toContain(`dev -> ${path.join(out, 'dist')}/: `);
  expectSameTree(path.join(out, 'dist'), path.join(ROOT, 'dist'));
  expectSameTree(path.join(out, 'runbooks'), path.join(ROOT, 'docs', 'runbooks'));
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

/**
 * `npm run synth` never damages a checkout, swaps its folders crash-safely and fails in one line.
 * Every case works in a temporary copy of the project (never in this checkout) and compares every
 * file of the copy, and of any other folder involved, before and after. Cases that need a folder
 * relative to the checkout, a module that fails to load or a SIGKILL run main.ts as its own process
 * in the copy; the others call synthAll here with absolute folders and print its failure as main.ts
 * does (lib/failure.ts). Cases that point synth at a folder it must never replace also set
 * KNOWTON_TEST_FAIL_AT=lock: had synth not refused it, it would fail at its first write instead.
 * Tests run as root, for whom permission bits do not stop a write: an unwritable folder is made
 * immutable with chattr +i (where the file system allows it), or a file stands where a folder should be.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { StackConfig, allEnvironments } from '../lib/config';
import { failureLines } from '../lib/failure';
import { RenderedEnvironment, synthAll } from '../lib/synth';
import { tempDir } from './helpers';

// main.ts runs as a process of its own many times (about 1.5 s of CPU each), on a machine that may be busy.
jest.setTimeout(180000);

const ROOT = path.join(__dirname, '..');
const PROJECT = ['main.ts', 'lib', 'rules', 'dashboards', 'slos', 'scripts/register-ts.js', 'tsconfig.json', 'package.json', 'cdk8s.yaml', 'dist', 'docs'];

const copies: string[] = [];
afterAll(() => copies.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A copy of the project's synth inputs and outputs, node_modules linked; returns its root. */
function copyProject(): string {
  copies.push(tempDir('knowton-safety-'));
  const root = path.join(copies[copies.length - 1], 'checkout');
  fs.mkdirSync(root);
  for (const entry of PROJECT) fs.cpSync(path.join(ROOT, entry), path.join(root, entry), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
  return root;
}

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string }

/**
 * A synth in `cwd`: the copy's main.ts through its scripts/register-ts.js. `npm run synth` runs the same
 * main.ts bundled (scripts/run-bundled.js, proven in test/synth-command.test.ts), whose bundle each copy
 * would rebuild; the transpile cache (in the linked node_modules, keyed by the path in the project) is this
 * checkout's: warm, so each run costs a synth, not a transpile of every file.
 */
function synth(cwd: string, env: Record<string, string> = {}): Run {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KNOWTON_')));
  const r = spawnSync(process.execPath, ['-r', './scripts/register-ts.js', 'main.ts'], {
    cwd, env: { ...clean, ...env }, encoding: 'utf8', timeout: 60000,
  });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Every entry below `dir` (node_modules not followed): files with their bytes, links with their target. */
function tree(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    const rel = `${prefix}${e.name}`;
    if (e.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(full)}`;
    else if (e.isDirectory()) Object.assign(out, { [`${rel}/`]: 'dir' }, tree(full, `${rel}/`));
    else out[rel] = fs.readFileSync(full).toString('base64');
  }
  return out;
}

/**
 * Each environment rendered once for every synthAll here: these cases are about the folders, and what a
 * render of the profiles gives is compared with the committed dist/ (NEW) where it is written.
 */
const RENDERED = new Map<StackConfig, RenderedEnvironment>();

/** The files of the committed dist/ and docs/runbooks/: what a fresh synth writes (foundation.test.ts checks that). */
const NEW = { dist: tree(path.join(ROOT, 'dist')), runbooks: tree(path.join(ROOT, 'docs', 'runbooks')) };

/** Hidden leftovers of synth beside its folders. */
function leftovers(root: string): string[] {
  return [...fs.readdirSync(root), ...fs.readdirSync(path.join(root, 'docs')).map((f) => `docs/${f}`)]
    .filter((f) => /(^|\/)\.(dist|runbooks)\.synth-|\.dist-(staging|previous)-/.test(f)).sort();
}

const chattrWorks = (() => {
  const dir = tempDir('knowton-chattr-');
  const ok = spawnSync('chattr', ['+i', dir]).status === 0;
  if (ok) spawnSync('chattr', ['-i', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
  return ok;
})();

const appendTo = (file: string, code: string) => fs.appendFileSync(file, `\n${code}\n`);
const UNTOUCHED = 'dist/ and docs/runbooks/ were left as they were.';

/** Snapshot of `folders` (a file's bytes, a folder's tree), to compare before and after. */
const snapshot = (folders: string[]) => folders.map((f) => (fs.statSync(f).isDirectory() ? tree(f) : fs.readFileSync(f, 'base64')));

/** Runs `f` with environment variables set, restoring them afterwards. */
function withEnv<T>(vars: Record<string, string>, f: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return f();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

// Cases whose folder is given relative to the checkout, or that need main.ts itself: main.ts as its
// own process, in a copy of the project. [name, prepares the copy and returns synth's environment, stderr]
const viaMain: Array<[string, (root: string) => Record<string, string>, RegExp[]]> = [
  ['an empty KNOWTON_OUTDIR', () => ({ KNOWTON_OUTDIR: '' }), [
    /^synth failed: KNOWTON_OUTDIR: invalid output directory "": a folder of its own for synth's output, such as dist$/,
    /^KNOWTON_OUTDIR="" and docs\/runbooks\/ were left as they were\.$/,
  ]],
  ['KNOWTON_OUTDIR=. (the checkout)', () => ({ KNOWTON_OUTDIR: '.' }), [
    /^synth failed: KNOWTON_OUTDIR: invalid output directory "\.": a folder of its own, not the checkout \(\/.*\/checkout\) or a folder containing it$/,
    /^\.\/ and docs\/runbooks\/ were left as they were\.$/,
  ]],
  ['KNOWTON_OUTDIR=.. (a folder containing the checkout)', () => ({ KNOWTON_OUTDIR: '..' }), [
    /^synth failed: KNOWTON_OUTDIR: invalid output directory "\.\.": a folder of its own, not the checkout \(\/.*\/checkout\) or a folder containing it$/,
    /^\.\.\/ and docs\/runbooks\/ were left as they were\.$/,
  ]],
  ['KNOWTON_OUTDIR=docs', () => ({ KNOWTON_OUTDIR: 'docs' }), [
    /^synth failed: KNOWTON_OUTDIR: invalid output directory "docs": a folder of its own, not in the checkout's docs\/$/,
    /^docs\/ and docs\/runbooks\/ were left as they were\.$/,
  ]],
  ['KNOWTON_OUTDIR=lib/out (in a source folder) and KNOWTON_RUNBOOKS_DIR=docs', () => ({ KNOWTON_OUTDIR: 'lib/out', KNOWTON_RUNBOOKS_DIR: 'docs' }), [
    /^synth failed: KNOWTON_OUTDIR: invalid output directory "lib\/out": a folder of its own, not in the checkout's lib\/$/,
    /^lib\/out\/ and docs\/ were left as they were\.$/,
  ]],
  // dist/prod holds only file names a synth writes (and no marker of its own): without the check the dev
  // stack, with staging/, prod/ and operator/ inside, would replace the checkout's prod manifests.
  ['KNOWTON_OUTDIR=dist/prod (inside the checkout\'s synth output)', () => ({ KNOWTON_OUTDIR: 'dist/prod' }), [
    /^synth failed: KNOWTON_OUTDIR: invalid output directory "dist\/prod": a folder of its own, not inside \/.*\/checkout\/dist, which a synth writes as a whole \(its \.knowton-synth says so\)$/,
    /^dist\/prod\/ and docs\/runbooks\/ were left as they were\.$/,
  ]],
  ['KNOWTON_RUNBOOKS_DIR=dist/runbooks with the manifests elsewhere', () => ({ KNOWTON_OUTDIR: 'out', KNOWTON_RUNBOOKS_DIR: 'dist/runbooks' }), [
    /^synth failed: KNOWTON_RUNBOOKS_DIR: invalid runbooks directory "dist\/runbooks": a folder of its own, not inside \/.*\/checkout\/dist, which a synth writes as a whole \(its \.knowton-synth says so\)$/,
    /^out\/ and dist\/runbooks\/ were left as they were\.$/,
  ]],
  ['the home folder (a temporary HOME)', (root) => {
    const home = path.join(path.dirname(root), 'home');
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
    fs.writeFileSync(path.join(home, '.ssh', 'id_ed25519'), 'key\n');
    return { HOME: home, KNOWTON_OUTDIR: home };
  }, [
    /^synth failed: KNOWTON_OUTDIR: invalid output directory "\/.*\/home": a folder of its own, not the home folder \(\/.*\/home\) or a folder containing it$/,
    /^\/.*\/home\/ and docs\/runbooks\/ were left as they were\.$/,
  ]],
  ['an error while loading the rules', (root) => (appendTo(path.join(root, 'rules', 'index.ts'), "throw new Error('a broken rule file');"), {}), [
    /^synth failed: Error: a broken rule file \(at rules\/index\.ts:\d+:\d+\)$/,
    /^dist\/ and docs\/runbooks\/ were left as they were\.$/,
  ]],
  ['a ConfigError in prod only', (root) => (appendTo(path.join(root, 'lib', 'config.ts'), "(ENVIRONMENTS as any).prod = { ...ENVIRONMENTS.prod, ingress: { domain: 'Knowton_io' } };"), {}), [
    /^synth failed: \[prod\] ingress\/ingress: invalid domain "Knowton_io": a lowercase DNS name/,
    /^dist\/ and docs\/runbooks\/ were left as they were\.$/,
  ]],
];

// Cases given absolute folders: synthAll in this process, its failure printed as main.ts prints it.
// [name, prepares the copy (root) and its parent (tmp), returns synthAll's options and the
//  environment variables to set, and the folders besides the copy to compare; the expected stderr]
/** `config` with `field` replaced by a getter that fails as a bug in the code would (a TypeError). */
function brokenGetter<T extends object>(config: T, field: string): T {
  const copy = { ...config };
  Object.defineProperty(copy, field, { enumerable: true, get: () => (undefined as unknown as string[]).length });
  return copy;
}

interface InProcess {
  options: { outdir?: string; runbooksDir?: string; environments?: Record<string, StackConfig> };
  env?: Record<string, string>;
  extra?: string[];
  teardown?: () => void;
}
const inProcess: Array<[string, (root: string, tmp: string) => InProcess, (root: string, tmp: string) => Array<string | RegExp>]> = [
  ['/', (root) => ({ options: { outdir: '/', runbooksDir: `${root}/docs/runbooks` }, env: { KNOWTON_TEST_FAIL_AT: 'lock' } }), (root) => [
    'synth failed: KNOWTON_OUTDIR: invalid output directory "/": a folder of its own, not the file-system root',
    `/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
  ['a ~ the shell did not expand (quoted)', (root) => ({ options: { outdir: '~/out', runbooksDir: `${root}/docs/runbooks` }, env: { KNOWTON_TEST_FAIL_AT: 'lock' } }), (root) => [
    'synth failed: KNOWTON_OUTDIR: invalid output directory "~/out": a path the shell has expanded: a quoted ~ is a folder named ~ here; use $HOME/...',
    `~/out/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
  ['a folder holding a file synth did not write', (root, tmp) => {
    fs.mkdirSync(path.join(tmp, 'out', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'out', 'sub', 'notes.txt'), 'mine\n');
    return { options: { outdir: `${tmp}/out`, runbooksDir: `${root}/docs/runbooks` }, env: { KNOWTON_TEST_FAIL_AT: 'lock' }, extra: [`${tmp}/out`] };
  }, (root, tmp) => [
    `synth failed: KNOWTON_OUTDIR: invalid output directory "${tmp}/out": a folder holding only what synth writes, but it holds sub/notes.txt, which synth did not write`,
    `${tmp}/out/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
  ['dist/ holding a file synth did not write', (root) => {
    fs.writeFileSync(path.join(root, 'dist', 'my-notes.md'), 'mine\n');
    return { options: { outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks` }, env: { KNOWTON_TEST_FAIL_AT: 'lock' } };
  }, (root) => [
    `synth failed: KNOWTON_OUTDIR: invalid output directory "${root}/dist": a folder holding only what synth writes, but it holds my-notes.md, which synth did not write`,
    `${root}/dist/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
  ['the runbooks in docs/ itself (pages synth did not write)', (root) => ({ options: { outdir: `${root}/dist`, runbooksDir: `${root}/docs` }, env: { KNOWTON_TEST_FAIL_AT: 'lock' } }), (root) => [
    `synth failed: KNOWTON_RUNBOOKS_DIR: invalid runbooks directory "${root}/docs": a folder holding only what synth writes, but it holds instrumentation.md, which synth did not write`,
    `${root}/dist/ and ${root}/docs/ were left as they were.`,
  ]],
  ['docs/runbooks holding a page synth did not write', (root) => {
    fs.writeFileSync(path.join(root, 'docs', 'runbooks', 'OnCallNotes.md'), '# mine\n');
    return { options: { outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks` }, env: { KNOWTON_TEST_FAIL_AT: 'lock' } };
  }, (root) => [
    `synth failed: KNOWTON_RUNBOOKS_DIR: invalid runbooks directory "${root}/docs/runbooks": a folder holding only what synth writes, but it holds OnCallNotes.md, which synth did not write`,
    `${root}/dist/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
  // A new output directory (no marker yet): the check of the two folders together refuses it.
  ['the runbooks inside the output directory', (_root, tmp) => ({ options: { outdir: `${tmp}/out`, runbooksDir: `${tmp}/out/runbooks` }, env: { KNOWTON_TEST_FAIL_AT: 'lock' } }), (_root, tmp) => [
    `synth failed: KNOWTON_RUNBOOKS_DIR: invalid runbooks directory "${tmp}/out/runbooks": a folder of its own, neither inside the output directory (${fs.realpathSync(tmp)}/out) nor containing it`,
    `${tmp}/out/ and ${tmp}/out/runbooks/ were left as they were.`,
  ]],
  ['the runbooks in the committed dist/ (inside a synth output)', (root) => ({ options: { outdir: `${root}/dist`, runbooksDir: `${root}/dist/runbooks` }, env: { KNOWTON_TEST_FAIL_AT: 'lock' } }), (root) => [
    `synth failed: KNOWTON_RUNBOOKS_DIR: invalid runbooks directory "${root}/dist/runbooks": a folder of its own, not inside ${fs.realpathSync(root)}/dist, which a synth writes as a whole (its .knowton-synth says so)`,
    `${root}/dist/ and ${root}/dist/runbooks/ were left as they were.`,
  ]],
  ['an unwritable parent of dist/ (a file where a folder is expected)', (root, tmp) => {
    fs.writeFileSync(path.join(tmp, 'afile'), 'x\n');
    return { options: { outdir: `${tmp}/afile/dist`, runbooksDir: `${root}/docs/runbooks` }, extra: [`${tmp}/afile`] };
  }, (root, tmp) => [
    new RegExp(`^synth failed: (EEXIST|ENOTDIR): [^,]+, mkdir '${tmp}/afile'$`),
    `${tmp}/afile/dist/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
  ...(chattrWorks ? [
    ['a read-only docs/ (chattr +i)', (root: string) => {
      spawnSync('chattr', ['+i', path.join(root, 'docs')]);
      return { options: { outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks` }, teardown: () => spawnSync('chattr', ['-i', path.join(root, 'docs')]) };
    }, (root: string) => [
      new RegExp(`^synth failed: (EPERM|EACCES): [^,]+, open '${fs.realpathSync(root)}/docs/\\.runbooks\\.synth-lock'$`),
      `${root}/dist/ and ${root}/docs/runbooks/ were left as they were.`,
    ]],
    ['a read-only checkout, the parent of dist/ (chattr +i)', (root: string) => {
      spawnSync('chattr', ['+i', root]);
      return { options: { outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks` }, teardown: () => spawnSync('chattr', ['-i', root]) };
    }, (root: string) => [
      new RegExp(`^synth failed: (EPERM|EACCES): [^,]+, open '${fs.realpathSync(root)}/\\.dist\\.synth-lock'$`),
      `${root}/dist/ and ${root}/docs/runbooks/ were left as they were.`,
    ]],
  ] as typeof inProcess : []),
  ['a failure between the renames of docs/runbooks (injected): both swaps are undone', (root) => ({
    options: { outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks` }, env: { KNOWTON_TEST_FAIL_AT: 'in-runbooks' },
  }), (root) => [
    'synth failed: EIO: injected by KNOWTON_TEST_FAIL_AT at step in-runbooks',
    `${root}/dist/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
  ['another synth holding the lock (a live pid)', (root) => {
    fs.writeFileSync(path.join(root, '.dist.synth-lock'), `${process.ppid}\n`);
    return { options: { outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks` } };
  }, (root) => [
    `synth failed: EBUSY: another synth (pid ${process.ppid}) is writing ${root}/dist/: it holds ${fs.realpathSync(root)}/.dist.synth-lock (delete that file if pid ${process.ppid} is no synth)`,
    `${root}/dist/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
  ['an environment named ../escape', (root) => ({
    options: { outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks`, environments: { ...allEnvironments(), '../escape': { ...allEnvironments().dev, environment: '../escape' } } },
  }), (root) => [
    /^synth failed: environments: invalid environment name "\.\.\/escape": a DNS-1123 label: /,
    `${root}/dist/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
  ['an environment named dashboards', (root) => ({
    options: { outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks`, environments: { ...allEnvironments(), dashboards: { ...allEnvironments().dev, environment: 'dashboards' } } },
  }), (root) => [
    'synth failed: environments: invalid environment name "dashboards": not dashboards, the folder synth writes the plain dashboard files to',
    `${root}/dist/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
  ['an environment whose `environment` is not its name', (root) => ({
    options: { outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks`, environments: { ...allEnvironments(), qa: allEnvironments().staging } },
  }), (root) => [
    'synth failed: environments.qa: invalid environment "staging": "qa", the name it is listed under',
    `${root}/dist/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
  // A programming error, not a bad value (those are ConfigErrors): a setting whose getter throws.
  ['a TypeError while building staging', (root) => ({
    options: { outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks`, environments: { ...allEnvironments(), staging: brokenGetter(allEnvironments().staging, 'watchedNamespaces') } },
  }), (root) => [
    /^synth failed: \[staging\] TypeError: Cannot read properties of undefined \(reading 'length'\) \(at test\/synth-safety\.test\.ts:\d+:\d+\)$/,
    `${root}/dist/ and ${root}/docs/runbooks/ were left as they were.`,
  ]],
];

describe('synth refuses or fails in one line and leaves every file as it was', () => {
  test.each(viaMain)('%s (main.ts)', (_name, setup, expected) => {
    const root = copyProject();
    const env = setup(root);
    // The copy and whatever a case puts beside it.
    const before = tree(path.dirname(root));
    const r = synth(root, { ...env, KNOWTON_TEST_FAIL_AT: 'lock' });
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual(expected.map((e) => expect.stringMatching(e)));
    expect(tree(path.dirname(root))).toEqual(before);
  });

  test.each(inProcess)('%s', (_name, setup, expected) => {
    const root = copyProject();
    const tmp = path.dirname(root);
    const c = setup(root, tmp);
    try {
      const folders = [root, ...(c.extra ?? [])];
      const before = snapshot(folders);
      const lines = withEnv(c.env ?? {}, () => {
        try {
          synthAll({ environments: allEnvironments(), rendered: RENDERED, ...c.options });
          return ['succeeded'];
        } catch (err) {
          return failureLines(err, 'not from synthAll');
        }
      });
      expect(lines).toEqual(expected(root, tmp).map((e) => (typeof e === 'string' ? e : expect.stringMatching(e))));
      expect(snapshot(folders)).toEqual(before);
    } finally {
      c.teardown?.();
    }
  });

  test('KNOWTON_DEBUG=1 adds the stack trace (main.ts)', () => {
    const root = copyProject();
    appendTo(path.join(root, 'rules', 'index.ts'), "throw new Error('a broken rule file');");
    const r = synth(root, { KNOWTON_DEBUG: '1' });
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(r.code).toBe(1);
    expect(lines.slice(0, 3)).toEqual([
      expect.stringMatching(/^synth failed: Error: a broken rule file \(at rules\/index\.ts:\d+:\d+\)$/),
      UNTOUCHED,
      'Error: a broken rule file',
    ]);
    expect(lines[3]).toMatch(/^ {4}at .*\/rules\/index\.ts:\d+:\d+\)?$/);
  });

  test('a swap that fails and cannot be undone says what it left, and the next synth restores it', () => {
    const root = copyProject();
    const old = markOld(root);
    const lines = withEnv({ KNOWTON_TEST_FAIL_AT: 'in-runbooks,undo-in-dist' }, () => {
      try {
        synthAll({ environments: allEnvironments(), rendered: RENDERED, outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks` });
        return ['succeeded'];
      } catch (err) {
        return failureLines(err, 'not from synthAll');
      }
    });
    expect(lines).toEqual([
      'synth failed: EIO: injected by KNOWTON_TEST_FAIL_AT at step in-runbooks',
      `${root}/dist/ holds the new output (the old one, in ${fs.realpathSync(root)}/.dist.synth-previous, is deleted by the next synth); ${root}/docs/runbooks/ was left as it was.`,
    ]);
    expect(tree(path.join(root, 'dist'))).toEqual(NEW.dist);
    expect(tree(path.join(root, '.dist.synth-previous'))).toEqual(old.dist);
    expect(tree(path.join(root, 'docs', 'runbooks'))).toEqual(old.runbooks);
    expect(leftovers(root)).toEqual(['.dist.synth-previous']);
    expectRecovered(root);
  });
});

/** Makes the copy's dist/ and docs/runbooks/ differ from what synth writes (still only synth's files); returns them. */
function markOld(root: string): { dist: Record<string, string>; runbooks: Record<string, string> } {
  appendTo(path.join(root, 'dist', 'prometheus.k8s.yaml'), '# old');
  appendTo(path.join(root, 'docs', 'runbooks', 'README.md'), 'old');
  return { dist: tree(path.join(root, 'dist')), runbooks: tree(path.join(root, 'docs', 'runbooks')) };
}

/** The next normal synth (in this process: the same synthAll main.ts calls) restores both trees and leaves nothing behind. */
function expectRecovered(root: string): void {
  synthAll({ environments: allEnvironments(), rendered: RENDERED, outdir: path.join(root, 'dist'), runbooksDir: path.join(root, 'docs', 'runbooks') });
  expect(tree(path.join(root, 'dist'))).toEqual(NEW.dist);
  expect(tree(path.join(root, 'docs', 'runbooks'))).toEqual(NEW.runbooks);
  expect(leftovers(root)).toEqual([]);
}

type Found = 'old' | 'new' | 'missing';

describe('killed at any step of the swap, the old or the new tree is in place or put back, and the next synth completes it', () => {
  // The killed synths render dev alone (KNOWTON_TEST_ENVIRONMENTS): the swap moves whole folders, whatever
  // they hold. Their new tree is what synthAll writes for dev alone; a full synth of every environment
  // through main.ts ends 'killed again' below, and test/synth-command.test.ts proves the bundled command's.
  const DEV_ONLY = { KNOWTON_TEST_ENVIRONMENTS: 'dev' };
  let devOnly: typeof NEW | undefined;
  /** The files synthAll writes for dev alone: the new trees of the killed synths. */
  const NEW_DEV = (): typeof NEW => {
    if (!devOnly) {
      const dir = tempDir('knowton-safety-dev-');
      copies.push(dir);
      synthAll({ environments: { dev: allEnvironments().dev }, rendered: RENDERED, outdir: path.join(dir, 'dist'), runbooksDir: path.join(dir, 'runbooks') });
      devOnly = { dist: tree(path.join(dir, 'dist')), runbooks: tree(path.join(dir, 'runbooks')) };
    }
    return devOnly;
  };
  // [step synth is killed just before, what is then at dist/ and docs/runbooks/, the hidden leftovers].
  // Each kill also leaves both locks, held by a dead pid, which the next synth must take over.
  const steps: Array<[string, Found, Found, string[]]> = [
    ['aside-dist', 'old', 'old', ['.dist.synth-lock', '.dist.synth-staging', 'docs/.runbooks.synth-lock', 'docs/.runbooks.synth-staging']],
    ['in-dist', 'missing', 'old', ['.dist.synth-lock', '.dist.synth-previous', '.dist.synth-staging', 'docs/.runbooks.synth-lock', 'docs/.runbooks.synth-staging']],
    ['aside-runbooks', 'new', 'old', ['.dist.synth-lock', '.dist.synth-previous', 'docs/.runbooks.synth-lock', 'docs/.runbooks.synth-staging']],
    ['in-runbooks', 'new', 'missing', ['.dist.synth-lock', '.dist.synth-previous', 'docs/.runbooks.synth-lock', 'docs/.runbooks.synth-previous', 'docs/.runbooks.synth-staging']],
    ['cleanup-dist', 'new', 'new', ['.dist.synth-lock', '.dist.synth-previous', 'docs/.runbooks.synth-lock', 'docs/.runbooks.synth-previous']],
  ];

  test.each(steps)('killed before %s', (at, dist, runbooks, left) => {
    const root = copyProject();
    const old = markOld(root);
    const r = synth(root, { KNOWTON_TEST_KILL_AT: at, ...DEV_ONLY });
    expect([r.signal, r.stdout]).toEqual(['SIGKILL', '']);
    expect(leftovers(root)).toEqual(left);
    for (const [name, dir, found] of [['dist', 'dist', dist], ['runbooks', 'docs/runbooks', runbooks]] as const) {
      const here = path.join(root, dir);
      if (found === 'missing') {
        // Between the two renames: nothing in place, the old tree whole beside it.
        expect(fs.existsSync(here)).toBe(false);
        expect(tree(path.join(path.dirname(here), `.${path.basename(here)}.synth-previous`))).toEqual(old[name]);
      } else {
        expect(tree(here)).toEqual(found === 'old' ? old[name] : NEW_DEV()[name]);
      }
    }
    // The next synth recovers before anything else: even one that then fails puts the old tree back.
    const lines = withEnv({ KNOWTON_TEST_FAIL_AT: 'stage-dist' }, () => {
      try {
        synthAll({ environments: allEnvironments(), rendered: RENDERED, outdir: `${root}/dist`, runbooksDir: `${root}/docs/runbooks` });
        return ['succeeded'];
      } catch (err) {
        return failureLines(err, 'not from synthAll');
      }
    });
    const state = (dir: string, found: Found) => `${root}/${dir}/ ${found === 'missing' ? 'was put back as it was before an interrupted synth' : 'was left as it was'}`;
    expect(lines).toEqual([
      'synth failed: EIO: injected by KNOWTON_TEST_FAIL_AT at step stage-dist',
      dist === 'missing' || runbooks === 'missing'
        ? `${state('dist', dist)}; ${state('docs/runbooks', runbooks)}.`
        : `${root}/dist/ and ${root}/docs/runbooks/ were left as they were.`,
    ]);
    expect(leftovers(root)).toEqual([]);
    expect(tree(path.join(root, 'dist'))).toEqual(dist === 'new' ? NEW_DEV().dist : old.dist);
    expect(tree(path.join(root, 'docs', 'runbooks'))).toEqual(runbooks === 'new' ? NEW_DEV().runbooks : old.runbooks);
    expectRecovered(root);
  });

  test('killed again while putting the old tree back, the next synth still completes it', () => {
    const root = copyProject();
    const old = markOld(root);
    expect(synth(root, { KNOWTON_TEST_KILL_AT: 'in-dist', ...DEV_ONLY }).signal).toBe('SIGKILL');
    expect(synth(root, { KNOWTON_TEST_KILL_AT: 'recover-dist', ...DEV_ONLY }).signal).toBe('SIGKILL');
    expect(fs.existsSync(path.join(root, 'dist'))).toBe(false);
    expect(tree(path.join(root, '.dist.synth-previous'))).toEqual(old.dist);
    // A normal synth through main.ts this time, of every environment.
    const r = synth(root);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(tree(path.join(root, 'dist'))).toEqual(NEW.dist);
    expect(tree(path.join(root, 'docs', 'runbooks'))).toEqual(NEW.runbooks);
    expect(leftovers(root)).toEqual([]);
  });

  test('the per-pid leftovers of earlier synths are cleared: a moved-aside dist/ is put back, staging folders deleted', () => {
    const root = copyProject();
    fs.renameSync(path.join(root, 'dist'), path.join(root, '.dist-previous-123'));
    fs.cpSync(path.join(root, '.dist-previous-123'), path.join(root, '.dist-staging-123'), { recursive: true });
    fs.cpSync(path.join(root, 'docs', 'runbooks'), path.join(root, 'docs', 'runbooks.staging-456'), { recursive: true });
    expect(leftovers(root)).toEqual(['.dist-previous-123', '.dist-staging-123']);
    expectRecovered(root);
    expect(fs.readdirSync(path.join(root, 'docs')).sort()).toEqual(['instrumentation.md', 'runbooks', 'troubleshooting.md']);
  });
});

/**
 * The output folders of synth (the manifests' dist/ and docs/runbooks/) and the checks that refuse a
 * folder synth must not replace. Apart from lib/synth.ts, and loading nothing of the stack, so that
 * main.ts refuses a wrong KNOWTON_OUTDIR or KNOWTON_RUNBOOKS_DIR before it loads the stack.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { folderLabel } from './failure';
import { check } from './validate';

/**
 * The checkout: synth never writes into it but to dist/ (or a new folder) and docs/runbooks/. Found
 * from this file upwards, since bundled (scripts/run-bundled.js) it runs from node_modules/.cache.
 */
const CHECKOUT = checkoutOf(__dirname);

function checkoutOf(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      if (JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).name === 'knowton-monitoring') return d;
    } catch {
      // no package.json here, or not ours
    }
    if (path.dirname(d) === d) return path.resolve(__dirname, '..');
  }
}
const SOURCE_FOLDERS = ['lib', 'rules', 'dashboards', 'slos', 'schemas', 'test', 'scripts', 'docs', 'node_modules', 'dist-lib', 'coverage'];

/** `p` made absolute with every symbolic link of its existing part resolved. */
function realPath(p: string): string {
  const abs = path.resolve(p);
  if (fs.existsSync(abs)) return fs.realpathSync(abs);
  const parent = path.dirname(abs);
  return parent === abs ? abs : path.join(realPath(parent), path.basename(abs));
}

/** True if `outer` is `inner` or one of its ancestors. */
function contains(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** Marker file written into every output folder: says synth owns it and lists what it wrote. */
export const MARKER = '.knowton-synth';

/** The nearest folder above `dir` that a synth writes (it holds the marker), if any. */
function enclosingOutput(dir: string): string | undefined {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, MARKER))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

export type TargetName = 'dist' | 'runbooks';

/** One output folder of the transaction and its fixed-name siblings. */
export interface Target {
  /** Names the folder in the test hooks: `dist` (the manifests) or `runbooks`. */
  readonly name: TargetName;
  /** Where its value comes from, and the field, for error messages. */
  readonly where: string;
  readonly field: string;
  /** The value as given, and as shown to the user (`dist/`). */
  readonly given: string;
  readonly label: string;
  /** Absolute, with symbolic links resolved. */
  readonly dir: string;
  /** The new tree beside it while it is written; the old tree between the two renames of the swap. */
  readonly staging: string;
  readonly previous: string;
  readonly lock: string;
  /** The rendered tree: relative path -> content, the marker included. */
  files: Map<string, string>;
  /** What is at `dir` now: the folder as it was, nothing (the old one moved aside), or the new tree. */
  state: 'as-it-was' | 'moved-aside' | 'replaced';
  /** Whether `dir` existed before the swap. */
  existed: boolean;
  /** Whether this synth put back a tree an interrupted synth had moved aside. */
  recovered: boolean;
}

/**
 * Refuses, before anything is touched, a folder synth must not replace: empty, the file-system
 * root, the home folder, the checkout, the current folder or one containing them, a source folder
 * of the checkout, a folder inside another synth output (dist/prod holds only file names a synth
 * writes, but replacing it would nest a whole stack in the checkout's dist/), or a file. Whether an
 * existing folder holds only synth's files is checked later.
 */
export function target(name: TargetName, given: string): Target {
  const [where, field, example] = name === 'dist'
    ? ['KNOWTON_OUTDIR', 'output directory', 'dist']
    : ['KNOWTON_RUNBOOKS_DIR', 'runbooks directory', 'docs/runbooks'];
  const refuse = (ok: boolean, allowed: string) => check(ok, where, field, given, allowed);
  refuse(given.trim() !== '', `a folder of its own for synth's output, such as ${example}`);
  refuse(!given.startsWith('~'), 'a path the shell has expanded: a quoted ~ is a folder named ~ here; use $HOME/...');
  const dir = realPath(given);
  refuse(path.dirname(dir) !== dir, 'a folder of its own, not the file-system root');
  for (const [what, folder] of [['home folder', os.homedir()], ['checkout', CHECKOUT], ['current folder', process.cwd()]]) {
    const real = realPath(folder);
    refuse(!contains(dir, real), `a folder of its own, not the ${what} (${real}) or a folder containing it`);
  }
  const checkout = realPath(CHECKOUT);
  if (contains(checkout, dir)) {
    const rel = path.relative(checkout, dir).split(path.sep);
    const own = name === 'runbooks' && rel.join('/') === 'docs/runbooks';
    refuse(own || !(SOURCE_FOLDERS.includes(rel[0]) || rel[0].startsWith('.')), `a folder of its own, not in the checkout's ${rel[0]}/`);
  }
  const enclosing = enclosingOutput(dir);
  refuse(enclosing === undefined, `a folder of its own, not inside ${enclosing}, which a synth writes as a whole (its ${MARKER} says so)`);
  refuse(!fs.existsSync(dir) || fs.statSync(dir).isDirectory(), 'a folder, not a file');
  const sibling = (role: string) => path.join(path.dirname(dir), `.${path.basename(dir)}.synth-${role}`);
  return {
    name, where, field, given, label: folderLabel(where, given), dir,
    staging: sibling('staging'), previous: sibling('previous'), lock: sibling('lock'),
    files: new Map(), state: 'as-it-was', existed: false, recovered: false,
  };
}

/**
 * The folders of `npm run synth`, each refused as target() says, and the runbooks' refused inside the
 * output directory or containing it; undefined ones are left out.
 */
export function outputFolders(outdir: string | undefined, runbooksDir: string | undefined): Target[] {
  const targets = [
    ...(outdir === undefined ? [] : [target('dist', outdir)]),
    ...(runbooksDir === undefined ? [] : [target('runbooks', runbooksDir)]),
  ];
  if (targets.length === 2) {
    const [out, books] = targets;
    check(!contains(out.dir, books.dir) && !contains(books.dir, out.dir), books.where, books.field, books.given,
      `a folder of its own, neither inside the output directory (${out.dir}) nor containing it`);
  }
  return targets;
}

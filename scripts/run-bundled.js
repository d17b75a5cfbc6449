/**
 * `node scripts/run-bundled.js main.ts [args...]`: runs a TypeScript entry point of the project as one
 * JavaScript file that esbuild bundles from it and every module it loads (the project's and
 * node_modules'). Why: loading the ~470 files of a synth one by one (resolving, reading and compiling
 * each) was about a fifth of its time, and synth must stay under a second.
 *
 * The bundle is kept in node_modules/.cache/knowton-bundle with the size and modification time of
 * every file that went into it, the entry's folder's tsconfig.json and package-lock.json included;
 * it is rebuilt when any of them changed or is gone, so a run never uses code older than the source.
 * Like register-ts.js it only transpiles: `tsc --noEmit` in `npm test` type-checks.
 * KNOWTON_DEBUG=1 turns source maps on, so stack traces name the .ts files and lines.
 * Plain JavaScript, since it must run before any TypeScript can.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
// KNOWTON_BUNDLE_CACHE: another cache folder (the bench measures a run that has to bundle).
const cacheDir = process.env.KNOWTON_BUNDLE_CACHE || path.join(root, 'node_modules', '.cache', 'knowton-bundle');
const FORMAT = 'knowton-bundle-1';

/** Files whose change must rebuild every bundle, beside the ones esbuild reports it read. */
const ALWAYS = [__filename, path.join(root, 'tsconfig.json'), path.join(root, 'package-lock.json')];

function stamp(file) {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/** The bundle for `entry` if one is kept and nothing that went into it changed since. */
function upToDate(bundle, inputsFile) {
  let inputs;
  try {
    inputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
  } catch {
    return false;
  }
  if (inputs.format !== FORMAT || !fs.existsSync(bundle)) return false;
  return Object.entries(inputs.files).every(([file, was]) => stamp(file) === was);
}

/** One line per problem, as `file:line:column: text`, like a compiler's. */
function describe(errors) {
  return errors.map((e) => (e.location ? `${path.resolve(root, e.location.file)}:${e.location.line}:${e.location.column + 1}: ${e.text}` : e.text));
}

/** Bundles `entry` into `bundle` (written aside and renamed, so a concurrent run never reads half a file). */
function build(entry, bundle, inputsFile) {
  const esbuild = require('esbuild');
  const started = Date.now();
  const tmp = `${bundle}.${process.pid}.tmp.js`;
  let result;
  try {
    result = esbuild.buildSync({
      absWorkingDir: root,
      entryPoints: [entry],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      // Whitespace and syntax only (names are kept): a smaller file is read and compiled faster.
      minifyWhitespace: true,
      minifySyntax: true,
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'silent',
      tsconfig: path.join(root, 'tsconfig.json'),
    });
  } catch (err) {
    if (!Array.isArray(err.errors)) throw err;
    const e = new Error(describe(err.errors).join('\n'));
    e.bundleErrors = true;
    throw e;
  }
  const files = {};
  for (const file of [...Object.keys(result.metafile.inputs).map((f) => path.resolve(root, f)), ...ALWAYS]) {
    // A file changed while esbuild was reading it may be bundled in either version: the next run rebuilds.
    files[file] = fs.existsSync(file) && fs.statSync(file).mtimeMs >= started ? 'changed-during-build' : stamp(file);
  }
  fs.renameSync(`${tmp}.map`, `${bundle}.map`);
  // The map keeps its name; the bundle's last line points at it.
  const js = fs.readFileSync(tmp, 'utf8').replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${path.basename(bundle)}.map\n`);
  fs.writeFileSync(tmp, js);
  fs.renameSync(tmp, bundle);
  const inputsTmp = `${inputsFile}.${process.pid}.tmp`;
  fs.writeFileSync(inputsTmp, JSON.stringify({ format: FORMAT, files }));
  fs.renameSync(inputsTmp, inputsFile);
}

function main() {
  const given = process.argv[2];
  if (!given) {
    console.error('usage: node scripts/run-bundled.js <entry.ts> [args...]');
    process.exit(2);
  }
  const entry = path.resolve(given);
  const key = crypto.createHash('sha256').update(FORMAT).update('\0').update(entry).digest('hex').slice(0, 16);
  const bundle = path.join(cacheDir, `${path.basename(entry, '.ts')}-${key}.js`);
  const inputsFile = `${bundle}.inputs.json`;
  if (!upToDate(bundle, inputsFile)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    try {
      build(entry, bundle, inputsFile);
    } catch (err) {
      if (!err.bundleErrors) throw err;
      // Nothing of the program ran, so nothing was written.
      console.error(err.message);
      console.error('Nothing was run or written: fix the file named above.');
      process.exit(1);
    }
  }
  if (process.env.KNOWTON_DEBUG === '1') process.setSourceMapsEnabled(true);
  // The program sees the arguments as if Node had run the entry itself.
  process.argv.splice(1, 2, entry);
  require(bundle);
}

main();

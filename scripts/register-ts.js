/**
 * Runs the project's TypeScript in Node without ts-node (`node -r ./scripts/register-ts.js main.ts`):
 * each .ts file is transpiled once with TypeScript's own transpileModule (no type-checking; `tsc
 * --noEmit` in `npm test` does that) and the JavaScript kept in node_modules/.cache/knowton-ts,
 * keyed by a hash of the source, the file name, the tsconfig and the TypeScript version. A warm run
 * loads neither TypeScript nor ts-node, which were most of a synth's time.
 * Plain JavaScript, since it must load before any TypeScript can.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
// KNOWTON_TS_CACHE: another cache folder (the bench measures a run with an empty one).
const cacheDir = process.env.KNOWTON_TS_CACHE || path.join(root, 'node_modules', '.cache', 'knowton-ts');
const tsconfigPath = path.join(root, 'tsconfig.json');
const salt = [
  fs.readFileSync(tsconfigPath, 'utf8'),
  JSON.parse(fs.readFileSync(require.resolve('typescript/package.json', { paths: [root] }), 'utf8')).version,
  'commonjs-1',
].join('\0');

let ts;
let compilerOptions;
/** TypeScript and the tsconfig, loaded only when a file is not in the cache. */
function transpile(source, filename) {
  if (!ts) {
    ts = require(require.resolve('typescript', { paths: [root] }));
    const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(tsconfigPath, ts.sys.readFile).config, ts.sys, root);
    // The package is CommonJS (no "type": "module"), which is what node16 resolution emits here too.
    compilerOptions = { ...parsed.options, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, declaration: false, noEmit: false };
  }
  const out = ts.transpileModule(source, { compilerOptions, fileName: filename, reportDiagnostics: true });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) throw new Error(`${filename}: ${ts.flattenDiagnosticMessageText(errors[0].messageText, '\n')}`);
  return out.outputText;
}

function compiled(filename) {
  const source = fs.readFileSync(filename, 'utf8');
  // The path from the project's root, not the absolute one: the output does not depend on the
  // folder, and a copy of the project elsewhere (the synth-safety tests make many) shares the cache.
  const key = crypto.createHash('sha256').update(salt).update('\0').update(path.relative(root, filename)).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    const js = transpile(source, filename);
    fs.mkdirSync(cacheDir, { recursive: true });
    // Written aside and renamed, so a concurrent run never reads half a file.
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, js);
    fs.renameSync(tmp, cached);
    return js;
  }
}

require.extensions['.ts'] = function loadTs(module, filename) {
  if (filename.includes(`${path.sep}node_modules${path.sep}`)) throw new Error(`register-ts: not transpiling ${filename} from node_modules`);
  module._compile(compiled(filename), filename);
};

module.exports = { compiled };

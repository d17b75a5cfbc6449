/**
 * The package entry `knowton-monitoring/instrumentation`: the build script compiles the module to
 * the files package.json's `exports` names, and the compiled module works without ts-node.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { run, tempDir } from './helpers';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));

test('build:instrumentation emits what exports points at, and it runs as plain JavaScript', async () => {
  const entry = pkg.exports['./instrumentation'];
  const script: string = pkg.scripts['build:instrumentation'];
  expect(script).toContain('--outDir dist-lib');
  expect(entry.default).toBe('./dist-lib/instrumentation/index.js');
  expect(entry.types).toBe('./dist-lib/instrumentation/index.d.ts');

  // the same command, into a temporary directory instead of the working tree
  const out = tempDir('knowton-dist-lib-');
  const args = script.replace(/^tsc /, '').replace('--outDir dist-lib', `--outDir ${out}`).split(/\s+/);
  const build = run(path.join(__dirname, '..', 'node_modules', '.bin', 'tsc'), args, { cwd: path.join(__dirname, '..') });
  expect(build.output).toBe('');
  expect(build.code).toBe(0);
  const rel = (p: string): string => path.join(out, p.replace('./dist-lib/', ''));
  expect(fs.existsSync(rel(entry.types))).toBe(true);

  const script2 = `
    const m = require(${JSON.stringify(rel(entry.default))});
    const i = m.createInstruments();
    i.http.requests.inc({ method: 'GET', route: '/x', status: 200 });
    i.registry.metrics().then((t) => process.stdout.write(t));
  `;
  // a consumer resolves prom-client from its own node_modules; here, the project's
  const r = spawnSync(process.execPath, ['-e', script2], { encoding: 'utf8', env: { ...process.env, NODE_PATH: path.join(__dirname, '..', 'node_modules') } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^http_requests_total\{method="GET",route="\/x",status="200"\} 1$/m);
  expect(r.stdout).toMatch(/^# TYPE nodejs_heap_size_used_bytes gauge$/m);
});

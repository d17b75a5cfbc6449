/**
 * `npm run bench [-- runs]`: median wall time of a cold `npm run synth` (a new Node process each run,
 * writing to a temporary directory), next to the same synth through ts-node's type-checking default.
 * Medians over several runs, since these machines are noisy.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const runs = Number(process.argv[2] ?? 7);
const root = path.resolve(__dirname, '..');

function timeRun(args: string[]): number {
  const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'knowton-bench-')), 'dist');
  const start = process.hrtime.bigint();
  const r = spawnSync('npx', args, { cwd: root, env: { ...process.env, KNOWTON_OUTDIR: outdir, KNOWTON_RUNBOOKS_DIR: path.join(path.dirname(outdir), 'runbooks') }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  fs.rmSync(path.dirname(outdir), { recursive: true, force: true });
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const rows: Array<[string, number[]]> = [
  ['synth (ts-node --transpile-only, as npm run synth)', Array.from({ length: runs }, () => timeRun(['ts-node', '--transpile-only', 'main.ts']))],
  ['synth (ts-node with type-checking)', Array.from({ length: Math.min(runs, 3) }, () => timeRun(['ts-node', 'main.ts']))],
];
console.log(`cold synth, ${os.cpus().length} cores, node ${process.version}`);
console.log(`${'what'.padEnd(52)} ${'runs'.padStart(4)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)} ${'max ms'.padStart(8)}`);
for (const [what, xs] of rows) {
  console.log(`${what.padEnd(52)} ${String(xs.length).padStart(4)} ${median(xs).toFixed(0).padStart(10)} ${Math.min(...xs).toFixed(0).padStart(8)} ${Math.max(...xs).toFixed(0).padStart(8)}`);
}
console.log(`type-checking synth / transpile-only synth: ${(median(rows[1][1]) / median(rows[0][1])).toFixed(1)}x`);

/**
 * `npm run bench [-- --runs N --test-runs M]`: how long the things people wait for take.
 * - synth: a cold `npm run synth` (a new Node process each run, into a temporary directory), next
 *   to the same synth through ts-node's type-checking default;
 * - the test suite: `npm test` (tsc --noEmit, then jest), cold;
 * - on the demo data (the local stack of `npm run demo`, healthy scenario, 1s evaluations): the
 *   evaluation time of each rule group as Prometheus reports it, and the time of every dashboard's
 *   queries run one after another as instant queries (Grafana sends range queries over the
 *   dashboard's time range, which cost more as the data grows: these are a floor).
 * Medians over several runs, since these machines are noisy.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dashboardQueries, substituteGrafana } from '../lib/dashboards/queries';
import { getJson, LocalStack, sleep, TEST_TIMINGS, waitFor } from '../lib/demo';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got ${process.argv[i + 1]}`);
  return n;
}
const runs = flag('runs', 5);
const testRuns = flag('test-runs', 3);
const root = path.resolve(__dirname, '..');

function timeCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return ms;
}

function timeSynth(args: string[]): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowton-bench-'));
  try {
    return timeCommand('npx', args, { KNOWTON_OUTDIR: path.join(dir, 'dist'), KNOWTON_RUNBOOKS_DIR: path.join(dir, 'runbooks') });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

type Row = [what: string, samplesMs: number[]];

async function onDemoData(samples: number): Promise<Row[]> {
  const stack = await LocalStack.start({ scenario: 'healthy', timings: TEST_TIMINGS });
  try {
    // Enough data for every rate window of the dashboards and a few evaluations of every group.
    await sleep(8000);
    const rows: Row[] = [];
    const groupTimes = new Map<string, number[]>();
    let lastEval = new Map<string, string>();
    await waitFor(`${samples} evaluations of every rule group`, async () => {
      const groups = (await getJson(`${stack.prometheusUrl}/api/v1/rules`)).data.groups as any[];
      const now = new Map<string, string>();
      for (const g of groups) {
        now.set(g.name, g.lastEvaluation);
        if (lastEval.get(g.name) !== g.lastEvaluation) groupTimes.set(g.name, [...(groupTimes.get(g.name) ?? []), g.evaluationTime * 1000]);
      }
      lastEval = now;
      return [...groupTimes.values()].every((xs) => xs.length >= samples) && groupTimes.size === groups.length ? true : undefined;
    }, samples * 3000 + 10000, 300);
    for (const [name, xs] of [...groupTimes.entries()].sort()) rows.push([`rule group ${name} (Prometheus' evaluationTime)`, xs]);
    const totals = Array.from({ length: samples }, (_, i) => [...groupTimes.values()].reduce((sum, xs) => sum + xs[i], 0));
    rows.push(['all rule groups, one evaluation', totals]);

    const sub = { rateInterval: stack.interval.times(4) };
    for (const [file, model] of Object.entries(stack.dashboards)) {
      const queries = dashboardQueries(model, file).map((q) => substituteGrafana(q.expr, sub));
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const start = process.hrtime.bigint();
        for (const q of queries) await stack.query(q);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      rows.push([`dashboard ${file.replace('.json', '')}: ${queries.length} queries`, times]);
    }
    return rows;
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const synth = Array.from({ length: runs }, () => timeSynth(['ts-node', '--transpile-only', 'main.ts']));
  rows.push(['synth, cold (npm run synth: ts-node --transpile-only)', synth]);
  const typeChecked = Array.from({ length: Math.min(runs, 3) }, () => timeSynth(['ts-node', 'main.ts']));
  rows.push(['synth, cold (ts-node with type-checking)', typeChecked]);
  rows.push(['test suite (npm test: tsc --noEmit + jest)', Array.from({ length: testRuns }, () => timeCommand('npm', ['test', '--silent']))]);
  rows.push(...(await onDemoData(runs)));

  const cols = (what: string, n: string, med: string, min: string, max: string): string =>
    `${what.padEnd(62)} ${n.padStart(4)} ${med.padStart(10)} ${min.padStart(10)} ${max.padStart(10)}`;
  const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  console.log(`${os.cpus().length} cores, node ${process.version}; times in ms`);
  console.log(cols('what', 'runs', 'median', 'min', 'max'));
  for (const [what, xs] of rows) console.log(cols(what, String(xs.length), ms(median(xs)), ms(Math.min(...xs)), ms(Math.max(...xs))));
  console.log(`type-checking synth / transpile-only synth: ${(median(typeChecked) / median(synth)).toFixed(1)}x`);
}

main().catch((err: Error) => {
  console.error(`npm run bench failed: ${err.stack ?? err.message}`);
  process.exit(1);
});

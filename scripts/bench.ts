/**
 * `npm run bench [-- --runs N --test-runs M --no-demo]`: how long the things people wait for take.
 * - synth: a cold `npm run synth` (a new Node process each run, into a temporary directory; its
 *   bundle built, as after the first run), next to baselines measured in the same run: a bare
 *   `node -e 0`, the same synth through npm (npm's own start), with the bundle rebuilt (the first
 *   run after a change), and as it ran before: each file transpiled on its own (scripts/register-ts.js)
 *   and through ts-node;
 * - the test suite: `npm test` (jest, with tsc --noEmit as one of its files): its wall time and the CPU time of all
 *   its processes (user + sys, less noisy than the wall time when others share the machine);
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

function flag(name: string, fallback: number, min = 1): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${process.argv[i + 1]}`);
  return n;
}
const runs = flag('runs', 5);
/** 0 leaves the test suite out. */
const testRuns = flag('test-runs', 3, 0);
const demo = !process.argv.includes('--no-demo');
const root = path.resolve(__dirname, '..');

function timeCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return ms;
}

/**
 * One `npm test`: its wall time, and the CPU time of it and every process it started, as GNU time
 * (/usr/bin/time, where installed) reports them.
 */
function timeTests(): { wallMs: number; cpuMs?: number } {
  const timeBin = '/usr/bin/time';
  if (!fs.existsSync(timeBin)) return { wallMs: timeCommand('npm', ['test', '--silent']) };
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'knowton-bench-time-')), 'time');
  try {
    const wallMs = timeCommand(timeBin, ['-o', out, '-f', '%U %S', 'npm', 'test', '--silent']);
    const [user, sys] = fs.readFileSync(out, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
    return { wallMs, cpuMs: (user + sys) * 1000 };
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

function timeSynth(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowton-bench-'));
  try {
    return timeCommand(cmd, args, { KNOWTON_OUTDIR: path.join(dir, 'dist'), KNOWTON_RUNBOOKS_DIR: path.join(dir, 'runbooks'), ...env });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The synth with a bundle cache of its own, empty: the first synth after `npm ci` or a change to the source. */
function timeSynthEmptyCache(): number {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'knowton-bench-cache-'));
  try {
    return timeSynth(process.execPath, SYNTH, { KNOWTON_BUNDLE_CACHE: cache });
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
}

/** What `npm run synth` runs (package.json), without npm. */
const SYNTH = ['scripts/run-bundled.js', 'main.ts'];
/** How it ran before the bundle: each file transpiled on its own, from a cache. */
const PER_FILE = ['-r', './scripts/register-ts.js', 'main.ts'];
const TS_NODE = path.join(root, 'node_modules', '.bin', 'ts-node');

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
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  const times = (n: number, f: () => number) => Array.from({ length: n }, f);
  // Fill the bundle and the transpile cache, as any earlier synth has.
  timeSynth(process.execPath, SYNTH);
  timeSynth(process.execPath, PER_FILE);
  const node0 = times(runs, () => timeCommand(process.execPath, ['-e', '0']));
  rows.push(['baseline: node -e 0 (Node start alone)', node0]);
  const synth = times(runs, () => timeSynth(process.execPath, SYNTH));
  rows.push(['synth, cold (what npm run synth runs: the bundle)', synth]);
  const viaNpm = times(runs, () => timeSynth('npm', ['run', '-s', 'synth']));
  rows.push(['synth, cold, through npm (npm run synth: + npm start)', viaNpm]);
  rows.push(['synth, cold, bundle rebuilt (first run after a change)', times(Math.min(runs, 3), timeSynthEmptyCache)]);
  const perFile = times(runs, () => timeSynth(process.execPath, PER_FILE));
  rows.push(['before: each file transpiled on its own (register-ts)', perFile]);
  const tsNode = times(runs, () => timeSynth(TS_NODE, ['--transpile-only', 'main.ts']));
  rows.push(['before that: through ts-node --transpile-only', tsNode]);
  if (testRuns > 0) {
    const runsOfTests = Array.from({ length: testRuns }, timeTests);
    rows.push(['test suite (npm test: tools check, jest with the tsc check), wall', runsOfTests.map((r) => r.wallMs)]);
    // Less noisy than the wall time on a machine others use too.
    if (runsOfTests.every((r) => r.cpuMs !== undefined)) rows.push(['test suite, CPU time (user + sys of every process)', runsOfTests.map((r) => r.cpuMs!)]);
  }
  if (demo) rows.push(...(await onDemoData(runs)));

  const cols = (what: string, n: string, med: string, min: string, max: string): string =>
    `${what.padEnd(62)} ${n.padStart(4)} ${med.padStart(10)} ${min.padStart(10)} ${max.padStart(10)}`;
  const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  console.log(`${os.cpus().length} cores, node ${process.version}; load average ${load} at the start, ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end; times in ms`);
  console.log(cols('what', 'runs', 'median', 'min', 'max'));
  for (const [what, xs] of rows) console.log(cols(what, String(xs.length), ms(median(xs)), ms(Math.min(...xs)), ms(Math.max(...xs))));
  const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(1);
  console.log(`synth: ${ratio(perFile, synth)}x faster than with each file transpiled on its own, ${ratio(tsNode, synth)}x than through ts-node; `
    + `${ratio(synth, node0)}x a bare Node start; npm adds ${(median(viaNpm) - median(synth)).toFixed(0)} ms; npm run synth ${median(viaNpm) < 1000 ? 'meets' : 'misses'} its 1 s target`);
  const tests = rows.find(([what]) => what.startsWith('test suite (npm test'));
  if (tests) console.log(`npm test: ${(median(tests[1]) / 1000).toFixed(0)} s, ${median(tests[1]) < 60_000 ? 'meets' : 'misses'} its 60 s target on ${os.cpus().length} cores`);
}

main().catch((err: Error) => {
  console.error(`npm run bench failed: ${err.stack ?? err.message}`);
  process.exit(1);
});

/**
 * Helpers for the rule tests: write rule groups and their generated promtool tests into a fresh
 * temporary directory and run the real promtool on them.
 */
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { generatePromtoolTests, renderRuleFile, RuleGroup, rulesReadBy } from '../lib/alerting';
import { Duration } from '../lib/units';
import { tempDir as helpersTempDir } from './helpers';

export const FIFTEEN_SECONDS = Duration.seconds(15);

export function tempDir(): string {
  return helpersTempDir('knowton-rules-');
}

/** Writes `<group>.rules.yml` for each group; returns the file names. */
export function writeRuleFiles(dir: string, groups: readonly RuleGroup[]): string[] {
  return groups.map((g) => {
    fs.writeFileSync(path.join(dir, g.fileName), stringify(renderRuleFile(g)));
    return g.fileName;
  });
}

/** Writes the generated promtool test files, each with the rule file it loads; returns their names. */
export function writeTestFiles(dir: string, groups: readonly RuleGroup[], evaluationInterval = FIFTEEN_SECONDS): string[] {
  return generatePromtoolTests(groups, { evaluationInterval }).map((t) => {
    fs.writeFileSync(path.join(dir, t.rules.fileName), stringify(t.rules.content));
    fs.writeFileSync(path.join(dir, t.fileName), stringify(t.content));
    return t.fileName;
  });
}

export interface RunResult {
  readonly status: number | null;
  /** stdout and stderr as they came */
  readonly output: string;
}

export function promtool(dir: string, ...args: string[]): RunResult {
  // A guard against a hung promtool, not a speed limit: the generated tests span hours of samples and
  // share two cores with the rest of `npm test`.
  const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

/** `promtool <args>` in `dir`, asynchronously, so that independent runs share the two cores. */
export function promtoolAsync(dir: string, ...args: string[]): Promise<RunResult & { stdout: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', args, { cwd: dir });
    let output = '';
    let stdout = '';
    p.stdout.on('data', (d) => ((output += d), (stdout += d)));
    p.stderr.on('data', (d) => (output += d));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, output, stdout }));
  });
}

/**
 * `promtool test rules` on every file (each in its `dir`): the failures, each named by its path and with
 * promtool's output for it. The files run in `concurrency` promtool processes of many files each (a
 * process per file would cost a Go start each); a failed file is run once more alone for its output.
 */
export async function promtoolTestEach(files: ReadonlyArray<{ dir: string; file: string }>, concurrency = 2): Promise<string[]> {
  if (files.length === 0) throw new Error('promtoolTestEach: no test file given (a test that runs nothing proves nothing)');
  const paths = files.map((f) => path.resolve(f.dir, f.file));
  const batches = Array.from({ length: Math.min(concurrency, paths.length) }, (_, i) => paths.filter((_p, j) => j % concurrency === i));
  const failed = (await Promise.all(batches.map(async (batch): Promise<Array<{ path: string; output?: string }>> => {
    const r = await promtoolAsync(path.dirname(batch[0]), 'test', 'rules', ...batch);
    if (r.status === 0) return [];
    // "Unit Testing:  <file>" heads each file's part of stdout; a passed file's part says SUCCESS.
    const passed = new Set([...r.stdout.matchAll(/^Unit Testing: +(.+)\n +SUCCESS$/gm)].map((m) => m[1]));
    const notPassed = batch.filter((p) => !passed.has(p));
    // Failed with every file's SUCCESS printed (a crash at the end): the whole batch's output is the failure.
    return notPassed.length > 0 ? notPassed.map((p) => ({ path: p })) : [{ path: batch.join(' '), output: r.output }];
  }))).flat();
  return Promise.all(failed.map(async (f) => `${f.path}:\n${f.output ?? (await promtoolAsync(path.dirname(f.path), 'test', 'rules', path.basename(f.path))).output}`));
}

/**
 * What a promtool test file in `dir` tests: its own bytes and the name and bytes of every rule file
 * it loads. Two files with the same key run the same test on the same rules.
 */
export function testKey(dir: string, file: string): string {
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  const hash = createHash('sha256').update(text);
  for (const rules of (parse(text) as { rule_files: string[] }).rule_files) {
    hash.update(`\0${rules}\0`).update(fs.readFileSync(path.join(dir, rules)));
  }
  return hash.digest('hex');
}

/** A hand-written promtool case: input series, and the alerts of one name expected to fire at one instant. */
export interface AlertCase {
  readonly name: string;
  /** series selector → promtool values, one sample a minute */
  readonly input: Record<string, string>;
  readonly alertname: string;
  readonly evalTime: string;
  /** labels of the expected alerts beyond alertname and the group's labels, compared in full */
  readonly fires: Array<Record<string, string>>;
}

/** `name{label="value", ...}`, values quoted as PromQL strings. */
export const selector = (name: string, labels: Record<string, string>): string =>
  `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;

/**
 * Runs the cases against the rule groups (evaluated every `every`) with promtool; returns promtool's
 * output and status. ALERTS, not alert_rule_test: it compares the labels only (annotations carry
 * computed values).
 */
export function runAlertCases(groups: readonly RuleGroup[], cases: readonly AlertCase[], every = '15s'): { status: number | null; output: string } {
  const dir = tempDir();
  // only the alerts of the cases and what they read: promtool evaluates every loaded rule at every step
  const files = writeRuleFiles(dir, rulesReadBy([...new Set(cases.map((c) => c.alertname))], groups));
  const labelsOf = new Map(groups.flatMap((g) => g.alerts.map((a) => [a.name, g.labelsOf(a)] as const)));
  const content = {
    rule_files: files,
    evaluation_interval: every,
    tests: cases.map((c) => ({
      name: c.name,
      interval: '1m',
      input_series: Object.entries(c.input).map(([series, values]) => ({ series, values })),
      promql_expr_test: [{
        expr: `ALERTS{alertname="${c.alertname}", alertstate="firing"}`,
        eval_time: c.evalTime,
        exp_samples: c.fires.map((l) => ({ labels: selector('ALERTS', { ...l, ...labelsOf.get(c.alertname), alertname: c.alertname, alertstate: 'firing' }), value: 1 })),
      }],
    })),
  };
  fs.writeFileSync(path.join(dir, 'cases.test.yml'), stringify(content));
  return promtool(dir, 'test', 'rules', 'cases.test.yml');
}

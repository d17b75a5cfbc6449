/**
 * Helpers for the rule tests: write rule groups and their generated promtool tests into a fresh
 * temporary directory and run the real promtool on them.
 */
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { generatePromtoolTests, renderRuleFile, RuleGroup } from '../lib/alerting';
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

/** Writes the generated promtool test files; returns their names. */
export function writeTestFiles(dir: string, groups: readonly RuleGroup[], evaluationInterval = FIFTEEN_SECONDS): string[] {
  return generatePromtoolTests(groups, { evaluationInterval }).map((t) => {
    fs.writeFileSync(path.join(dir, t.fileName), stringify(t.content));
    return t.fileName;
  });
}

export interface RunResult {
  readonly status: number | null;
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
export function promtoolAsync(dir: string, ...args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', args, { cwd: dir });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, output }));
  });
}

/** `promtool test rules` on each file (in `dir`), `concurrency` at a time; the failures, each with its output. */
export async function promtoolTestEach(files: ReadonlyArray<{ dir: string; file: string }>, concurrency = 2): Promise<string[]> {
  const failures: string[] = [];
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const r = await promtoolAsync(f.dir, 'test', 'rules', f.file);
      if (r.status !== 0 || !r.output.includes('SUCCESS')) failures.push(`${path.join(f.dir, f.file)}:\n${r.output}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failures;
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
  const files = writeRuleFiles(dir, groups);
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

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

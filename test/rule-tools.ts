/**
 * Helpers for the rule tests: write rule groups and their generated promtool tests into a fresh
 * temporary directory and run the real promtool on them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
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

/**
 * Synthesis into a directory, all or nothing: the manifests are written to a sibling temporary
 * directory and swapped in only when every construct and validation has passed, so a failed synth
 * leaves the previous dist/ exactly as it was.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, YamlOutputType } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { StackConfig } from './config';
import { MonitoringStack } from './stack';

export interface SynthResult {
  /** Files written, relative to the output directory, sorted. */
  readonly files: string[];
  /** Number of objects of each kind. */
  readonly kinds: Record<string, number>;
}

/** Builds the stack into a fresh App rooted at `outdir`, without writing anything. */
export function buildApp(config: StackConfig, outdir: string): App {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  new MonitoringStack(app, config);
  return app;
}

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  ).sort();
}

/** Synthesizes `config` into `outdir`, replacing it only on success. */
export function synthesize(config: StackConfig, outdir: string): SynthResult {
  const target = path.resolve(outdir);
  const staging = path.join(path.dirname(target), `.dist-staging-${process.pid}`);
  const previous = path.join(path.dirname(target), `.dist-previous-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    buildApp(config, staging).synth();
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  const files = listFiles(staging);
  const kinds: Record<string, number> = {};
  for (const file of files.filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(staging, file), 'utf8'))) {
      const kind = (doc.toJS() as { kind?: string } | null)?.kind;
      if (kind) kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
  }
  if (fs.existsSync(target)) fs.renameSync(target, previous);
  fs.renameSync(staging, target);
  fs.rmSync(previous, { recursive: true, force: true });
  return { files, kinds };
}

/** One screenful for the terminal: what was written where. */
export function summarize(result: SynthResult, outdir: string): string {
  const total = Object.values(result.kinds).reduce((a, b) => a + b, 0);
  const kinds = Object.entries(result.kinds)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => `  ${kind.padEnd(24)} ${n}`);
  return [
    `wrote ${result.files.length} files, ${total} objects to ${outdir}/`,
    ...result.files.map((f) => `  ${f}`),
    'objects per kind:',
    ...kinds,
  ].join('\n');
}

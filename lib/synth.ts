/**
 * Synthesis into a directory, all or nothing: the manifests are written to a sibling temporary
 * directory and swapped in only when every construct and validation has passed, so a failed synth
 * leaves the previous dist/ exactly as it was.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, YamlOutputType } from 'cdk8s';
import { renderRunbooks } from './alerting';
import { StackConfig } from './config';
import { ruleGroups } from '../rules';
import { slos } from '../slos';
import { renderSloRunbooks } from './slo';
import { MonitoringStack } from './stack';

export interface SynthResult {
  /** Files written, relative to the output directory, sorted. */
  readonly files: string[];
  /** Number of objects of each kind. */
  readonly kinds: Record<string, number>;
}

/** Builds the stack into a fresh App rooted at `outdir`, without writing anything. */
export function buildApp(config: StackConfig, outdir: string): { app: App; stack: MonitoringStack } {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  return { app, stack: new MonitoringStack(app, config) };
}

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  ).sort();
}

/** Objects per kind in an app, counted in memory (re-parsing the written YAML took a third of synth). */
function countKinds(app: App): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const o of app.charts.flatMap((c) => c.node.findAll()).filter((n): n is ApiObject => n instanceof ApiObject)) {
    kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  }
  return kinds;
}

/**
 * Synthesizes environments into `outdir`, replacing it only when all of them succeed: the first
 * at the top (what `kubectl apply -f dist` applies), each other one in a subdirectory of its name.
 */
export function synthesizeEnvironments(environments: Record<string, StackConfig>, outdir: string): Record<string, SynthResult> {
  const target = path.resolve(outdir);
  const staging = path.join(path.dirname(target), `.dist-staging-${process.pid}`);
  const previous = path.join(path.dirname(target), `.dist-previous-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  const names = Object.keys(environments);
  const results: Record<string, SynthResult> = {};
  try {
    names.forEach((name, i) => {
      const dir = i === 0 ? staging : path.join(staging, name);
      const { app, stack } = buildApp(environments[name], dir);
      app.synth();
      // The dashboards also as plain files, for importing by hand; in a subdirectory, which
      // `kubectl apply -f dist` (not recursive) leaves alone.
      fs.mkdirSync(path.join(dir, 'dashboards'));
      for (const [file, model] of Object.entries(stack.grafana.dashboards)) {
        fs.writeFileSync(path.join(dir, 'dashboards', file), `${JSON.stringify(model, null, 2)}\n`);
      }
      results[name] = { files: listFiles(dir).filter((f) => !names.includes(f.split('/')[0])), kinds: countKinds(app) };
    });
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  if (fs.existsSync(target)) fs.renameSync(target, previous);
  fs.renameSync(staging, target);
  fs.rmSync(previous, { recursive: true, force: true });
  return results;
}

/** Synthesizes one configuration into `outdir`, replacing it only on success. */
export function synthesize(config: StackConfig, outdir: string): SynthResult {
  return synthesizeEnvironments({ [config.environment ?? 'dev']: config }, outdir)[config.environment ?? 'dev'];
}

/** A few lines for the terminal: where an environment went, its files and objects per kind. */
export function summarize(environment: string, result: SynthResult, dir: string): string {
  const total = Object.values(result.kinds).reduce((a, b) => a + b, 0);
  const kinds = Object.entries(result.kinds)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => `${kind} ${n}`);
  return [
    `${environment} -> ${dir}: ${result.files.length} files, ${total} objects`,
    `  files:   ${result.files.join(', ')}`,
    `  objects: ${kinds.join(', ')}`,
  ].join('\n');
}

/** Writes one runbook page per alert (and an index) into `dir`, replacing what was there. */
export function writeRunbooks(dir: string): string[] {
  const slo = renderSloRunbooks(slos());
  const pages = { ...renderRunbooks(ruleGroups()), ...slo.pages };
  pages['README.md'] = [pages['README.md'].replace(/\n+$/, ''), '', ...slo.index].join('\n');
  const staging = `${path.resolve(dir)}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  for (const [file, text] of Object.entries(pages)) fs.writeFileSync(path.join(staging, file), text);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
  return Object.keys(pages).sort();
}

/**
 * Synthesis as one transaction over its output folders (the manifests' dist/ and docs/runbooks/).
 * Everything is rendered in memory first; a folder is replaced only if it is one synth owns (a
 * dedicated folder holding nothing but what synth writes); the new tree is written beside it and
 * swapped in with two renames. A synth that dies between them leaves the old tree beside the
 * folder under a fixed name, and the next synth puts it back before doing anything else.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Names, YamlOutputType } from 'cdk8s';
import { renderRunbooks } from './alerting';
import { allEnvironments, StackConfig } from './config';
import { EVERY_RULE_CONTEXT, ruleGroups } from '../rules';
import { slos } from '../slos';
import { renderSloRunbooks } from './slo';
import { MonitoringStack } from './stack';
import { OperatorStack } from './operator-stack';
import { folderLabel, isError } from './failure';
import { MARKER, outputFolders, Target } from './synth-folders';
import { ConfigError, check, checkDnsLabel } from './validate';
import { toYaml } from './yaml';

export interface SynthResult {
  /** Files written, relative to the output directory, sorted. */
  readonly files: string[];
  /** Number of objects of each kind. */
  readonly kinds: Record<string, number>;
}

/**
 * A failed synth: the original error, the environment it happened in (if it happened while building
 * one) and, once synthAll has cleaned up, one line on what it left on disk.
 */
export class SynthError extends Error {
  /** What the failure left on disk, e.g. "dist/ and docs/runbooks/ were left as they were." */
  outputs?: string;

  constructor(readonly error: unknown, readonly environment?: string) {
    super(`${environment === undefined ? '' : `[${environment}] `}${describeError(error)}`, { cause: error });
    this.name = 'SynthError';
  }
}

/** One line for an error: a ConfigError's or a file-system error's message (path and errno) as is. */
function describeError(err: unknown): string {
  if (!isError(err)) return String(err);
  const text = err instanceof ConfigError || err.name === 'Error' || /^E[A-Z]+$/.test(String((err as NodeJS.ErrnoException).code)) ? err.message : `${err.name}: ${err.message}`;
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Builds the stack into a fresh App rooted at `outdir`, without writing anything. */
export function buildApp(config: StackConfig, outdir: string): { app: App; stack: MonitoringStack } {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  return { app, stack: new MonitoringStack(app, config) };
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
 * The manifest files of an app, as cdk8s's `App.synth()` writes them (one file per chart, documents
 * joined by `---`), in memory and with lib/yaml.ts, which writes the same bytes as the package cdk8s
 * uses in a fraction of its time. test/yaml.test.ts compares the two on every environment.
 */
export function renderManifests(app: App): Map<string, string> {
  // What App.synth() checks first: every construct's validations.
  const errors = app.node.findAll().flatMap((c) => c.node.validate().map((e) => `[${c.node.path}] ${e}`));
  if (errors.length > 0) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
  // Dependencies between constructs make cdk8s number its files; the stack declares none.
  const dependent = app.node.findAll().find((c) => c.node.dependencies.length > 0);
  if (dependent) throw new Error(`${dependent.node.path}: construct dependencies are not supported by synth (cdk8s would number the files)`);
  const files = new Map<string, string>();
  for (const chart of app.charts) {
    const docs = Object.values(chart.toJson()).map((o) => toYaml(o, { version: '1.1', keepUndefined: true }));
    files.set(`${Names.toDnsLabel(chart)}${app.outputFileExtension}`, docs.join('---\n'));
  }
  return files;
}

/**
 * The cdk8s app of an environment, the standalone stack or the operator resources as its `mode` says,
 * with the files written beside the manifests: the dashboards as plain files, for importing by hand,
 * and the operator's Helm values.
 */
export function environmentApp(config: StackConfig): { app: App; dashboards: Readonly<Record<string, unknown>>; extra: Map<string, string> } {
  const app = new App({ outdir: 'dist', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  if (config.mode === 'operator') {
    const stack = new OperatorStack(app, config);
    return { app, dashboards: stack.dashboards, extra: new Map(stack.files) };
  }
  return { app, dashboards: new MonitoringStack(app, config).grafana.dashboards, extra: new Map() };
}

/** One environment's files, relative to its folder, rendered in memory, and its objects of each kind. */
export interface RenderedEnvironment {
  readonly files: ReadonlyMap<string, string>;
  readonly kinds: Record<string, number>;
}

/** One environment rendered in memory: no folder is touched. */
function renderEnvironment(config: StackConfig): RenderedEnvironment {
  const { app, dashboards, extra } = environmentApp(config);
  const files = new Map([...renderManifests(app)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const kinds = countKinds(app);
  // In subdirectories, which `kubectl apply -f dist` (not recursive) leaves alone.
  for (const [file, model] of Object.entries(dashboards)) {
    files.set(`${DASHBOARDS_FOLDER}/${file}`, `${JSON.stringify(model, null, 2)}\n`);
  }
  for (const [file, text] of extra) files.set(file, text);
  return { files, kinds };
}

const DASHBOARDS_FOLDER = 'dashboards';

/** Environment names become folder names: checked before anything is rendered. */
function checkEnvironmentNames(environments: Record<string, StackConfig>): void {
  for (const [name, config] of Object.entries(environments)) {
    checkDnsLabel('environments', 'environment name', name);
    check(name !== DASHBOARDS_FOLDER, 'environments', 'environment name', name, `not ${DASHBOARDS_FOLDER}, the folder synth writes the plain dashboard files to`);
    check((config.environment ?? 'dev') === name, `environments.${name}`, 'environment', config.environment, `${JSON.stringify(name)}, the name it is listed under`);
  }
}

export { MARKER };

function markerText(files: Iterable<string>): string {
  return [
    "# Written by knowton-monitoring's synth (npm run synth), which replaces this folder as a whole and",
    '# refuses to if it holds a file that is neither listed here nor one it writes: add nothing by hand.',
    ...[...files].sort(),
    '',
  ].join('\n');
}

/**
 * Refuses an existing folder holding a file synth did not write: one that is neither in the new
 * tree nor listed by the folder's marker (what an earlier synth wrote). Empty or missing is fine.
 */
function checkOwned(t: Target): void {
  if (!fs.existsSync(t.dir)) return;
  const marker = path.join(t.dir, MARKER);
  const listed = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')) : [];
  const known = new Set([...t.files.keys(), ...listed]);
  const foreign = firstForeign(t.dir, known);
  check(foreign === undefined, t.where, t.field, t.given, `a folder holding only what synth writes, but it holds ${foreign}, which synth did not write`);
}

/** The first file below `dir` not in `known`, without walking further than needed. */
function firstForeign(dir: string, known: ReadonlySet<string>, prefix = ''): string | undefined {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = `${prefix}${e.name}`;
    const found = e.isDirectory() ? firstForeign(path.join(dir, e.name), known, `${rel}/`) : known.has(rel) ? undefined : rel;
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Where tests make synth die (KNOWTON_TEST_KILL_AT=<step>: SIGKILL, as a crash would) or fail
 * (KNOWTON_TEST_FAIL_AT=<step>[,<step>...]: as if the operation had failed) just before a step.
 * Steps: lock, stage-<t>, aside-<t>, in-<t>, cleanup-<t>, undo-in-<t>, undo-aside-<t>,
 * recover-<t>, unlock; <t> is dist or runbooks.
 */
function step(name: string): void {
  if (process.env.KNOWTON_TEST_KILL_AT === name) process.kill(process.pid, 'SIGKILL');
  if (process.env.KNOWTON_TEST_FAIL_AT?.split(',').includes(name)) {
    throw Object.assign(new Error(`EIO: injected by KNOWTON_TEST_FAIL_AT at step ${name}`), { code: 'EIO' });
  }
}

/** Takes the folder's lock (a file created exclusively, holding the pid), replacing a dead process's. */
function lock(t: Target): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(t.lock, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    const pid = Number(fs.readFileSync(t.lock, 'utf8').trim());
    if (alive(pid)) {
      const message = `EBUSY: another synth (pid ${pid}) is writing ${t.label}: it holds ${t.lock} (delete that file if pid ${pid} is no synth)`;
      throw Object.assign(new Error(message), { code: 'EBUSY', path: t.lock });
    }
    // A dead process's lock: the interrupted synth's leftovers are recovered next.
    fs.rmSync(t.lock, { force: true });
  }
}

function alive(pid: number): boolean {
  // Our own pid in the lock is a leftover: this process holds no lock yet.
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function unlock(t: Target): void {
  if (fs.existsSync(t.lock) && fs.readFileSync(t.lock, 'utf8').trim() === String(process.pid)) fs.rmSync(t.lock, { force: true });
}

/**
 * Finishes what a synth that died left: the old tree moved aside with nothing in its place is put
 * back; a moved-aside tree whose replacement is in place, and any staging folder, are deleted (as
 * are the per-pid folders of synths before the fixed names).
 */
function recover(t: Target): void {
  const parent = path.dirname(t.dir);
  const base = `${path.basename(t.dir)}.staging-`;
  const legacy = fs.readdirSync(parent).filter((f) =>
    (t.name === 'dist' && /^\.dist-(staging|previous)-\d+$/.test(f)) || (f.startsWith(base) && /^\d+$/.test(f.slice(base.length))));
  for (const previous of [t.previous, ...legacy.filter((f) => f.includes('previous')).map((f) => path.join(parent, f))]) {
    if (!fs.existsSync(previous)) continue;
    if (fs.existsSync(t.dir)) {
      fs.rmSync(previous, { recursive: true, force: true });
    } else {
      step(`recover-${t.name}`);
      fs.renameSync(previous, t.dir);
      t.recovered = true;
    }
  }
  for (const staging of [t.staging, ...legacy.filter((f) => !f.includes('previous')).map((f) => path.join(parent, f))]) {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Writes the new tree into the staging folder, the marker last. */
function stage(t: Target): void {
  step(`stage-${t.name}`);
  fs.mkdirSync(t.staging);
  for (const [file, text] of [...t.files].sort(([a], [b]) => (a === MARKER ? 1 : b === MARKER ? -1 : a < b ? -1 : 1))) {
    fs.mkdirSync(path.dirname(path.join(t.staging, file)), { recursive: true });
    fs.writeFileSync(path.join(t.staging, file), text);
  }
}

/** The truthful line on what a failed synth left in each output folder (`labels`: all of them, as given). */
function outputsLine(targets: Target[], labels: string[]): string {
  if (targets.every((t) => t.state === 'as-it-was' && !t.recovered)) {
    return labels.length > 1 ? `${labels.join(' and ')} were left as they were.` : `${labels[0] ?? 'Nothing'} was left as it was.`;
  }
  return `${targets.map((t) => {
    if (t.state === 'as-it-was') return `${t.label} ${t.recovered ? 'was put back as it was before an interrupted synth' : 'was left as it was'}`;
    const rel = path.relative(process.cwd(), t.previous);
    const previous = rel.startsWith('..') ? t.previous : rel;
    if (t.state === 'moved-aside') return `${t.label} is missing: the previous one is in ${previous}, and the next synth puts it back`;
    return `${t.label} holds the new output${fs.existsSync(t.previous) ? ` (the old one, in ${previous}, is deleted by the next synth)` : ''}`;
  }).join('; ')}.`;
}

export interface SynthAllOptions {
  /** The environments by name: the first written at the top of `outdir`, each other one into `<outdir>/<name>/`. @default {} */
  readonly environments?: Record<string, StackConfig>;
  /** The manifests' folder (KNOWTON_OUTDIR). @default none: no manifests are written */
  readonly outdir?: string;
  /** The runbook pages' folder (KNOWTON_RUNBOOKS_DIR). @default none: no runbooks are written */
  readonly runbooksDir?: string;
  /**
   * Environments already rendered, by profile object: used instead of rendering one again, and filled
   * with those rendered. For callers that synthesize the same unchanged profiles many times (the
   * synth-safety tests, which are about the folders, not the stack).
   * @default none: every environment is rendered
   */
  readonly rendered?: Map<StackConfig, RenderedEnvironment>;
}

export interface SynthAllResult {
  readonly environments: Record<string, SynthResult>;
  /** Runbook pages written, sorted. */
  readonly runbooks: string[];
}

/**
 * `npm run synth` as one transaction: checks the environment names and both folders, renders every
 * environment and the runbooks in memory, then, holding both folders' locks, finishes an interrupted
 * synth, checks the folders hold only synth's files, stages both new trees and swaps them in. A
 * failure before the swap changes nothing; a failed swap is undone. Throws a SynthError whose
 * `outputs` says truthfully what was left on disk.
 */
export function synthAll(options: SynthAllOptions): SynthAllResult {
  const environments = options.environments ?? {};
  const names = Object.keys(environments);
  const targets: Target[] = [];
  const held: Target[] = [];
  const done: Array<{ t: Target; kind: 'aside' | 'in'; from: string; to: string }> = [];
  try {
    checkEnvironmentNames(environments);
    targets.push(...outputFolders(options.outdir, options.runbooksDir));
    if (names.length > 0) check(options.outdir !== undefined, 'synthAll', 'outdir', options.outdir, 'a folder for the manifests');

    // Render everything before touching anything.
    const results: Record<string, SynthResult> = {};
    const [manifests, runbooks] = [targets.find((t) => t.name === 'dist'), targets.find((t) => t.name === 'runbooks')];
    names.forEach((name, i) => {
      let rendered = options.rendered?.get(environments[name]);
      try {
        rendered ??= renderEnvironment(environments[name]);
      } catch (err) {
        throw new SynthError(err, name);
      }
      options.rendered?.set(environments[name], rendered);
      const { files, kinds } = rendered;
      const prefix = i === 0 ? '' : `${name}/`;
      for (const [file, text] of files) manifests!.files.set(`${prefix}${file}`, text);
      results[name] = { files: [...files.keys()].sort(), kinds };
    });
    const pages = runbooks ? renderAllRunbooks() : {};
    for (const [file, text] of Object.entries(pages)) runbooks!.files.set(file, text);
    for (const t of targets) t.files.set(MARKER, markerText(t.files.keys()));
    targets.forEach(checkOwned);

    step('lock');
    for (const t of targets) {
      fs.mkdirSync(path.dirname(t.dir), { recursive: true });
      lock(t);
      held.push(t);
    }
    targets.forEach(recover);
    // Again: recovery may have put an older tree back.
    targets.forEach(checkOwned);
    targets.forEach(stage);

    const move = (t: Target, kind: 'aside' | 'in', from: string, to: string) => {
      step(`${kind}-${t.name}`);
      fs.renameSync(from, to);
      done.push({ t, kind, from, to });
      t.state = kind === 'aside' ? 'moved-aside' : 'replaced';
    };
    for (const t of targets) {
      t.existed = fs.existsSync(t.dir);
      if (t.existed) move(t, 'aside', t.dir, t.previous);
      move(t, 'in', t.staging, t.dir);
    }
    // Both new trees are in place: from here on a failure is not undone, only reported.
    done.length = 0;
    for (const t of targets) {
      step(`cleanup-${t.name}`);
      fs.rmSync(t.previous, { recursive: true, force: true });
    }
    step('unlock');
    held.forEach(unlock);
    return { environments: results, runbooks: Object.keys(pages).sort() };
  } catch (err) {
    undo(done);
    const failure = err instanceof SynthError ? err : new SynthError(err);
    failure.outputs = outputsLine(targets, [
      ...(options.outdir === undefined ? [] : [folderLabel('KNOWTON_OUTDIR', options.outdir)]),
      ...(options.runbooksDir === undefined ? [] : [folderLabel('KNOWTON_RUNBOOKS_DIR', options.runbooksDir)]),
    ]);
    // Cleaning up must not hide the error: what it leaves, the next synth clears. Staging folders are
    // ours only under our lock, and one beside a moved-aside tree is left for the next synth as well.
    for (const t of held) {
      quietly(() => t.state === 'as-it-was' && fs.rmSync(t.staging, { recursive: true, force: true }));
      quietly(() => unlock(t));
    }
    throw failure;
  }
}

function quietly(f: () => unknown): void {
  try {
    f();
  } catch {
    // reported by the caller's error
  }
}

/** Reverses the renames of a failed swap, newest first; stops at one that fails (the next synth recovers). */
function undo(done: Array<{ t: Target; kind: 'aside' | 'in'; from: string; to: string }>): void {
  try {
    for (const { t, kind, from, to } of done.reverse()) {
      step(`undo-${kind}-${t.name}`);
      fs.renameSync(to, from);
      t.state = kind === 'aside' || !t.existed ? 'as-it-was' : 'moved-aside';
    }
  } catch {
    // The state of each folder is what `state` says; recovery on the next synth completes it.
  }
}

/**
 * Synthesizes environments into `outdir`, replacing it only when all of them succeed: the first
 * at the top (what `kubectl apply -f dist` applies), each other one in a subdirectory of its name.
 */
export function synthesizeEnvironments(environments: Record<string, StackConfig>, outdir: string): Record<string, SynthResult> {
  return synthAll({ environments, outdir }).environments;
}

/** Synthesizes one configuration into `outdir`, replacing it only on success. */
export function synthesize(config: StackConfig, outdir: string): SynthResult {
  const name = config.environment ?? 'dev';
  return synthesizeEnvironments({ [name]: config }, outdir)[name];
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

/** Every runbook page: one per alert of rules/ and per SLO alert of slos/, and the index of both. */
export function renderAllRunbooks(): Record<string, string> {
  const slo = renderSloRunbooks(slos());
  // every optional alert too (remote write, the Alertmanager cluster): an environment that has them links to their page
  // the first checks' `kubectl -n $NS` commands name the standalone environments' namespaces
  const profiles = Object.values(allEnvironments());
  const namespaces = profiles.filter((c) => c.mode !== 'operator').map((c) => c.namespace ?? 'knowton-dev');
  const operator = profiles.find((c) => c.mode === 'operator');
  const pages = { ...renderRunbooks(ruleGroups(EVERY_RULE_CONTEXT), { namespaces, operatorNamespace: operator && (operator.namespace ?? 'knowton') }), ...slo.pages };
  pages['README.md'] = [pages['README.md'].replace(/\n+$/, ''), '', ...slo.index].join('\n');
  return pages;
}

/** Writes one runbook page per alert (and an index) into `dir`, replacing what was there. */
export function writeRunbooks(dir: string): string[] {
  return synthAll({ runbooksDir: dir }).runbooks;
}

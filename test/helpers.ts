/**
 * Shared test helpers: synthesize into a temporary directory, read the objects back, pull the
 * Prometheus files out of their ConfigMaps, and run the real Prometheus tools on them.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { StackConfig, environmentConfig } from '../lib/config';
import { synthesize } from '../lib/synth';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

export function tempDir(prefix = 'knowton-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Synthesizes `config` (default: the dev profile) into a fresh temporary directory. */
export function synthTo(config: StackConfig = environmentConfig('dev')): string {
  const dir = path.join(tempDir(), 'dist');
  synthesize(config, dir);
  return dir;
}

/** Every file below `dir`, relative, sorted. */
export function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  ).sort();
}

/** The Kubernetes objects in the top-level YAML files of `dir` (what `kubectl apply -f dir` reads). */
export function loadObjects(dir: string): K8sObject[] {
  return fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().flatMap((f) =>
    parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject).filter(Boolean),
  );
}

export function findObject(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the synthesized objects`);
  return found;
}

/** prometheus.yml and the rule files, parsed, from the synthesized ConfigMaps. */
export function prometheusFiles(objects: K8sObject[]): { config: any; rules: Record<string, string> } {
  const config = parse(findObject(objects, 'ConfigMap', 'prometheus-config').data['prometheus.yml']);
  const rules = (findObject(objects, 'ConfigMap', 'prometheus-rules').data ?? {}) as Record<string, string>;
  return { config, rules };
}

/**
 * prometheus.yml for a local run: each Kubernetes-discovered job gets `targets` as static targets
 * instead, the self-scrape points at `selfAddress`, rule files come from `rulesDir`. Nothing else changes.
 */
export function localPrometheusConfig(
  config: any,
  opts: {
    selfAddress: string;
    rulesDir: string;
    /** Static configs per job name; a discovered job without an entry gets no targets. */
    targets?: Record<string, Array<{ targets: string[]; labels?: Record<string, string> }>>;
    alertmanagers?: string[];
  },
): any {
  const local = JSON.parse(JSON.stringify(config));
  local.rule_files = [path.join(opts.rulesDir, '*.yml')];
  for (const job of local.scrape_configs) {
    if (job.job_name === 'prometheus') job.static_configs = [{ targets: [opts.selfAddress] }];
    if (job.kubernetes_sd_configs) {
      delete job.kubernetes_sd_configs;
      // Discovery meta labels do not exist for static targets, so the relabelling that reads them goes too.
      delete job.relabel_configs;
      job.static_configs = opts.targets?.[job.job_name] ?? [];
    }
  }
  if (opts.alertmanagers && local.alerting) {
    local.alerting.alertmanagers[0].static_configs = [{ targets: opts.alertmanagers }];
  }
  return local;
}

/**
 * promtool and Prometheus check that credential files exist; the files the pod mounts (service
 * account, remote-write Secrets) do not exist here, so every `*_file` path moves to an empty stand-in
 * under `dir`, keeping its path below it.
 */
export function withLocalServiceAccount(config: any, dir: string): any {
  return JSON.parse(JSON.stringify(config), (key, value) => {
    if (typeof value === 'string' && key.endsWith('_file') && path.isAbsolute(value)) {
      const local = path.join(dir, 'mounted', value);
      fs.mkdirSync(path.dirname(local), { recursive: true });
      fs.writeFileSync(local, '');
      return local;
    }
    return value;
  });
}

/**
 * Runs `promtool check config` on a synthesized prometheus.yml. Debian builds Prometheus without
 * Kubernetes discovery, so its promtool rejects kubernetes_sd_configs: those blocks alone become
 * static targets. Relabelling, TLS, auth, alerting, remote_write and the rule files are checked as synthesized.
 */
export function promtoolCheckConfig(objects: K8sObject[]): { code: number; output: string } {
  const dir = tempDir('knowton-promtool-');
  const rulesDir = path.join(dir, 'rules');
  fs.mkdirSync(rulesDir);
  const { config, rules } = prometheusFiles(objects);
  for (const [f, text] of Object.entries(rules)) fs.writeFileSync(path.join(rulesDir, f), text);
  const scrapeConfigs = config.scrape_configs.map(({ kubernetes_sd_configs, ...job }: any) =>
    kubernetes_sd_configs ? { ...job, static_configs: [{ targets: ['127.0.0.1:1'] }] } : job);
  const file = writeYaml(path.join(dir, 'prometheus.yml'), withLocalServiceAccount({
    ...config,
    rule_files: [path.join(rulesDir, '*.yml')],
    scrape_configs: scrapeConfigs,
  }, dir));
  return run('promtool', ['check', 'config', file]);
}

/** Writes the synthesized Alertmanager ConfigMap to a directory, pointing its paths there; returns alertmanager.yml's path. */
export function alertmanagerConfigDir(objects: K8sObject[]): string {
  const dir = tempDir('knowton-amtool-');
  const files = findObject(objects, 'ConfigMap', 'alertmanager-config').data as Record<string, string>;
  for (const [f, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, f), text.split('/etc/alertmanager/config').join(dir).split('/etc/alertmanager/secrets').join(path.join(dir, 'secrets')));
  }
  return path.join(dir, 'alertmanager.yml');
}

/** The kubernetes-models class for an object, e.g. `kubernetes-models/apps/v1/StatefulSet`. */
export function kubernetesModel(o: K8sObject): any {
  const group = o.apiVersion.includes('/') ? o.apiVersion : 'v1';
  return require(`kubernetes-models/${group}/${o.kind}`)[o.kind];
}

export function writeYaml(file: string, value: unknown): string {
  fs.writeFileSync(file, stringify(value, { lineWidth: 0 }));
  return file;
}

/** Runs a command to completion; returns its exit code and combined output. */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): { code: number; output: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A server process whose output is kept for the failure message; stop() always kills it. */
export class Server {
  readonly proc: ChildProcess;
  private output = '';

  constructor(cmd: string, args: string[]) {
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d) => (this.output += d));
    this.proc.stderr!.on('data', (d) => (this.output += d));
  }

  log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

export async function getJson(url: string, init?: RequestInit): Promise<any> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

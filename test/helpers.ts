/**
 * Shared test helpers: synthesize into a temporary directory, read the objects back, pull the
 * Prometheus files out of their ConfigMaps, and run the real Prometheus tools on them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { StackConfig, allEnvironments, environmentConfig } from '../lib/config';
import { K8sObject, loadObjects, prometheusFiles, withLocalServiceAccount, writeAlertmanagerFiles } from '../lib/demo/dist';
import { synthesize, synthesizeEnvironments } from '../lib/synth';

export type { K8sObject } from '../lib/demo/dist';
export { findObject, loadObjects, localPrometheusConfig, prometheusFiles, withLocalServiceAccount } from '../lib/demo/dist';
export { freePort, getJson, Server, sleep, waitFor } from '../lib/demo/processes';

export function tempDir(prefix = 'knowton-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Synthesizes `config` (default: the dev profile) into a fresh temporary directory. */
export function synthTo(config: StackConfig = environmentConfig('dev')): string {
  const dir = path.join(tempDir(), 'dist');
  synthesize(config, dir);
  return dir;
}

/** Every environment profile synthesized as `npm run synth` does (one transaction), its objects by environment. */
export function synthAllEnvironments(): Record<string, K8sObject[]> {
  const dist = path.join(tempDir(), 'dist');
  const environments = allEnvironments();
  synthesizeEnvironments(environments, dist);
  return Object.fromEntries(Object.keys(environments).map((name, i) => [name, loadObjects(i === 0 ? dist : path.join(dist, name))]));
}

/** Every file below `dir`, relative, sorted. */
export function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  ).sort();
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

/** Writes the synthesized Alertmanager ConfigMap to a new directory, pointing its paths there; returns alertmanager.yml's path. */
export function alertmanagerConfigDir(objects: K8sObject[]): string {
  return writeAlertmanagerFiles(objects, tempDir('knowton-amtool-'));
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


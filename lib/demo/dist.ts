/**
 * Reading a synthesized dist/ back, and the one change a machine without Kubernetes needs: the
 * discovered scrape targets become static ones. Used by `npm run demo`, the end-to-end test and
 * the benchmark, so that all three run exactly what `kubectl apply -f dist` would deploy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse, parseAllDocuments, stringify } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
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

/** The files of the Alertmanager ConfigMap (alertmanager.yml and the templates). */
export function alertmanagerFiles(objects: K8sObject[]): Record<string, string> {
  return findObject(objects, 'ConfigMap', 'alertmanager-config').data as Record<string, string>;
}

/** The plain dashboard JSON files of dist/dashboards, by file name. */
export function dashboardModels(dir: string): Record<string, any> {
  const d = path.join(dir, 'dashboards');
  return Object.fromEntries(fs.readdirSync(d).filter((f) => f.endsWith('.json')).sort().map((f) => [f, JSON.parse(fs.readFileSync(path.join(d, f), 'utf8'))]));
}

export interface StaticConfig {
  readonly targets: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * prometheus.yml for a local run: each Kubernetes-discovered job gets `targets` as static targets
 * instead (their labels standing in for what the relabelling derives from discovery), the
 * self-scrape points at `selfAddress`, rule files come from `rulesDir`, alerts go to
 * `alertmanagers`. Nothing else changes: scheme, TLS, authorization, honor_labels and
 * metric_relabel_configs stay as synthesized.
 */
export function localPrometheusConfig(
  config: any,
  opts: {
    selfAddress: string;
    rulesDir: string;
    /** Static configs per job name; a discovered job without an entry gets no targets. */
    targets?: Readonly<Record<string, readonly StaticConfig[]>>;
    alertmanagers?: readonly string[];
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
      // The self-scrape is discovered too: without targets for it, the server scrapes itself.
      job.static_configs = opts.targets?.[job.job_name] ?? (job.job_name === 'prometheus' ? [{ targets: [opts.selfAddress] }] : []);
    }
  }
  if (opts.alertmanagers && local.alerting) {
    local.alerting.alertmanagers[0].static_configs = [{ targets: opts.alertmanagers }];
  }
  return local;
}

/**
 * Prometheus checks that credential files exist; the files the pod mounts (service account token,
 * remote-write Secrets) do not exist here, so every absolute `*_file` path moves to an empty
 * stand-in under `dir`, keeping its path below it.
 */
export function withLocalServiceAccount(config: any, dir: string): any {
  return JSON.parse(JSON.stringify(config), (key, value) => {
    if (typeof value === 'string' && key.endsWith('_file') && path.isAbsolute(value)) {
      const local = path.join(dir, 'mounted', value);
      fs.mkdirSync(path.dirname(local), { recursive: true });
      if (!fs.existsSync(local)) fs.writeFileSync(local, '');
      return local;
    }
    return value;
  });
}

/**
 * alertmanager.yml for Debian's Alertmanager and amtool 0.25, which predate `webhook_configs[].url_file`
 * (0.26): each such webhook gets a `url` instead (by default a local address named after the file; `urlOf` may
 * read the file, as the newer Alertmanager does when it sends). The only change.
 */
export function withUrlFilesAsUrls(
  alertmanagerYml: string,
  urlOf: (file: string) => string = (file) => `http://127.0.0.1:1/url-file/${path.basename(file)}`,
): string {
  const config = parse(alertmanagerYml);
  let changed = false;
  for (const r of config.receivers ?? []) {
    r.webhook_configs = r.webhook_configs?.map(({ url_file, ...rest }: any) => {
      if (url_file === undefined) return rest;
      changed = true;
      return { ...rest, url: urlOf(url_file) };
    });
    if (r.webhook_configs === undefined) delete r.webhook_configs;
  }
  return changed ? stringify(config, { lineWidth: 0 }) : alertmanagerYml;
}

/**
 * Writes the Alertmanager ConfigMap's files to `dir`, with the pod's mount paths
 * (/etc/alertmanager/config, /etc/alertmanager/secrets) pointing below it and `url_file` webhooks made
 * `url` ones for the 0.25 tools (withUrlFilesAsUrls, with `urlOf`); returns alertmanager.yml's path.
 */
export function writeAlertmanagerFiles(objects: K8sObject[], dir: string, secretsDir = path.join(dir, 'secrets'), urlOf?: (file: string) => string): string {
  for (const [f, text] of Object.entries(alertmanagerFiles(objects))) {
    const local = text.split('/etc/alertmanager/config').join(dir).split('/etc/alertmanager/secrets').join(secretsDir);
    fs.writeFileSync(path.join(dir, f), f === 'alertmanager.yml' ? withUrlFilesAsUrls(local, urlOf) : local);
  }
  return path.join(dir, 'alertmanager.yml');
}

/**
 * `npm run diff` on real git history: a temporary repository with a committed dist/, a branch that
 * changes the stack the way pull requests do (an image bump, an alert threshold and `for`, PagerDuty
 * turned off, a watched namespace, a narrower PostgreSQL range, a dashboard panel removed and a query
 * changed, an alert removed), and the Markdown summary naming each of those changes.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { ENVIRONMENTS, StackConfig, allEnvironments } from '../lib/config';
import { defaultBase, reviewWorkingTree } from '../lib/review';
import { RenderedEnvironment, synthAll } from '../lib/synth';
import { Duration, count } from '../lib/units';
import { tempDir } from './helpers';

const ROOT = path.join(__dirname, '..');
let repo: string;
let summary: string;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function commitAll(message: string): void {
  git('add', '-A');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', message);
}

/** Rewrites one YAML file of dist/ through `edit` on its parsed documents (no YAML written by hand). */
function editYaml(file: string, edit: (docs: any[]) => void): void {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
  edit(docs);
  fs.writeFileSync(file, docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'));
}

function editJson(file: string, edit: (model: any) => void): void {
  const model = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(model);
  fs.writeFileSync(file, `${JSON.stringify(model, null, 2)}\n`);
}

beforeAll(() => {
  repo = tempDir('knowton-review-');
  git('init', '-q', '-b', 'main');
  // The feature branch changes dev only: the other environments' renders are reused.
  const rendered = new Map<StackConfig, RenderedEnvironment>();
  synthAll({ environments: allEnvironments(), outdir: path.join(repo, 'dist'), rendered });
  commitAll('dist/ as on main');
  git('checkout', '-q', '-b', 'feature');

  const dev: StackConfig = {
    ...ENVIRONMENTS.dev,
    watchedNamespaces: ['knowton-apps'],
    prometheus: { image: 'quay.io/prometheus/prometheus:v3.5.1' },
    alertmanager: { pagerduty: false },
    alerts: { HighDatabaseConnections: { threshold: count(90) }, HighErrorRate: { for: Duration.minutes(10) } },
    network: { postgresCidr: '10.20.0.0/16' },
  };
  synthAll({ environments: { ...allEnvironments(), dev }, outdir: path.join(repo, 'dist'), rendered });
  editJson(path.join(repo, 'dist', 'dashboards', 'service-health-dashboard.json'), (model) => {
    model.panels = model.panels.filter((p: any) => p.title !== 'Memory by service');
    model.panels.find((p: any) => p.title === 'Request rate').targets[0].expr = 'sum by (service, route) (rate(http_requests_total[$__rate_interval]))';
  });
  editYaml(path.join(repo, 'dist', 'prometheus.k8s.yaml'), (docs) => {
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'prometheus-rules');
    const groups = parseAllDocuments(cm.data['resources.rules.yml'])[0].toJS();
    groups.groups[0].rules = groups.groups[0].rules.filter((r: any) => r.alert !== 'PodCrashLooping');
    cm.data['resources.rules.yml'] = stringify(groups, { lineWidth: 0 });
  });
  commitAll('the change under review');

  // main moves on meanwhile (prod only): the default base is the merge base, so this is not in the summary.
  git('checkout', '-q', 'main');
  editYaml(path.join(repo, 'dist', 'prod', 'grafana.k8s.yaml'), (docs) => {
    docs.find((d) => d.kind === 'Deployment').spec.replicas = 2;
  });
  commitAll('main moves on');
  git('checkout', '-q', 'feature');

  const r = spawnSync(process.execPath, ['-r', path.join(ROOT, 'scripts', 'register-ts.js'), path.join(ROOT, 'scripts', 'diff.ts')], { cwd: repo, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run diff failed: ${r.stderr}`);
  summary = r.stdout;
});

const lines = (): string[] => summary.split('\n');
/** The lines of one environment's section. */
function sectionOf(env: string): string[] {
  const all = lines();
  const start = all.findIndex((l) => l.startsWith(`### ${env} `));
  const end = all.findIndex((l, i) => i > start && l.startsWith('### '));
  return all.slice(start, end < 0 ? undefined : end);
}

test('the title names the base: the merge base with main, not main itself', () => {
  const mergeBase = git('merge-base', 'feature', 'main').trim();
  expect(defaultBase(repo)).toBe(mergeBase);
  expect(lines()[0]).toBe(`## dist/ changes: the merge base with main (${mergeBase.slice(0, 7)}) → working tree`);
  // main's later change to prod is not part of this branch's review.
  expect(sectionOf('prod')).toEqual(['### prod (`dist/prod/`): no changes', '']);
  expect(sectionOf('staging')).toEqual(['### staging (`dist/staging/`): no changes', '']);
});

test('objects added and changed, counted', () => {
  const dev = sectionOf('dev');
  expect(dev).toContain('Objects: 2 added, 0 removed, 18 changed.');
  expect(dev).toContain('- added `Role knowton-apps/prometheus-discovery`');
  expect(dev).toContain('- changed spec.template: `Deployment knowton-dev/grafana`');
});

test('the image bump', () => {
  expect(sectionOf('dev')).toContain('- `StatefulSet knowton-dev/prometheus` container `prometheus`: `quay.io/prometheus/prometheus:v3.5.0` → `quay.io/prometheus/prometheus:v3.5.1`');
});

test('alerts: a threshold, a `for`, a removed alert', () => {
  const dev = sectionOf('dev');
  expect(dev).toContain('- changed `HighDatabaseConnections`: threshold `> 80` → `> 90`; annotations description');
  expect(dev).toContain('- changed `HighErrorRate`: for `5m` → `10m`');
  expect(dev).toContain('- removed `PodCrashLooping` (critical: `sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{namespace=~"knowton-dev"}[15m])) > 0`)');
});

test('routes and receivers: PagerDuty gone', () => {
  const dev = sectionOf('dev');
  expect(dev).toContain('- route removed: `severity="critical" → pagerduty`');
  expect(dev).toContain('- route changed: `severity="critical" → slack-critical`: continue `true` → `false`');
  expect(dev).toContain('- receiver removed: `pagerduty` (pagerduty_configs)');
});

test('dashboards: a panel removed, a query changed, a threshold line moved', () => {
  const dev = sectionOf('dev');
  expect(dev).toContain('- `service-health-dashboard.json`: panel removed `Memory by service`');
  expect(dev).toContain('- `service-health-dashboard.json`: panel `Request rate` query A: `sum by (service) (rate(http_requests_total{service=~"$service"}[$__rate_interval]))` → `sum by (service, route) (rate(http_requests_total[$__rate_interval]))`');
  expect(dev).toContain('- `service-health-dashboard.json`: panel `Database connections`: fieldConfig changed');
});

test('RBAC and NetworkPolicy changes are called out with what they grant or allow', () => {
  const dev = sectionOf('dev');
  const rbac = dev.indexOf('**⚠️ RBAC**');
  const netpol = dev.indexOf('**⚠️ NetworkPolicy**');
  expect(rbac).toBeGreaterThan(0);
  expect(dev.slice(rbac, netpol)).toEqual([
    '**⚠️ RBAC**',
    '',
    '- added `Role knowton-apps/prometheus-discovery`: get,list,watch pods,endpoints,services (core)',
    '- added `RoleBinding knowton-apps/prometheus-discovery`: roleRef Role prometheus-discovery; subject ServiceAccount knowton-dev/prometheus',
    '',
  ]);
  expect(dev).toContain('- changed `NetworkPolicy knowton-dev/postgres-exporter`: + egress to 10.20.0.0/16 on TCP/5432; '
    + '+ egress to namespaces kubernetes.io/metadata.name In (knowton-dev,knowton-apps) on TCP/5432; '
    + '- egress to 0.0.0.0/0 on TCP/5432; - egress to namespaces kubernetes.io/metadata.name In (knowton-dev) on TCP/5432');
  expect(dev).toContain('- changed `NetworkPolicy knowton-dev/prometheus`: + egress to namespaces kubernetes.io/metadata.name In (knowton-dev,knowton-apps) on any port; '
    + '- egress to namespaces kubernetes.io/metadata.name In (knowton-dev) on any port');
});

test('an explicit ref, and nothing to report against the working tree\'s own commit', () => {
  expect(reviewWorkingTree(repo, 'HEAD').split('\n').filter((l) => l.startsWith('### '))).toEqual([
    '### dev (`dist/`): no changes',
    '### staging (`dist/staging/`): no changes',
    '### prod (`dist/prod/`): no changes',
    '### operator (`dist/operator/`): no changes',
  ]);
  // Against main's tip, prod's replica change shows up (reversed: the working tree lacks it).
  expect(reviewWorkingTree(repo, 'main')).toContain('- changed spec.replicas: `Deployment knowton-prod/grafana`');
  expect(() => reviewWorkingTree(repo, 'no-such-ref')).toThrow(`no-such-ref is not a commit of the repository at ${repo}`);
});

test('without a main branch the base is HEAD', () => {
  const other = tempDir('knowton-review-nomain-');
  const g = (...args: string[]) => execFileSync('git', args, { cwd: other, stdio: 'pipe' });
  g('init', '-q', '-b', 'trunk');
  g('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'first');
  expect(defaultBase(other)).toBe('HEAD');
});

/**
 * The demo exporter over real HTTP(S): every exposition parses with promtool, together they hold
 * every catalog metric the exporters and services produce, and each scenario changes what the
 * alert rules read.
 */
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import { ALERT_RULES, ALERTMANAGER, ANY_TARGET, APP, CATALOG, Metric, PROMETHEUS, Source } from '../lib/catalog';
import { APP_JOB } from '../lib/components/prometheus-config';
import { DemoEndpoint, DemoExporter } from '../lib/demo/exporter';
import { Duration } from '../lib/units';
import { run } from './helpers';

/** GET over HTTP or HTTPS (the demo cAdvisor's certificate is self-signed), without keep-alive. */
function request(url: string, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method, agent: false, rejectUnauthorized: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function scrape(url: string): Promise<string> {
  const res = await request(url);
  expect(res.status).toBe(200);
  return res.body;
}

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function samples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`unparsable exposition line: ${line}`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
      return { name: m[1], labels, value: Number(m[3]) };
    });
}

/** Sum of the samples named `name` whose labels include `where`. */
function total(text: string, name: string, where: Record<string, string | RegExp> = {}): number {
  return samples(text)
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => (typeof v === 'string' ? s.labels[k] === v : v.test(s.labels[k] ?? ''))))
    .reduce((n, s) => n + s.value, 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * The sources whose metrics the real Prometheus and Alertmanager produce, not the demo (ALERTS is written
 * by Prometheus's rule evaluation).
 */
const REAL_SERVERS: readonly Source[] = [PROMETHEUS, ALERTMANAGER, ANY_TARGET, ALERT_RULES];
const demoMetrics = (): Metric[] => CATALOG.metrics.filter((m) => !REAL_SERVERS.includes(m.source));
const jobOf = (s: Source): string => (s === APP ? APP_JOB : s.job);

describe('DemoExporter', () => {
  let exporter: DemoExporter;
  const backend = (): DemoEndpoint => exporter.endpoints.find((e) => e.labels.service === 'backend')!;
  const endpoint = (job: string): DemoEndpoint => exporter.endpoints.find((e) => e.jobName === job)!;

  beforeAll(async () => {
    exporter = await DemoExporter.start({ tickInterval: Duration.millis(100), businessInterval: Duration.millis(500) });
  });
  afterAll(async () => {
    await exporter.stop();
  });

  test('targets: one static config per endpoint, under the job names of the synthesized prometheus.yml', () => {
    expect(Object.keys(exporter.targets).sort()).toEqual([APP_JOB, 'kube-state-metrics', 'kubelet', 'kubelet-cadvisor', 'node-exporter', 'postgres-exporter']);
    expect(exporter.targets[APP_JOB].map((t) => t.labels?.job)).toEqual(['knowton-backend', 'knowton-ai-service']);
    const b = exporter.targets[APP_JOB][0];
    expect(b.targets).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
    expect(b.labels).toEqual({ job: 'knowton-backend', service: 'backend', namespace: 'knowton-dev', pod: expect.stringMatching(/^backend-[a-z0-9]{9}-[a-z0-9]{5}$/) });
    expect(endpoint('kubelet-cadvisor').url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics\/cadvisor$/);
    expect(endpoint('kubelet').url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(endpoint('node-exporter').labels.namespace).toBe('knowton-dev-node-exporter');
  });

  test('cAdvisor and the kubelet are served over HTTPS with the self-signed certificate the exporter hands out', async () => {
    expect(exporter.caCertificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    // Verified against caCertificate (not skipped): the certificate names 127.0.0.1.
    for (const job of ['kubelet-cadvisor', 'kubelet']) {
      const status = await new Promise<number>((resolve, reject) => {
        https.get(endpoint(job).url, { ca: exporter.caCertificate, agent: false }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject);
      });
      expect({ job, status }).toEqual({ job, status: 200 });
    }
  });

  test('every exposition passes promtool check metrics', async () => {
    // Gauges named by the spec despite their suffix, node-exporter's real names (from /proc/meminfo),
    // and prom-client's own default metrics.
    const accepted = [
      'knowton_active_bonds_total non-counter metrics should not have "_total" suffix',
      'knowton_active_users_total non-counter metrics should not have "_total" suffix',
      "node_memory_MemAvailable_bytes metric names should be written in 'snake_case' not 'camelCase'",
      "node_memory_MemTotal_bytes metric names should be written in 'snake_case' not 'camelCase'",
    ];
    const promClientDefault = (f: string): boolean => /^(nodejs|process)_\w+ /.test(f) && !CATALOG.get(f.split(' ')[0]);
    for (const e of exporter.endpoints) {
      const { code, output } = run('promtool', ['check', 'metrics'], { input: await scrape(e.url) });
      const findings = output.split('\n').map((l) => l.trim()).filter(Boolean);
      expect({ url: e.url, findings: findings.filter((f) => !accepted.includes(f) && !promClientDefault(f)) }).toEqual({ url: e.url, findings: [] });
      expect(code === 0 || (code === 3 && findings.length > 0)).toBe(true);
    }
  });

  test('together the endpoints expose every catalog metric of the demo sources, on its source, with exactly its own labels', async () => {
    const metrics = demoMetrics();
    expect(metrics.length).toBeGreaterThan(30);
    const problems = async (): Promise<string[]> => {
      const texts = new Map<string, Sample[]>();
      for (const e of exporter.endpoints) texts.set(e.jobName, [...(texts.get(e.jobName) ?? []), ...samples(await scrape(e.url))]);
      const found: string[] = [];
      for (const m of metrics) {
        const seen = texts.get(jobOf(m.source)) ?? [];
        for (const s of m.seriesNames()) {
          const expected = [...m.ownLabels, ...(s.endsWith('_bucket') ? ['le'] : [])].sort().join(',');
          const sets = new Set(seen.filter((x) => x.name === s).map((x) => Object.keys(x.labels).sort().join(',')));
          if (sets.size === 0) found.push(`${s}: no series on ${jobOf(m.source)}`);
          for (const got of sets) if (got !== expected) found.push(`${s}: labels {${got}}, catalog says {${expected}}`);
        }
      }
      return found;
    };
    // Rare events (a mint every 2 s) need a moment to happen once.
    let last: string[] = [];
    await eventually(async () => (last = await problems()).length === 0, 'every catalog metric', 8000).catch(() => undefined);
    expect(last).toEqual([]);
  });

  test('every sample of a catalog metric is a finite number, and none is negative', async () => {
    // (prom-client's own event-loop summary reports NaN before its first measurement: not ours.)
    for (const e of exporter.endpoints) {
      for (const s of samples(await scrape(e.url)).filter((x) => CATALOG.lookup(x.name))) {
        if (!Number.isFinite(s.value) || s.value < 0) throw new Error(`${e.url}: ${s.name}${JSON.stringify(s.labels)} = ${s.value}`);
      }
    }
  });

  test('healthy: low error share, fast responses, pods Running, PostgreSQL up', async () => {
    const before = await scrape(backend().url);
    await sleep(2500);
    const after = await scrape(backend().url);
    const d = (name: string, where: Record<string, string | RegExp> = {}) => total(after, name, where) - total(before, name, where);
    expect(d('http_requests_total')).toBeGreaterThan(30);
    // The share over every service since start: enough requests that 0.5% cannot look like 5%.
    const apps = await Promise.all(exporter.targets[APP_JOB].map((_, i) => scrape(exporter.endpoints.filter((e) => e.jobName === APP_JOB)[i].url)));
    const all = (where: Record<string, RegExp> = {}) => apps.reduce((n, text) => n + total(text, 'http_requests_total', where), 0);
    expect(all()).toBeGreaterThan(80);
    expect(all({ status: /5../ }) / all()).toBeLessThan(0.05);
    expect(d('http_request_duration_seconds_bucket', { le: '1' }) / d('http_request_duration_seconds_count')).toBeGreaterThan(0.95);
    const ksm = await scrape(endpoint('kube-state-metrics').url);
    expect(total(ksm, 'kube_pod_status_phase', { phase: 'Running' })).toBe(2);
    expect(total(ksm, 'kube_pod_status_phase', { phase: 'Failed' })).toBe(0);
    const pg = await scrape(endpoint('postgres-exporter').url);
    expect(total(pg, 'pg_up')).toBe(1);
    expect(total(pg, 'pg_stat_database_numbackends')).toBeGreaterThan(15);
    expect(total(pg, 'pg_settings_max_connections')).toBe(100);
    // cAdvisor's container series join kube-state-metrics' on namespace, pod and container.
    const cad = samples(await scrape(endpoint('kubelet-cadvisor').url)).filter((s) => s.name === 'container_memory_working_set_bytes' && s.labels.container);
    const limits = samples(ksm).filter((s) => s.name === 'kube_pod_container_resource_limits' && s.labels.resource === 'memory');
    const key = (l: Record<string, string>) => `${l.namespace}/${l.pod}/${l.container}`;
    expect(cad.map((s) => key(s.labels)).sort()).toEqual(limits.map((s) => key(s.labels)).sort());
    for (const s of cad) expect(s.value / limits.find((l) => key(l.labels) === key(s.labels))!.value).toBeLessThan(0.85);
  });

  test('database-down: pg_up 0, no backends, collectors fail and no queries complete; healthy again restores them', async () => {
    const errors = async () => total(await scrape(backend().url), 'knowton_metrics_exporter_errors_total');
    const queries = async () => total(await scrape(backend().url), 'db_query_duration_seconds_count');
    const errorsBefore = await errors();
    exporter.setScenario('database-down');
    expect(exporter.scenario).toBe('database-down');
    const pg = await scrape(endpoint('postgres-exporter').url);
    expect(total(pg, 'pg_up')).toBe(1 - 1);
    expect(samples(pg).filter((s) => s.name === 'pg_stat_database_numbackends')).toEqual([]);
    await eventually(async () => (await errors()) > errorsBefore, 'collector errors');
    const q = await queries();
    await sleep(700);
    expect(await queries()).toBe(q);
    // The business gauges keep their last values.
    expect(total(await scrape(backend().url), 'knowton_active_users_total', { timeframe: '24h' })).toBeGreaterThan(1000);

    exporter.setScenario('healthy');
    const pg2 = await scrape(endpoint('postgres-exporter').url);
    expect(total(pg2, 'pg_up')).toBe(1);
    expect(total(pg2, 'pg_stat_database_numbackends')).toBeGreaterThan(15);
  });

  test('service-down: the ai-service drops its scrapes, the others answer; healthy again restores it', async () => {
    const ai = exporter.endpoints.find((e) => e.labels.service === 'ai-service')!;
    exporter.setScenario('service-down');
    await expect(fetch(ai.url)).rejects.toThrow();
    expect((await fetch(backend().url)).status).toBe(200);
    exporter.setScenario('healthy');
    expect((await fetch(ai.url)).status).toBe(200);
  });

  test('the control endpoint reports, switches, and rejects unknown names with 400', async () => {
    const get = await request(exporter.controlUrl);
    expect(get.status).toBe(200);
    const state = JSON.parse(get.body);
    expect(state.scenario).toBe('healthy');
    expect(Object.keys(state.scenarios).sort()).toEqual(['database-down', 'error-spike', 'healthy', 'many-faults', 'minting-stopped', 'service-down', 'slow-responses']);
    expect(state.scenarios['error-spike']).toMatch(/HighErrorRate/);

    const bad = await request(exporter.controlUrl, 'POST', 'meltdown');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/meltdown/);
    expect(bad.body).toMatch(/error-spike/);
    expect(exporter.scenario).toBe('healthy');

    const ok = await request(exporter.controlUrl, 'POST', 'error-spike\n');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).scenario).toBe('error-spike');
    const viaQuery = await request(`${exporter.controlUrl}?name=slow-responses`, 'PUT');
    expect(viaQuery.status).toBe(200);
    expect(exporter.scenario).toBe('slow-responses');
    exporter.setScenario('healthy');
  });

  test('error-spike: well over 5% of the backend responses are 5xx', async () => {
    exporter.setScenario('error-spike');
    const before = await scrape(backend().url);
    await sleep(2500);
    const after = await scrape(backend().url);
    const d = (where: Record<string, string | RegExp> = {}) => total(after, 'http_requests_total', where) - total(before, 'http_requests_total', where);
    expect(d()).toBeGreaterThan(30);
    // ~30% expected; 10% leaves room for chance over ~50 requests.
    expect(d({ status: /5../ }) / d()).toBeGreaterThan(0.1);
    exporter.setScenario('healthy');
  });

  test('slow-responses: most backend responses take more than 1 s', async () => {
    exporter.setScenario('slow-responses');
    const before = await scrape(backend().url);
    await sleep(2500);
    const after = await scrape(backend().url);
    const d = (name: string, where: Record<string, string> = {}) => total(after, name, where) - total(before, name, where);
    const count = d('http_request_duration_seconds_count');
    expect(count).toBeGreaterThan(30);
    expect(d('http_request_duration_seconds_bucket', { le: '1' }) / count).toBeLessThan(0.4);
    exporter.setScenario('healthy');
  });

  test('setScenario rejects an unknown name, naming it and the allowed ones', () => {
    expect(() => exporter.setScenario('meltdown' as never)).toThrow(/DemoExporter.*name.*'healthy'.*'database-down'.*"meltdown"/);
  });
});

describe('DemoExporter started in minting-stopped', () => {
  test('exposes no knowton_nft_mints_total series at all', async () => {
    const exporter = await DemoExporter.start({ scenario: 'minting-stopped', tickInterval: Duration.millis(50) });
    try {
      await sleep(1500);
      const text = await scrape(exporter.endpoints.find((e) => e.labels.service === 'backend')!.url);
      expect(samples(text).filter((s) => s.name === 'knowton_nft_mints_total')).toEqual([]);
      // The rest of the traffic goes on.
      expect(total(text, 'knowton_transactions_total')).toBeGreaterThan(0);
      // Minting again creates the series.
      exporter.setScenario('healthy');
      await eventually(async () => total(await scrape(exporter.endpoints.find((e) => e.labels.service === 'backend')!.url), 'knowton_nft_mints_total') > 0, 'a mint', 8000);
    } finally {
      await exporter.stop();
    }
  });
});

describe('DemoExporter options and stop()', () => {
  test.each([
    [{ tickInterval: Duration.millis(-5) }, /DemoExporter: tickInterval must be a positive duration, got "-5 ms"/],
    [{ businessInterval: Duration.millis(0) }, /DemoExporter: businessInterval must be a positive duration/],
    [{ services: [] }, /DemoExporter: services must be a non-empty list/],
    [{ services: ['Backend'] }, /DemoExporter: services must be DNS labels.*"Backend"/],
    [{ scenario: 'meltdown' as never }, /DemoExporter: scenario must be one of 'healthy', .*got "meltdown"/],
  ])('rejects %p', async (options, message) => {
    await expect(DemoExporter.start(options)).rejects.toThrow(message);
  });

  test('stop() closes every port and is idempotent', async () => {
    const exporter = await DemoExporter.start();
    const urls = [...exporter.endpoints.map((e) => e.url), exporter.controlUrl];
    // An open keep-alive connection must not hold stop() up.
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve) => http.get(exporter.controlUrl, { agent }, (res) => res.resume().on('end', resolve)));
    await Promise.all([exporter.stop(), exporter.stop()]);
    agent.destroy();
    for (const u of urls) {
      const { port } = new URL(u);
      const refused = await new Promise<boolean>((resolve) => {
        const s = net.connect(Number(port), '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(false)));
        s.once('error', () => resolve(true));
      });
      expect({ url: u, refused }).toEqual({ url: u, refused: true });
    }
    await exporter.stop();
  });
});

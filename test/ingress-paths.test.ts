/**
 * The Ingress exposes what a user of the UIs needs and nothing else. A stand-in for the ingress controller
 * (an HTTP proxy applying the Ingress v1 path rules to the synthesized Ingress's paths) sits in front of a real
 * Prometheus and Alertmanager started with the lifecycle and admin endpoints on, as the image runs them:
 * every page of the UI, every asset it loads and every API call its scripts make passes; `/-/quit`,
 * `/-/reload` and the admin API do not.
 *
 * What is proven against a real server: Debian's Prometheus 2.42 serves its classic UI (no React build), so
 * that UI is crawled (pages from its navigation, assets from the pages, API calls from the scripts); Debian's
 * Alertmanager 0.25 serves no web UI, so only the v2 API calls the UI makes are proven against it. The
 * Prometheus 3 Mantine UI of the pinned image and Alertmanager's Elm UI are checked from lists of their
 * routes, assets and API calls (below), not against a running server.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import { environmentConfig } from '../lib/config';
import { IngressPath, STRICT_PATH, matchIngressPath } from '../lib/components/ingress';
import { standaloneEnvironmentNames } from '../lib/config';
import { Prometheus } from '../lib/components/prometheus';
import { K8sObject, Server, findObject, freePort, loadObjects, synthTo, tempDir, waitFor } from './helpers';

let objects: K8sObject[];
const servers: Server[] = [];
const proxies: http.Server[] = [];

const pathsOf = (name: string): IngressPath[] =>
  findObject(objects, 'Ingress', name).spec.rules[0].http.paths.map((p: any) => ({ path: p.path, pathType: p.pathType }));

/** The ingress controller's part: route by the Ingress paths, or answer 404 itself without reaching the Service. */
async function ingressStandIn(paths: IngressPath[], backend: string): Promise<string> {
  const target = new URL(backend);
  const proxy = http.createServer((req, res) => {
    const requestPath = (req.url ?? '/').split('?')[0];
    if (!matchIngressPath(paths, requestPath)) {
      res.writeHead(404, { 'x-ingress-stand-in': 'no-route' });
      res.end('default backend - 404');
      return;
    }
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxies.push(proxy);
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

const routed = (r: Response) => r.headers.get('x-ingress-stand-in') === null;

beforeAll(() => {
  objects = loadObjects(synthTo(environmentConfig('dev')));
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const p of proxies) await new Promise((r) => p.close(r));
});

describe('the Ingress v1 path rules (the table of the Kubernetes Ingress documentation)', () => {
  const P = (path: string): IngressPath => ({ path, pathType: 'Prefix' });
  const E = (path: string): IngressPath => ({ path, pathType: 'Exact' });
  const I = (path: string): IngressPath => ({ path, pathType: 'ImplementationSpecific' });
  test.each<[IngressPath[], string, IngressPath | undefined]>([
    [[P('/')], '/anything', P('/')],
    [[E('/foo')], '/foo', E('/foo')],
    [[E('/foo')], '/bar', undefined],
    [[E('/foo')], '/foo/', undefined],
    [[E('/foo/')], '/foo', undefined],
    [[P('/foo')], '/foo', P('/foo')],
    [[P('/foo')], '/foo/', P('/foo')],
    [[P('/foo/')], '/foo', P('/foo/')],
    [[P('/aaa/bb')], '/aaa/bbb', undefined],
    [[P('/aaa/bbb')], '/aaa/bbb/ccc', P('/aaa/bbb')],
    [[P('/aaa/bbb/')], '/aaa/bbb', P('/aaa/bbb/')],
    [[P('/aaa/bbb')], '/aaa/bbbxyz', undefined],
    [[P('/'), P('/aaa')], '/aaa/ccc', P('/aaa')],
    [[P('/'), P('/aaa'), P('/aaa/bbb')], '/aaa/bbb', P('/aaa/bbb')],
    [[P('/'), P('/aaa'), P('/aaa/bbb')], '/ccc', P('/')],
    [[P('/aaa')], '/ccc', undefined],
    [[E('/foo'), P('/foo')], '/foo', E('/foo')],
    // ImplementationSpecific, as ingress-nginx serves it without regexes: a string prefix.
    [[I('/favicon.ico')], '/favicon.ico', I('/favicon.ico')],
    [[I('/script.js')], '/script.jsx', I('/script.js')],
    [[I('/script.js')], '/script', undefined],
    [[E('/'), I('/script.js')], '/', E('/')],
  ])('%j routes %s to %j', (paths, request, expected) => {
    expect(matchIngressPath(paths, request)).toEqual(expected);
  });
});

describe('Prometheus through the Ingress', () => {
  let direct: string;
  let viaIngress: string;

  beforeAll(async () => {
    const dir = tempDir('knowton-ingress-prom-');
    const port = await freePort();
    direct = `http://127.0.0.1:${port}`;
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), `global: {scrape_interval: 1s}\nscrape_configs: [{job_name: prometheus, static_configs: [{targets: ['127.0.0.1:${port}']}]}]\n`);
    const server = new Server('prometheus', [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // As the pod runs it (the admin API when enableAdminApi is set).
      '--web.enable-lifecycle',
      '--web.enable-admin-api',
    ]);
    servers.push(server);
    await waitFor('Prometheus to be ready', async () => ((await fetch(`${direct}/-/ready`)).ok ? true : undefined))
      .catch((err) => { throw new Error(`${err.message}\n${server.log()}`); });
    viaIngress = await ingressStandIn(pathsOf('prometheus'), direct);
  });

  /** GET through the Ingress, following redirects (each hop must be routed too); the last response. */
  async function get(url: string): Promise<{ url: string; res: Response; body: string }> {
    for (let hop = 0; hop < 5; hop++) {
      const res = await fetch(url, { redirect: 'manual' });
      expect([url, routed(res)]).toEqual([url, true]);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).toString().replace(direct, viaIngress);
        continue;
      }
      return { url, res, body: await res.text() };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  test("the real server's UI (2.42 classic): every page, asset and API call its scripts make is routed", async () => {
    const home = await get(`${viaIngress}/`);
    expect(home.res.status).toBe(200);
    const pages = [...new Set([...home.body.matchAll(/href="(\/classic\/[a-z-]*)"/g)].map((m) => m[1]))];
    expect(pages).toEqual(expect.arrayContaining(['/classic/graph', '/classic/alerts', '/classic/targets', '/classic/rules', '/classic/status', '/classic/config', '/classic/flags', '/classic/service-discovery']));
    const assets = new Set<string>();
    for (const page of pages) {
      const { res, body } = await get(`${viaIngress}${page}`);
      expect([page, res.status]).toEqual([page, 200]);
      for (const m of body.matchAll(/(?:src|href)="(\/classic\/static\/[^"]+)"/g)) assets.add(m[1]);
    }
    expect(assets.size).toBeGreaterThan(10);
    const apiCalls = new Set<string>();
    for (const asset of assets) {
      const { res, body } = await get(`${viaIngress}${asset}`);
      expect([asset, res.status]).toEqual([asset, 200]);
      if (asset.split('?')[0].endsWith('.js') && asset.includes('/classic/static/js/')) {
        for (const m of body.matchAll(/PATH_PREFIX\s*\+\s*"(\/[^"?]+)/g)) apiCalls.add(m[1]);
      }
    }
    expect([...apiCalls].filter((c) => c.startsWith('/api/'))).toEqual(expect.arrayContaining(['/api/v1/query', '/api/v1/query_range', '/api/v1/label/__name__/values']));
    const now = Math.floor(Date.now() / 1000);
    const params: Record<string, string> = { '/api/v1/query': '?query=up', '/api/v1/query_range': `?query=up&start=${now - 60}&end=${now}&step=15` };
    for (const call of apiCalls) {
      const { res } = await get(`${viaIngress}${call}${params[call] ?? ''}`);
      expect([call, res.status]).toEqual([call, 200]);
    }
  });

  test("the pinned image's UI (Prometheus 3, from the list of its routes): every page, asset and API call is routed", () => {
    const paths = pathsOf('prometheus');
    const v3 = [
      '/', '/query', '/graph', '/alerts', '/targets', '/rules', '/status', '/config', '/flags', '/tsdb-status', '/service-discovery',
      '/alertmanager-discovery', '/agent', '/favicon.svg', '/favicon.ico', '/manifest.json', '/assets/index-Cq3ZfTbF.js', '/assets/index-D1Q8Vgxr.css',
      '/api/v1/query', '/api/v1/query_range', '/api/v1/query_exemplars', '/api/v1/series', '/api/v1/labels', '/api/v1/label/job/values',
      '/api/v1/label/__name__/values', '/api/v1/metadata', '/api/v1/targets', '/api/v1/targets/metadata', '/api/v1/targets/relabel_steps',
      '/api/v1/scrape_pools', '/api/v1/rules', '/api/v1/alerts', '/api/v1/alertmanagers', '/api/v1/status/buildinfo', '/api/v1/status/runtimeinfo',
      '/api/v1/status/config', '/api/v1/status/flags', '/api/v1/status/tsdb', '/api/v1/status/walreplay', '/api/v1/format_query',
      '/api/v1/parse_query', '/api/v1/notifications', '/api/v1/notifications/live',
      // Asked while the server replays its WAL, to show the progress instead of an error.
      '/-/ready',
      // The React UI of Prometheus 2.x, for an image pinned back to it.
      '/static/js/main.3f1a7a0b.js', '/static/css/main.8c1a2b3d.css',
    ];
    expect(v3.filter((p) => !matchIngressPath(paths, p))).toEqual([]);
  });

  test('the lifecycle and admin endpoints are not routed, though the server has them on', async () => {
    const forbidden: Array<[string, string]> = [
      ['POST', '/-/quit'],
      ['POST', '/-/reload'],
      ['PUT', '/-/reload'],
      ['POST', '/api/v1/admin/tsdb/delete_series?match[]=up'],
      ['POST', '/api/v1/admin/tsdb/snapshot'],
      ['POST', '/api/v1/admin/tsdb/clean_tombstones'],
      ['GET', '/federate?match[]=up'],
      ['GET', '/metrics'],
      ['GET', '/-/healthy'],
    ];
    for (const [method, p] of forbidden) {
      const res = await fetch(`${viaIngress}${p}`, { method });
      expect([method, p, res.status, routed(res)]).toEqual([method, p, 404, false]);
    }
    // They are really on: the Ingress is what keeps them out.
    expect((await fetch(`${direct}/-/reload`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${direct}/api/v1/admin/tsdb/snapshot`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${direct}/-/healthy`)).status).toBe(200);
  });
});

describe('Alertmanager through the Ingress', () => {
  let direct: string;
  let viaIngress: string;

  beforeAll(async () => {
    const dir = tempDir('knowton-ingress-am-');
    const port = await freePort();
    direct = `http://127.0.0.1:${port}`;
    fs.writeFileSync(path.join(dir, 'alertmanager.yml'), 'route: {receiver: none}\nreceivers: [{name: none}]\n');
    const server = new Server('prometheus-alertmanager', [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ]);
    servers.push(server);
    await waitFor('Alertmanager to be ready', async () => ((await fetch(`${direct}/-/ready`)).ok ? true : undefined))
      .catch((err) => { throw new Error(`${err.message}\n${server.log()}`); });
    viaIngress = await ingressStandIn(pathsOf('alertmanager'), direct);
  });

  test('every API call of the UI reaches the real server, silences created and expired included', async () => {
    for (const p of ['/api/v2/status', '/api/v2/receivers', '/api/v2/alerts', '/api/v2/alerts/groups', '/api/v2/silences', '/', '/favicon.ico']) {
      const res = await fetch(`${viaIngress}${p}`);
      expect([p, res.status, routed(res)]).toEqual([p, 200, true]);
    }
    const now = new Date();
    const created = await fetch(`${viaIngress}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'alertname', value: 'ServiceDown', isRegex: false, isEqual: true }],
        startsAt: now.toISOString(),
        endsAt: new Date(now.getTime() + 3600_000).toISOString(),
        createdBy: 'sre',
        comment: 'maintenance',
      }),
    });
    expect(created.status).toBe(200);
    const { silenceID } = (await created.json()) as { silenceID: string };
    expect((await fetch(`${viaIngress}/api/v2/silence/${silenceID}`)).status).toBe(200);
    expect((await fetch(`${viaIngress}/api/v2/silence/${silenceID}`, { method: 'DELETE' })).status).toBe(200);
    const after = (await (await fetch(`${direct}/api/v2/silence/${silenceID}`)).json()) as any;
    expect(after.status.state).toBe('expired');
  });

  test("the UI's own files (Elm UI, from the list of what it loads) are routed", () => {
    const ui = ['/', '/script.js', '/favicon.ico', '/lib/bootstrap-4.0.0-alpha.6-dist/css/bootstrap.min.css',
      '/lib/font-awesome-4.7.0/css/font-awesome.min.css', '/lib/font-awesome-4.7.0/fonts/fontawesome-webfont.woff2', '/lib/elm-datepicker/css/elm-datepicker.css'];
    expect(ui.filter((p) => !matchIngressPath(pathsOf('alertmanager'), p))).toEqual([]);
  });

  test('/-/reload is not routed, though the server has it', async () => {
    for (const [method, p] of [['POST', '/-/reload'], ['POST', '/-/quit'], ['GET', '/metrics'], ['GET', '/-/ready']]) {
      const res = await fetch(`${viaIngress}${p}`, { method });
      expect([method, p, res.status, routed(res)]).toEqual([method, p, 404, false]);
    }
    expect((await fetch(`${direct}/-/reload`, { method: 'POST' })).status).toBe(200);
  });
});

describe('a path list that would route a lifecycle or admin endpoint fails synth', () => {
  test('Prometheus exposed whole', () => {
    const { App, Chart } = require('cdk8s');
    const { MonitoringIngress } = require('../lib/components/ingress');
    const { Prometheus } = require('../lib/components/prometheus');
    const chart = new Chart(new App(), 'ingress');
    expect(() => new MonitoringIngress(chart, 'ingress', {
      namespace: 'knowton-dev',
      uis: [{ name: 'prometheus', serviceName: 'prometheus-service', servicePort: 9090, needsAuth: true, paths: [{ path: '/', pathType: 'Prefix' }], forbiddenPaths: Prometheus.FORBIDDEN_PATHS }],
    })).toThrow('ingress/ingress: invalid uis.prometheus.paths {"path":"/","pathType":"Prefix"}: paths that do not route /-/quit (a lifecycle or admin endpoint, never for the UI\'s users)');
  });
});

describe('ingress-nginx admits every path (strict-validate-path-type, on by default since 1.12)', () => {
  test.each(standaloneEnvironmentNames())('%s: every Exact and Prefix path is letters, digits, /, _ and - only', (name) => {
    const objects = loadObjects(synthTo(environmentConfig(name)));
    const paths = objects.filter((o) => o.kind === 'Ingress').flatMap((i) => i.spec.rules[0].http.paths as IngressPath[]);
    expect(paths.length).toBeGreaterThan(40);
    expect(paths.filter((p) => p.pathType !== 'ImplementationSpecific' && !STRICT_PATH.test(p.path))).toEqual([]);
    // The dotted files are still routed, as ImplementationSpecific.
    expect(paths.filter((p) => p.path.includes('.')).map((p) => p.pathType)).toEqual(Array(5).fill('ImplementationSpecific'));
  });

  test('a dotted Exact path fails synth, naming the path type to use', () => {
    const { MonitoringIngress } = require('../lib/components/ingress');
    const { Chart, Testing } = require('cdk8s');
    expect(() => new MonitoringIngress(new Chart(Testing.app(), 'ingress'), 'ingress', {
      namespace: 'knowton-dev',
      uis: [{ name: 'prometheus', serviceName: 'prometheus-service', servicePort: 9090, needsAuth: true,
        paths: [{ path: '/favicon.ico', pathType: 'Exact' }], forbiddenPaths: Prometheus.FORBIDDEN_PATHS }],
    })).toThrow(/invalid uis\.prometheus\.paths \{"path":"\/favicon\.ico","pathType":"Exact"\}: .*pathType ImplementationSpecific for \/favicon\.ico/);
  });
});

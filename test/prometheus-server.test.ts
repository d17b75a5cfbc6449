/**
 * The synthesized Prometheus config and rules, loaded by a real Prometheus (Debian's package) on
 * 127.0.0.1. Kubernetes discovery is swapped for static targets; everything else is as synthesized.
 * The stack is synthesized with 1s scrape and evaluation intervals so the test takes seconds, not
 * the 15s a first scrape can wait for.
 */
import * as fs from 'fs';
import * as path from 'path';
import { environmentConfig } from '../lib/config';
import { Duration } from '../lib/units';
import {
  Server,
  freePort,
  getJson,
  loadObjects,
  localPrometheusConfig,
  prometheusFiles,
  synthTo,
  tempDir,
  waitFor,
  withLocalServiceAccount,
  writeYaml,
} from './helpers';

let server: Server;
let base: string;
let ruleFiles: string[];

beforeAll(async () => {
  const fast = { ...environmentConfig('dev'), prometheus: { scrapeInterval: Duration.seconds(1), scrapeTimeout: Duration.seconds(1), evaluationInterval: Duration.seconds(1) } };
  const objects = loadObjects(synthTo(fast));
  const { config, rules } = prometheusFiles(objects);
  const dir = tempDir('knowton-prom-');
  const rulesDir = path.join(dir, 'rules');
  fs.mkdirSync(rulesDir);
  for (const [f, text] of Object.entries(rules)) fs.writeFileSync(path.join(rulesDir, f), text);
  ruleFiles = Object.keys(rules);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const local = withLocalServiceAccount(localPrometheusConfig(config, { selfAddress: `127.0.0.1:${port}`, rulesDir }), dir);
  const file = writeYaml(path.join(dir, 'prometheus.yml'), local);
  server = new Server('prometheus', [
    `--config.file=${file}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
  ]);
  await waitFor('Prometheus to be ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined))
    .catch((err) => { throw new Error(`${err.message}\n${server.log()}`); });
});

afterAll(async () => {
  await server?.stop();
});

test('it reports itself healthy', async () => {
  expect((await fetch(`${base}/-/healthy`)).status).toBe(200);
});

test('its own target is up', async () => {
  const up = await waitFor('the prometheus target to be scraped', async () => {
    const targets = await getJson(`${base}/api/v1/targets`);
    const self = targets.data.activeTargets.find((t: any) => t.labels.job === 'prometheus');
    return self && self.health !== 'unknown' ? self : undefined;
  });
  expect(up.health).toBe('up');
  const q = await getJson(`${base}/api/v1/query?query=${encodeURIComponent('up{job="prometheus"}')}`);
  expect(q.data.result.map((r: any) => r.value[1])).toEqual(['1']);
});

test('the external environment label is set', async () => {
  const cfg = await getJson(`${base}/api/v1/status/config`);
  expect(cfg.data.yaml).toContain('environment: dev');
});

test('the reload endpoint the config-reloader calls is enabled', async () => {
  const res = await fetch(`${base}/-/reload`, { method: 'POST' });
  expect(res.status).toBe(200);
});

test('every rule group is loaded and healthy after an evaluation', async () => {
  const groups = await waitFor('every rule group to be evaluated', async () => {
    const res = await getJson(`${base}/api/v1/rules`);
    const gs = res.data.groups;
    const evaluated = gs.every((g: any) => g.lastEvaluation && !g.lastEvaluation.startsWith('0001'));
    return evaluated ? gs : undefined;
  });
  expect(groups.length).toBe(6); // the five of rules/ and slo
  expect(new Set(groups.map((g: any) => path.basename(g.file)))).toEqual(new Set(ruleFiles));
  for (const g of groups) {
    for (const r of g.rules) {
      expect([g.name, r.name, r.health, r.lastError ?? '']).toEqual([g.name, r.name, 'ok', '']);
    }
  }
});

/**
 * End to end, highly available (see e2e-ha.test.ts for the stack and what is local only): a broken
 * Prometheus replica is named. prometheus-1 is handed a configuration that does not load; both
 * replicas scrape it and fire PrometheusConfigReloadFailed about it, with the same labels, and the
 * three-member Alertmanager cluster sends it once per receiver, naming prometheus-1.
 */
import * as fs from 'fs';
import * as path from 'path';
import { environmentConfig } from '../lib/config';
import { getJson, LocalStack, Notification, sleep, waitFor } from '../lib/demo';
import { E2e, HA_TIMINGS, untilClusterFormed } from './e2e-support';

let stack: LocalStack;
const e2e = new E2e(() => stack, 'e2e-ha-replica.test.ts');
const timings = HA_TIMINGS;

beforeAll(async () => {
  stack = await LocalStack.start({ config: environmentConfig('prod'), timings });
}, 30000);

afterAll(async () => {
  await stack?.stop();
});

const place = (n: Notification): string => n.channel ?? n.via;

test('the three Alertmanagers form one cluster', async () => {
  await untilClusterFormed(stack);
}, 40000);

test('a broken replica is named: its failed reload, seen by both replicas, is one notification per receiver naming its pod', async () => {
  e2e.step();
  // prometheus-1 is handed a configuration that does not load; it keeps running the previous one.
  const file = path.join(stack.dir, 'prometheus', 'prometheus-1.yml');
  const good = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, `${good}\nnot: [valid\n`);
  try {
    expect((await fetch(`${stack.prometheusUrls[1]}/-/reload`, { method: 'POST' })).ok).toBe(false);
  } finally {
    fs.writeFileSync(file, good);
  }
  // Both replicas scrape prometheus-1, so both fire the alert about it, with the same labels.
  for (const url of stack.prometheusUrls) {
    const firing = await waitFor(`PrometheusConfigReloadFailed firing on ${url}`, async () => {
      const alerts = (await getJson(`${url}/api/v1/alerts`)).data.alerts as any[];
      const mine = alerts.filter((a) => a.labels.alertname === 'PrometheusConfigReloadFailed' && a.state === 'firing');
      return mine.length ? mine : undefined;
    }, 30000);
    expect(firing.map((a) => a.labels.pod)).toEqual(['prometheus-1']);
  }
  const sent = await waitFor('PrometheusConfigReloadFailed delivered', async () => {
    const got = e2e.sinceStep('PrometheusConfigReloadFailed', 'firing');
    return got.length ? got : undefined;
  }, 30000);
  expect(sent[0].labels).toMatchObject({ pod: 'prometheus-1', severity: 'warning' });
  // Every Alertmanager holds one alert: the replicas' copies are one.
  for (const url of stack.alertmanagerUrls) {
    const alerts = (await getJson(`${url}/api/v2/alerts?filter=${encodeURIComponent('alertname="PrometheusConfigReloadFailed"')}`)) as any[];
    expect(alerts.map((a) => [a.labels.pod, a.labels.replica])).toEqual([['prometheus-1', undefined]]);
  }
  await sleep(timings.groupWait.toMillis() * 4 + 2000);
  const got = e2e.sinceStep('PrometheusConfigReloadFailed', 'firing');
  const places = got.map(place);
  expect(places.length).toBeGreaterThan(0);
  // one notification per receiver, each naming prometheus-1 only
  expect(new Set(places).size).toBe(places.length);
  for (const n of got) expect(n.labels.pod).toBe('prometheus-1');
}, 90000);

test('it proved exactly its rows of test/e2e-coverage.ts (none)', () => {
  e2e.expectCoverage();
});

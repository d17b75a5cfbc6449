/**
 * End to end, highly available: the prod profile's two Prometheus replicas and three-replica
 * Alertmanager gossip cluster, run locally by Debian's servers on 127.0.0.1 (see test/e2e.test.ts
 * for what differs from a cluster). Each Prometheus sends every alert to every Alertmanager; the
 * test proves the replicas name themselves, their `replica` label is dropped from alerts, and one
 * incident gives one notification per receiver, not six.
 *
 * The cluster's own alerts fire and resolve on it (its rows of test/e2e-coverage.ts): a member stopped
 * (AlertmanagerClusterMembersInconsistent on the others), one member reloaded with its own copy of
 * alertmanager.yml (AlertmanagerConfigInconsistent), two of three stopped (AlertmanagerClusterDown,
 * still delivered by the one left), then everything restored.
 *
 * Also local only: Debian's Prometheus 2.x expands ${POD_NAME} in external labels with
 * --enable-feature=expand-external-labels (Prometheus 3, the image, does it by default), prod's
 * email receiver is left out (no SMTP server here), and with TEST_TIMINGS the Alertmanagers wait
 * 1s per cluster position (--cluster.peer-timeout) instead of 15s before notifying in a peer's place.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { environmentConfig } from '../lib/config';
import { getJson, LocalStack, Notification, sleep, TEST_TIMINGS, waitFor } from '../lib/demo';
import { Duration } from '../lib/units';
import { E2e, withShortWindows } from './e2e-support';

let stack: LocalStack;
const e2e = new E2e(() => stack, 'e2e-ha.test.ts');

/**
 * AlertmanagerClusterMembersInconsistent reads the most members seen over 5 minutes: shortened here
 * through StackConfig (`alerts.<name>.window`) so that a lost member shows within seconds.
 */
const MEMBERS_WINDOW = Duration.seconds(5);

/**
 * The two replicas scrape and evaluate on their own clocks, so for up to an interval or two one has
 * seen the recovery and the other not. In production group_interval (5m) is far longer than that
 * (15s intervals) and the cluster sends one resolved notification; with 1s grouping the alert would
 * be seen to resolve, fire again and resolve. So group_interval stays a few intervals long here.
 */
const timings = { ...TEST_TIMINGS, groupInterval: TEST_TIMINGS.interval.times(5) };

beforeAll(async () => {
  const config = withShortWindows(['AlertmanagerClusterMembersInconsistent'], MEMBERS_WINDOW, environmentConfig('prod'));
  stack = await LocalStack.start({ config, timings });
}, 30000);

afterAll(async () => {
  await stack?.stop();
});

const place = (n: Notification): string => n.channel ?? n.via;

/** Index into the receiver's log where the current scenario began: only later notifications count. */
let since = 0;
function switchTo(scenario: Parameters<LocalStack['exporter']['setScenario']>[0]): void {
  since = stack.receiver.received.length;
  stack.exporter.setScenario(scenario);
}
const sinceSwitch = (alertname: string, status: Notification['status']): Notification[] =>
  stack.receiver.received.slice(since).filter((n) => n.labels.alertname === alertname && n.status === status);

test('two Prometheus and three Alertmanagers run, the Alertmanagers as one cluster', async () => {
  expect(stack.prometheusUrls).toHaveLength(2);
  expect(stack.alertmanagerUrls).toHaveLength(3);
  const peers = await waitFor('the gossip cluster to form', async () => {
    const statuses = await Promise.all(stack.alertmanagerUrls.map((u) => getJson(`${u}/api/v2/status`)));
    return statuses.every((s) => s.cluster.status === 'ready' && s.cluster.peers.length === 3) ? statuses : undefined;
  }, 20000);
  expect(peers.map((s) => s.cluster.peers.length)).toEqual([3, 3, 3]);
});

test('each Prometheus names itself in the replica external label, and sends to every Alertmanager', async () => {
  for (const [i, url] of stack.prometheusUrls.entries()) {
    // /federate attaches the external labels to what it returns.
    const text = await waitFor('a federated sample', async () => {
      const t = await (await fetch(`${url}/federate?match[]=${encodeURIComponent('up{job="prometheus"}')}`)).text();
      return t.includes('up{') ? t : undefined;
    });
    expect(text).toContain(`replica="prometheus-${i}"`);
    expect(text).toContain('environment="prod"');
    const ams = await waitFor('every Alertmanager to be discovered', async () => {
      const active = (await getJson(`${url}/api/v1/alertmanagers`)).data.activeAlertmanagers as any[];
      return active.length === 3 ? active : undefined;
    });
    expect(ams.map((a) => new URL(a.url).origin).sort()).toEqual([...stack.alertmanagerUrls].sort());
  }
});

test('one incident, reported by both replicas to all three Alertmanagers, gives one notification per receiver', async () => {
  switchTo('database-down');
  const where = ['#knowton-alerts', '#knowton-critical', 'pagerduty'];
  await waitFor('PostgreSQLDown at every receiver', async () => {
    const got = sinceSwitch('PostgreSQLDown', 'firing');
    return where.every((w) => got.some((n) => place(n) === w)) ? true : undefined;
  }, 30000);
  // Every Alertmanager holds the alert once: the two replicas' copies are one alert without `replica`.
  for (const url of stack.alertmanagerUrls) {
    const alerts = (await getJson(`${url}/api/v2/alerts?filter=${encodeURIComponent('alertname="PostgreSQLDown"')}`)) as any[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0].labels.replica).toBeUndefined();
    expect(alerts[0].labels).toMatchObject({ environment: 'prod', severity: 'critical' });
  }
  // Long enough for the peers at positions 1 and 2 to have notified, had the first not done it.
  await sleep(timings.groupWait.toMillis() * 4 + 2000);
  const got = sinceSwitch('PostgreSQLDown', 'firing').map(place).sort();
  expect(got).toEqual([...where].sort());
}, 60000);

test('switching back resolves it once per receiver', async () => {
  switchTo('healthy');
  const where = ['#knowton-alerts', '#knowton-critical', 'pagerduty'];
  await waitFor('PostgreSQLDown resolved at every receiver', async () => {
    const got = sinceSwitch('PostgreSQLDown', 'resolved');
    return where.every((w) => got.some((n) => place(n) === w)) ? true : undefined;
  }, 30000);
  await sleep(timings.groupInterval.toMillis() + 2000);
  expect(sinceSwitch('PostgreSQLDown', 'resolved').map(place).sort()).toEqual([...where].sort());
}, 60000);

test('a broken replica is named: its failed reload, seen by both replicas, is one notification per receiver naming its pod', async () => {
  since = stack.receiver.received.length;
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
    const got = sinceSwitch('PrometheusConfigReloadFailed', 'firing');
    return got.length ? got : undefined;
  }, 30000);
  expect(sent[0].labels).toMatchObject({ pod: 'prometheus-1', severity: 'warning' });
  // Every Alertmanager holds one alert: the replicas' copies are one.
  for (const url of stack.alertmanagerUrls) {
    const alerts = (await getJson(`${url}/api/v2/alerts?filter=${encodeURIComponent('alertname="PrometheusConfigReloadFailed"')}`)) as any[];
    expect(alerts.map((a) => [a.labels.pod, a.labels.replica])).toEqual([['prometheus-1', undefined]]);
  }
  await sleep(timings.groupWait.toMillis() * 4 + 2000);
  const got = sinceSwitch('PrometheusConfigReloadFailed', 'firing');
  const places = got.map(place);
  expect(places.length).toBeGreaterThan(0);
  // one notification per receiver, each naming prometheus-1 only
  expect(new Set(places).size).toBe(places.length);
  for (const n of got) expect(n.labels.pod).toBe('prometheus-1');
}, 90000);

describe('the Alertmanager cluster: a member lost, one running another configuration, then half of it down', () => {
  const WARNINGS = ['#knowton-alerts', '#knowton-warnings'];
  const CRITICAL = ['#knowton-alerts', '#knowton-critical', 'pagerduty'];
  const CLUSTER = ['AlertmanagerClusterMembersInconsistent', 'AlertmanagerConfigInconsistent', 'AlertmanagerClusterDown'];
  let amYml: string;

  /** Fails if `name` fires in Prometheus at any sample over `intervals` evaluation intervals. */
  async function neverFires(name: string, intervals = 6): Promise<void> {
    const end = Date.now() + stack.interval.times(intervals).toMillis();
    while (Date.now() < end) {
      expect(await e2e.firing()).not.toContain(name);
      await sleep(stack.interval.toMillis() / 4);
    }
  }

  test('alertmanager-2 stopped and alertmanager-1 reloaded with an extra receiver: the cluster alerts but ClusterDown fire', async () => {
    // None of them fires before the faults: what follows is theirs.
    expect((await e2e.firing()).filter((n) => CLUSTER.includes(n))).toEqual([]);
    e2e.step();
    amYml = fs.readFileSync(stack.alertmanagerConfigFiles[1], 'utf8');
    // A harmless difference: a receiver no route uses.
    const changed = parse(amYml);
    changed.receivers.push({ name: 'unused-on-alertmanager-1' });
    fs.writeFileSync(stack.alertmanagerConfigFiles[1], stringify(changed, { lineWidth: 0 }));
    const [reload] = await Promise.all([
      fetch(`${stack.alertmanagerUrls[1]}/-/reload`, { method: 'POST' }).then((r) => r.status),
      stack.alertmanager[2].stop(),
    ]);
    expect(reload).toBe(200);

    const firing = await e2e.untilFiring(['AlertmanagerClusterMembersInconsistent', 'AlertmanagerConfigInconsistent']);
    const of = (name: string) => firing.filter((a) => a.alertname === name).map((a) => a.labels);
    // The two members left each see two of three (the reloaded one may report it an evaluation later);
    // the stopped one has no series.
    const members = new Set(of('AlertmanagerClusterMembersInconsistent').map((l) => l.pod));
    await waitFor('both members left to see two of three', async () => {
      for (const a of await e2e.firingAlerts()) if (a.alertname === 'AlertmanagerClusterMembersInconsistent') members.add(a.labels.pod);
      return members.size >= 2 ? true : undefined;
    }, 20000).catch(() => undefined);
    expect([...members].sort()).toEqual(['alertmanager-0', 'alertmanager-1']);
    expect(of('AlertmanagerConfigInconsistent')).toEqual([expect.objectContaining({ severity: 'warning', component: 'alertmanager' })]);
    // Two of three members up is not "half or more down".
    await neverFires('AlertmanagerClusterDown');
    await e2e.notified('AlertmanagerClusterMembersInconsistent', 'firing', WARNINGS);
    await e2e.notified('AlertmanagerConfigInconsistent', 'firing', WARNINGS);
  }, 60000);

  test('alertmanager-1 back on the shared configuration: ConfigInconsistent resolves; alertmanager-1 stopped too: ClusterDown fires and reaches every receiver through alertmanager-0', async () => {
    e2e.step();
    fs.writeFileSync(stack.alertmanagerConfigFiles[1], amYml);
    expect((await fetch(`${stack.alertmanagerUrls[1]}/-/reload`, { method: 'POST' })).status).toBe(200);
    await e2e.untilResolved(['AlertmanagerConfigInconsistent']);
    await e2e.notified('AlertmanagerConfigInconsistent', 'resolved', WARNINGS);

    e2e.step();
    await stack.alertmanager[1].stop();
    const firing = await e2e.untilFiring(['AlertmanagerClusterDown']);
    expect(firing.filter((a) => a.alertname === 'AlertmanagerClusterDown').map((a) => a.labels)).toEqual([
      expect.objectContaining({ severity: 'critical', component: 'alertmanager' }),
    ]);
    const sent = await e2e.notified('AlertmanagerClusterDown', 'firing', CRITICAL);
    expect(sent.map(place).sort()).toEqual([...CRITICAL].sort());
  }, 60000);

  test('both restarted: the cluster forms again and ClusterDown and MembersInconsistent resolve, at every receiver they reached', async () => {
    e2e.step();
    await Promise.all([1, 2].map(async (i) => {
      await stack.alertmanager[i].restart();
      await stack.alertmanager[i].ready(`${stack.alertmanagerUrls[i]}/-/ready`);
    }));
    await waitFor('the gossip cluster to form again', async () => {
      const statuses = await Promise.all(stack.alertmanagerUrls.map((u) => getJson(`${u}/api/v2/status`)));
      return statuses.every((s) => s.cluster.peers.length === 3) ? true : undefined;
    }, 20000);
    await e2e.untilResolved(['AlertmanagerClusterDown', 'AlertmanagerClusterMembersInconsistent']);
    await e2e.notified('AlertmanagerClusterDown', 'resolved', CRITICAL, 30000);
    await e2e.notified('AlertmanagerClusterMembersInconsistent', 'resolved', WARNINGS, 30000);
  }, 60000);
});

test('it proved exactly its rows of test/e2e-coverage.ts', () => {
  e2e.expectCoverage();
});

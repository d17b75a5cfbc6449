/**
 * End to end, highly available: the prod profile's two Prometheus replicas and three-replica
 * Alertmanager gossip cluster, run locally by Debian's servers on 127.0.0.1 (see test/e2e.test.ts
 * for what differs from a cluster). Each Prometheus sends every alert to every Alertmanager; the
 * test proves the replicas name themselves, their `replica` label is dropped from alerts, and one
 * incident gives one notification per receiver, not six.
 *
 * The HA proofs are split over four files, each with its own HA stack, so that jest runs them side
 * by side: this one; e2e-ha-replica.test.ts (a broken replica is named); e2e-ha-cluster.test.ts (a
 * member lost and one running another configuration: AlertmanagerClusterMembersInconsistent and
 * AlertmanagerConfigInconsistent); e2e-ha-cluster-down.test.ts (two of three stopped:
 * AlertmanagerClusterDown, still delivered by the one left).
 *
 * Also local only: Debian's Prometheus 2.x expands ${POD_NAME} in external labels with
 * --enable-feature=expand-external-labels (Prometheus 3, the image, does it by default), prod's
 * email receiver is left out (no SMTP server here), and with TEST_TIMINGS the Alertmanagers wait
 * 1s per cluster position (--cluster.peer-timeout) instead of 15s before notifying in a peer's place,
 * and gossip every 50ms (--cluster.gossip-interval) so that the cluster settles in about 2s.
 * group_interval is HA_TIMINGS's (test/e2e-support.ts says why).
 */
import { environmentConfig } from '../lib/config';
import { getJson, LocalStack, Notification, sleep, waitFor } from '../lib/demo';
import { E2e, HA_TIMINGS, untilClusterFormed } from './e2e-support';

let stack: LocalStack;
const e2e = new E2e(() => stack, 'e2e-ha.test.ts');
const timings = HA_TIMINGS;

beforeAll(async () => {
  stack = await LocalStack.start({ config: environmentConfig('prod'), timings });
}, 30000);

afterAll(async () => {
  await stack?.stop();
});

const place = (n: Notification): string => n.channel ?? n.via;

test('two Prometheus and three Alertmanagers run, the Alertmanagers as one cluster', async () => {
  expect(stack.prometheusUrls).toHaveLength(2);
  expect(stack.alertmanagerUrls).toHaveLength(3);
  const peers = await untilClusterFormed(stack);
  expect(peers.map((s) => s.cluster.peers.length)).toEqual([3, 3, 3]);
}, 40000);

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
}, 40000);

test('one incident, reported by both replicas to all three Alertmanagers, gives one notification per receiver', async () => {
  e2e.switchTo('database-down');
  const where = ['#knowton-alerts', '#knowton-critical', 'pagerduty'];
  await e2e.notified('PostgreSQLDown', 'firing', where, 30000);
  // Every Alertmanager holds the alert once: the two replicas' copies are one alert without `replica`.
  for (const url of stack.alertmanagerUrls) {
    const alerts = (await getJson(`${url}/api/v2/alerts?filter=${encodeURIComponent('alertname="PostgreSQLDown"')}`)) as any[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0].labels.replica).toBeUndefined();
    expect(alerts[0].labels).toMatchObject({ environment: 'prod', severity: 'critical' });
  }
  // Long enough for the peers at positions 1 and 2 to have notified, had the first not done it.
  await sleep(timings.groupWait.toMillis() * 4 + 2000);
  expect(e2e.sinceStep('PostgreSQLDown', 'firing').map(place).sort()).toEqual([...where].sort());
}, 60000);

test('switching back resolves it once per receiver', async () => {
  e2e.switchTo('healthy');
  const where = ['#knowton-alerts', '#knowton-critical', 'pagerduty'];
  await e2e.notified('PostgreSQLDown', 'resolved', where, 30000);
  await sleep(timings.groupInterval.toMillis() + 2000);
  expect(e2e.sinceStep('PostgreSQLDown', 'resolved').map(place).sort()).toEqual([...where].sort());
}, 60000);

test('it proved exactly its rows of test/e2e-coverage.ts (none: the cluster alerts are proven in e2e-ha-cluster*.test.ts)', () => {
  e2e.expectCoverage();
});

/**
 * End to end, highly available (see e2e-ha.test.ts for the stack and what is local only): half or more
 * of the Alertmanager cluster down. alertmanager-1 and alertmanager-2 are stopped: AlertmanagerClusterDown
 * fires and reaches every receiver through alertmanager-0, the one left; both restarted, the cluster
 * forms again and it resolves at every receiver it reached. (AlertmanagerClusterMembersInconsistent
 * fires too, as it must; e2e-ha-cluster.test.ts proves it.) AlertmanagerMemberDown fires for each stopped
 * member, and alertmanager-0 holds those alerts inhibited by AlertmanagerClusterDown: half the cluster down
 * pages once. (Whether a member's warning can slip out before the page is a matter of `for`: 15 minutes
 * against 5 in the rules, so no; here every `for` is shortened alike, so the test checks the inhibition,
 * not the absence of a warning.)
 */
import { environmentConfig } from '../lib/config';
import { getJson, LocalStack, Notification, waitFor } from '../lib/demo';
import { E2e, HA_TIMINGS, untilClusterFormed } from './e2e-support';

let stack: LocalStack;
const e2e = new E2e(() => stack, 'e2e-ha-cluster-down.test.ts');
const CRITICAL = ['#knowton-alerts', '#knowton-critical', 'pagerduty'];
const place = (n: Notification): string => n.channel ?? n.via;

beforeAll(async () => {
  stack = await LocalStack.start({ config: environmentConfig('prod'), timings: HA_TIMINGS });
}, 30000);

afterAll(async () => {
  await stack?.stop();
});

test('the cluster forms, and then only the Watchdog fires', async () => {
  await untilClusterFormed(stack);
  // AlertmanagerClusterDown does not fire before the fault: what follows is its.
  await e2e.untilQuiet();
}, 60000);

test('alertmanager-1 and alertmanager-2 stopped: ClusterDown fires and reaches every receiver through alertmanager-0', async () => {
  e2e.step();
  await Promise.all([1, 2].map((i) => stack.alertmanager[i].stop()));
  const firing = await e2e.untilFiring(['AlertmanagerClusterDown']);
  expect(firing.filter((a) => a.alertname === 'AlertmanagerClusterDown').map((a) => a.labels)).toEqual([
    expect.objectContaining({ severity: 'critical', component: 'alertmanager' }),
  ]);
  const sent = await e2e.notified('AlertmanagerClusterDown', 'firing', CRITICAL);
  expect(sent.map(place).sort()).toEqual([...CRITICAL].sort());
}, 60000);

test('AlertmanagerMemberDown fires for each stopped member, and alertmanager-0 holds them inhibited by AlertmanagerClusterDown', async () => {
  const firing = await e2e.untilFiring(['AlertmanagerMemberDown'], 30000, (all) => all.filter((a) => a.alertname === 'AlertmanagerMemberDown').length === 2);
  expect(firing.filter((a) => a.alertname === 'AlertmanagerMemberDown').map((a) => [a.labels.pod, a.labels.severity]).sort()).toEqual([
    ['alertmanager-1', 'warning'], ['alertmanager-2', 'warning'],
  ]);
  const filter = encodeURIComponent('alertname="AlertmanagerMemberDown"');
  const held = await waitFor('alertmanager-0 to hold both members\' alerts inhibited', async () => {
    const alerts = (await getJson(`${stack.alertmanagerUrls[0]}/api/v2/alerts?filter=${filter}`)) as Array<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }>;
    return alerts.length === 2 && alerts.every((a) => a.status.state === 'suppressed' && a.status.inhibitedBy.length > 0) ? alerts : undefined;
  }, 30000);
  expect(held.map((a) => a.labels.pod).sort()).toEqual(['alertmanager-1', 'alertmanager-2']);
}, 60000);

test('both restarted: the cluster forms again and ClusterDown resolves, at every receiver it reached', async () => {
  e2e.step();
  await Promise.all([1, 2].map(async (i) => {
    await stack.alertmanager[i].restart();
    await stack.alertmanager[i].ready(`${stack.alertmanagerUrls[i]}/-/ready`);
  }));
  await untilClusterFormed(stack);
  await e2e.untilResolved(['AlertmanagerClusterDown', 'AlertmanagerMemberDown']);
  await e2e.notified('AlertmanagerClusterDown', 'resolved', CRITICAL, 30000);
}, 60000);

test('it proved exactly its rows of test/e2e-coverage.ts', () => {
  e2e.expectCoverage();
});

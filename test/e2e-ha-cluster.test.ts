/**
 * End to end, highly available (see e2e-ha.test.ts for the stack and what is local only): the
 * Alertmanager cluster's own alerts on the local three-member cluster. alertmanager-2 is stopped
 * (AlertmanagerClusterMembersInconsistent on the two left) while alertmanager-1 is reloaded with its
 * own copy of alertmanager.yml (AlertmanagerConfigInconsistent); two of three up is not "half or more
 * down", so AlertmanagerClusterDown stays quiet (e2e-ha-cluster-down.test.ts makes it fire). Both are
 * delivered, and both resolve, at every receiver they reached, once the cluster is whole again.
 */
import * as fs from 'fs';
import { parse, stringify } from 'yaml';
import { environmentConfig } from '../lib/config';
import { LocalStack, sleep, waitFor } from '../lib/demo';
import { Duration } from '../lib/units';
import { E2e, HA_TIMINGS, untilClusterFormed, withShortWindows } from './e2e-support';

let stack: LocalStack;
const e2e = new E2e(() => stack, 'e2e-ha-cluster.test.ts');

/**
 * AlertmanagerClusterMembersInconsistent reads the most members seen over 5 minutes: shortened here
 * through StackConfig (`alerts.<name>.window`) so that a lost member shows within seconds.
 */
const MEMBERS_WINDOW = Duration.seconds(5);
const WARNINGS = ['#knowton-alerts', '#knowton-warnings'];
const FAULTS = ['AlertmanagerClusterMembersInconsistent', 'AlertmanagerConfigInconsistent'];

beforeAll(async () => {
  const config = withShortWindows(['AlertmanagerClusterMembersInconsistent'], MEMBERS_WINDOW, environmentConfig('prod'));
  stack = await LocalStack.start({ config, timings: HA_TIMINGS });
}, 30000);

afterAll(async () => {
  await stack?.stop();
});

/** Fails if `name` fires in Prometheus at any sample over `intervals` evaluation intervals. */
async function neverFires(name: string, intervals = 6): Promise<void> {
  const end = Date.now() + stack.interval.times(intervals).toMillis();
  while (Date.now() < end) {
    expect(await e2e.firing()).not.toContain(name);
    await sleep(stack.interval.toMillis() / 4);
  }
}

test('the cluster forms, and then only the Watchdog fires', async () => {
  await untilClusterFormed(stack);
  // None of the cluster alerts fires before the faults: what follows is theirs.
  await e2e.untilQuiet();
}, 60000);

describe('a member lost, one running another configuration', () => {
  let amYml: string;

  test('alertmanager-2 stopped and alertmanager-1 reloaded with an extra receiver: the cluster alerts but ClusterDown fire', async () => {
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

    const firing = await e2e.untilFiring(FAULTS);
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
    // Two of three members up is not "half or more down"; meanwhile both reach their channels.
    await Promise.all([
      neverFires('AlertmanagerClusterDown'),
      e2e.notified('AlertmanagerClusterMembersInconsistent', 'firing', WARNINGS),
      e2e.notified('AlertmanagerConfigInconsistent', 'firing', WARNINGS),
    ]);
  }, 60000);

  test('alertmanager-1 back on the shared configuration and alertmanager-2 restarted: both resolve, at every receiver they reached', async () => {
    e2e.step();
    fs.writeFileSync(stack.alertmanagerConfigFiles[1], amYml);
    expect((await fetch(`${stack.alertmanagerUrls[1]}/-/reload`, { method: 'POST' })).status).toBe(200);
    await stack.alertmanager[2].restart();
    await stack.alertmanager[2].ready(`${stack.alertmanagerUrls[2]}/-/ready`);
    await untilClusterFormed(stack);
    await e2e.untilResolved(FAULTS);
    await e2e.notified('AlertmanagerConfigInconsistent', 'resolved', WARNINGS, 30000);
    await e2e.notified('AlertmanagerClusterMembersInconsistent', 'resolved', WARNINGS, 30000);
  }, 60000);
});

test('it proved exactly its rows of test/e2e-coverage.ts', () => {
  e2e.expectCoverage();
});

/**
 * Issue 15, the monitors' own failure modes that need a feature to exist: remote write (only where
 * `prometheus.remoteWrite` is set), the Alertmanager gossip cluster (only above one replica), and the
 * Prometheus volume filling up (kubelet volume stats, a scrape job of its own). Rule groups come from
 * the stack built for a StackConfig, as synth builds them; behaviour runs on the real promtool and,
 * for the remote write metrics, on a real Prometheus (Debian's 2.42) sending to local receivers.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { stringify } from 'yaml';
import { AlertRule, RuleGroup } from '../lib/alerting';
import { environmentConfig, StackConfig, standaloneEnvironmentNames } from '../lib/config';
import { findObject, freePort, getJson, prometheusFiles, Server, sleep, waitFor } from '../lib/demo';
import { buildApp } from '../lib/synth';
import { Duration } from '../lib/units';
import { AlertCase, promtoolTestEach, runAlertCases, selector, tempDir, writeTestFiles } from './rule-tools';
import { synthAllEnvironments } from './helpers';

const REMOTE_WRITE = [{ url: 'https://mimir.example.org/api/v1/push' }];
const withRemoteWrite = (config: StackConfig): StackConfig => ({ ...config, prometheus: { ...config.prometheus, remoteWrite: REMOTE_WRITE } });

function groupsOf(config: StackConfig): readonly RuleGroup[] {
  return buildApp(config, tempDir()).stack.ruleGroups;
}
const monitoringAlerts = (groups: readonly RuleGroup[]): AlertRule[] => groups.find((g) => g.name === 'monitoring')!.alerts as AlertRule[];
const alertOf = (groups: readonly RuleGroup[], name: string): AlertRule => {
  const a = monitoringAlerts(groups).find((x) => x.name === name);
  if (!a) throw new Error(`no alert ${name}`);
  return a;
};

const REMOTE_WRITE_ALERTS = ['PrometheusRemoteWriteFailing', 'PrometheusRemoteWriteBehind'];
const CLUSTER_ALERTS = ['AlertmanagerClusterMembersInconsistent', 'AlertmanagerClusterDown', 'AlertmanagerConfigInconsistent'];

describe('which environment gets which monitor alerts', () => {
  const names = (config: StackConfig) => monitoringAlerts(groupsOf(config)).map((a) => a.name);

  test.each(['dev', 'staging'])('%s (no remote write, one Alertmanager): neither remote write nor cluster alerts', (env) => {
    const n = names(environmentConfig(env));
    for (const a of [...REMOTE_WRITE_ALERTS, ...CLUSTER_ALERTS]) expect(n).not.toContain(a);
    expect(n).toContain('PrometheusVolumeFillingUp');
    expect(n).toContain('PrometheusVolumeFull');
  });

  test('prod (three Alertmanagers): the cluster alerts, expecting three members; no remote write alerts', () => {
    const groups = groupsOf(environmentConfig('prod'));
    const n = monitoringAlerts(groups).map((a) => a.name);
    for (const a of CLUSTER_ALERTS) expect(n).toContain(a);
    for (const a of REMOTE_WRITE_ALERTS) expect(n).not.toContain(a);
    expect(alertOf(groups, 'AlertmanagerClusterMembersInconsistent').expr).toBe('max_over_time(alertmanager_cluster_members[5m]) < 3');
    // down: at least half of the members cannot be scraped
    expect(alertOf(groups, 'AlertmanagerClusterDown').expr).toBe('(sum(up{job="alertmanager"}) or vector(0)) < 2');
    expect(alertOf(groups, 'AlertmanagerConfigInconsistent').expr).toBe('count(count_values("value", alertmanager_config_hash)) >= 2');
  });

  test('the cluster alerts follow the replica count: five members, down below three', () => {
    const prod = environmentConfig('prod');
    const groups = groupsOf({ ...prod, alertmanager: { ...prod.alertmanager, replicas: 5 } });
    expect(alertOf(groups, 'AlertmanagerClusterMembersInconsistent').expr).toMatch(/< 5$/);
    expect(alertOf(groups, 'AlertmanagerClusterDown').expr).toMatch(/< 3$/);
  });

  test('a profile with remote write gets both remote write alerts, per queue', () => {
    const groups = groupsOf(withRemoteWrite(environmentConfig('dev')));
    expect(alertOf(groups, 'PrometheusRemoteWriteFailing').expr).toBe(
      '(sum by (pod, remote_name, url) (rate(prometheus_remote_storage_samples_failed_total[5m])) / sum by (pod, remote_name, url) (rate(prometheus_remote_storage_samples_total[5m]))) * 100 > 1',
    );
    expect(alertOf(groups, 'PrometheusRemoteWriteBehind').expr).toBe(
      'max_over_time(prometheus_remote_storage_highest_timestamp_in_seconds[5m]) - ignoring (remote_name, url) group_right max_over_time(prometheus_remote_storage_queue_highest_sent_timestamp_seconds[5m]) > 120',
    );
  });

  test('the synthesized environments: the kubelet job keeps only the volume stats of the watched namespaces', () => {
    const all = synthAllEnvironments();
    // The operator profile has no Prometheus of its own (test/operator.test.ts).
    for (const [env, objects] of Object.entries(all).filter(([env]) => standaloneEnvironmentNames().includes(env))) {
      const { config, rules } = prometheusFiles(objects);
      const job = config.scrape_configs.find((j: any) => j.job_name === 'kubelet');
      expect(job).toMatchObject({ scheme: 'https', metrics_path: '/metrics', kubernetes_sd_configs: [{ role: 'node' }] });
      const ns = env === 'dev' ? 'knowton-dev' : `knowton-${env}`;
      expect(job.metric_relabel_configs).toEqual([
        { source_labels: ['__name__'], regex: 'kubelet_volume_stats_available_bytes|kubelet_volume_stats_capacity_bytes', action: 'keep' },
        { source_labels: ['namespace'], regex: ns, action: 'keep' },
      ]);
      expect(rules['monitoring.rules.yml']).toContain('alert: PrometheusVolumeFillingUp');
      expect(rules['monitoring.rules.yml'].includes('alert: AlertmanagerClusterDown')).toBe(env === 'prod');
      expect(rules['monitoring.rules.yml']).not.toContain('PrometheusRemoteWrite');
      // the kubelet's metrics are read with the same ClusterRole rule as cAdvisor's (nodes/metrics)
      const role = findObject(objects, 'ClusterRole', `${ns}-prometheus`);
      expect(role.rules).toContainEqual({ apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] });
    }
  });
});

type Case = AlertCase;

/** Runs the cases on the monitoring group alone (it reads no other group's recordings), evaluated every `every`. */
const runCases = (groups: readonly RuleGroup[], cases: readonly Case[], every = '15s') =>
  runAlertCases(groups.filter((g) => g.name === 'monitoring'), cases, every);

const GiB = 2 ** 30;
const volume = (pvc: string, ns = 'knowton-prod') => ({ job: 'kubelet', instance: '10.0.0.5:10250', node: 'worker-1', namespace: ns, persistentvolumeclaim: pvc });
/** `minutes` one-minute samples of free bytes going from `fromGiB` by `perHourGiB`, on a 200 GiB volume. */
const freeSpace = (pvc: string, fromGiB: number, perHourGiB: number, minutes: number, ns?: string): Record<string, string> => ({
  [selector('kubelet_volume_stats_available_bytes', volume(pvc, ns))]: `${fromGiB * GiB}${perHourGiB < 0 ? '-' : '+'}${(Math.abs(perHourGiB) * GiB) / 60}x${minutes}`,
  [selector('kubelet_volume_stats_capacity_bytes', volume(pvc, ns))]: `${200 * GiB}x${minutes}`,
});

describe('with the real promtool', () => {
  const prod = groupsOf(withRemoteWrite(environmentConfig('prod')));

  test('generated tests of every monitor alert of prod with remote write: fire above, silent below and before `for`', async () => {
    const dir = tempDir();
    const monitoring = prod.find((g) => g.name === 'monitoring')!;
    // every minute (test/rules.test.ts runs them every 15 s too): the volume's test spans 14 hours
    const files = writeTestFiles(dir, [monitoring], Duration.minutes(1));
    for (const a of [...REMOTE_WRITE_ALERTS, ...CLUSTER_ALERTS, 'PrometheusVolumeFillingUp', 'PrometheusVolumeFull']) expect(files).toContain(`${a}.test.yml`);
    expect(files).toHaveLength(monitoring.alerts.length);
    expect(await promtoolTestEach(files.map((file) => ({ dir, file })))).toEqual([]);
  });

  test('PrometheusVolumeFillingUp names the claim and its pod, and only a Prometheus volume that both is low and keeps filling; PrometheusVolumeFull any nearly full one', () => {
    // 200 GiB volumes, 12 hours of samples a minute; evaluated every minute, as the trend spans hours
    const volumes = {
      // 36 GiB free (18%), 1 GiB less an hour: under 15% (30 GiB) from 6h, empty in a day and a half
      ...freeSpace('data-prometheus-1', 36, -1, 720),
      // full but steady (retentionSize holds it at 10% free)
      ...freeSpace('data-prometheus-0', 20, 0, 720),
      // nearly full (2%) and flat: retention does not keep up, and no trend is left to see
      ...freeSpace('data-prometheus-3', 4, 0, 720),
      // low (13%) and filling, but slowly: empty in 10 days
      ...freeSpace('data-prometheus-2', 26, -26 / 240, 720),
      // another claim (PostgreSQL's) and a Prometheus claim of an unwatched namespace, filling as fast
      ...freeSpace('data-postgres-0', 36, -1, 720),
      ...freeSpace('data-prometheus-0', 36, -1, 720, 'kube-system'),
    };
    const r = runCases(prod, [
      { name: 'at 11h only prometheus-1 fires', input: volumes, alertname: 'PrometheusVolumeFillingUp', evalTime: '11h', fires: [{ ...volume('data-prometheus-1'), pod: 'prometheus-1' }] },
      { name: 'at 6h30m under 15% for less than the hour of `for`: silent', input: volumes, alertname: 'PrometheusVolumeFillingUp', evalTime: '6h30m', fires: [] },
      // the watched namespace's Prometheus claim under 3% only: not the 10% one, not PostgreSQL's 1% (below)
      { name: 'at 11h only prometheus-3 is nearly full', input: { ...volumes, ...freeSpace('data-postgres-1', 2, 0, 720), ...freeSpace('data-prometheus-1', 2, 0, 720, 'kube-system') }, alertname: 'PrometheusVolumeFull', evalTime: '11h', fires: [{ ...volume('data-prometheus-3'), pod: 'prometheus-3' }] },
    ], '1m');
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  const am = (pod: string, i: number) => ({ job: 'alertmanager', instance: `10.42.1.${i}:9093`, namespace: 'knowton-prod', pod, node: 'worker-1' });

  test('in a cluster, Prometheus pages for its notifications only when every Alertmanager fails them, not one member down', () => {
    const prom = { job: 'prometheus', instance: '10.42.2.3:9090', namespace: 'knowton-prod', pod: 'prometheus-0' };
    const to = (i: number) => ({ ...prom, alertmanager: `http://alertmanager-${i}.alertmanager-headless.knowton-prod.svc:9093/api/v2/alerts` });
    // 10 alerts a minute to each member; from minute 5 those to the failing members all fail
    const sends = (failing: number[]) => Object.fromEntries([0, 1, 2].flatMap((i) => [
      [selector('prometheus_notifications_sent_total', to(i)), '0+10x40'],
      [selector('prometheus_notifications_errors_total', to(i)), failing.includes(i) ? '0x5 10+10x35' : '0x40'],
    ]));
    const r = runCases(prod, [
      { name: 'alertmanager-2 down: the others deliver, no page', input: sends([2]), alertname: 'PrometheusNotificationsFailing', evalTime: '30m', fires: [] },
      { name: 'every member failing: a page naming the Prometheus', input: sends([0, 1, 2]), alertname: 'PrometheusNotificationsFailing', evalTime: '30m', fires: [{ pod: 'prometheus-0' }] },
    ]);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });
  test('the cluster alerts: a member that sees two of three, and one member on another configuration', () => {
    const r = runCases(prod, [
      {
        name: 'alertmanager-2 is partitioned: it sees itself only, the others see two',
        input: {
          [selector('alertmanager_cluster_members', am('alertmanager-0', 1))]: '3x10 2x40',
          [selector('alertmanager_cluster_members', am('alertmanager-1', 2))]: '3x10 2x40',
          [selector('alertmanager_cluster_members', am('alertmanager-2', 3))]: '3x10 1x40',
        },
        alertname: 'AlertmanagerClusterMembersInconsistent',
        evalTime: '40m',
        fires: [am('alertmanager-0', 1), am('alertmanager-1', 2), am('alertmanager-2', 3)],
      },
      {
        name: 'a failed scrape of a member count of 2 does not read as lost (max over 5m): all at 3 with gaps',
        input: {
          [selector('alertmanager_cluster_members', am('alertmanager-0', 1))]: '3x10 _x2 3x37',
        },
        alertname: 'AlertmanagerClusterMembersInconsistent',
        evalTime: '40m',
        fires: [],
      },
      {
        name: 'one of three on an old configuration for 30 minutes',
        input: {
          [selector('alertmanager_config_hash', am('alertmanager-0', 1))]: '4242x50',
          [selector('alertmanager_config_hash', am('alertmanager-1', 2))]: '4242x50',
          [selector('alertmanager_config_hash', am('alertmanager-2', 3))]: '4242x10 1717x40',
        },
        alertname: 'AlertmanagerConfigInconsistent',
        evalTime: '45m',
        fires: [{}],
      },
      {
        name: 'all three on one configuration: silent',
        input: {
          [selector('alertmanager_config_hash', am('alertmanager-0', 1))]: '4242x50',
          [selector('alertmanager_config_hash', am('alertmanager-1', 2))]: '4242x50',
          [selector('alertmanager_config_hash', am('alertmanager-2', 3))]: '4242x50',
        },
        alertname: 'AlertmanagerConfigInconsistent',
        evalTime: '45m',
        fires: [],
      },
      {
        name: 'two of three Alertmanagers down: the cluster is down',
        input: {
          [selector('up', am('alertmanager-0', 1))]: '1x30',
          [selector('up', am('alertmanager-1', 2))]: '1x10 0x20',
          [selector('up', am('alertmanager-2', 3))]: '1x10 0x20',
        },
        alertname: 'AlertmanagerClusterDown',
        evalTime: '20m',
        fires: [{}],
      },
      {
        name: 'one of three down: AlertmanagerMemberDown\'s business, not the cluster\'s',
        input: {
          [selector('up', am('alertmanager-0', 1))]: '1x30',
          [selector('up', am('alertmanager-1', 2))]: '1x30',
          [selector('up', am('alertmanager-2', 3))]: '1x10 0x20',
        },
        alertname: 'AlertmanagerClusterDown',
        evalTime: '20m',
        fires: [],
      },
      {
        name: 'one of three down for 15 minutes: a warning naming the member, no page',
        input: {
          [selector('up', am('alertmanager-0', 1))]: '1x30',
          [selector('up', am('alertmanager-1', 2))]: '1x30',
          [selector('up', am('alertmanager-2', 3))]: '1x10 0x20',
        },
        alertname: 'AlertmanagerMemberDown',
        evalTime: '26m',
        fires: [am('alertmanager-2', 3)],
      },
      {
        name: 'one of three down for 10 minutes (a node drain, a volume slow to attach): nothing yet',
        input: {
          [selector('up', am('alertmanager-0', 1))]: '1x30',
          [selector('up', am('alertmanager-1', 2))]: '1x30',
          [selector('up', am('alertmanager-2', 3))]: '1x10 0x20',
        },
        alertname: 'AlertmanagerMemberDown',
        evalTime: '20m',
        fires: [],
      },
    ]);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  // Each replica scrapes both Prometheus pods: what either evaluates holds both pods' series.
  const promPod = (pod: string, ip: string) => ({ job: 'prometheus', instance: `${ip}:9090`, namespace: 'knowton-prod', pod, node: 'worker-1' });
  test('the Prometheus alerts name the broken replica, from the series of both', () => {
    const p0 = promPod('prometheus-0', '10.42.2.3');
    const p1 = promPod('prometheus-1', '10.42.2.4');
    const r = runCases(prod, [
      {
        name: 'prometheus-1 failed its reload; prometheus-0 is fine',
        input: {
          [selector('prometheus_config_last_reload_successful', p0)]: '1x30',
          [selector('prometheus_config_last_reload_successful', p1)]: '1x5 0x25',
        },
        alertname: 'PrometheusConfigReloadFailed',
        evalTime: '25m',
        fires: [p1],
      },
      {
        name: 'prometheus-1 lost its Alertmanagers',
        input: {
          [selector('prometheus_notifications_alertmanagers_discovered', p0)]: '3x30',
          [selector('prometheus_notifications_alertmanagers_discovered', p1)]: '3x5 0x25',
        },
        alertname: 'PrometheusNotConnectedToAlertmanagers',
        evalTime: '25m',
        fires: [p1],
      },
      {
        name: 'prometheus-1 fails to compact, named by its pod only',
        input: {
          [selector('prometheus_tsdb_compactions_failed_total', p0)]: '0x30',
          [selector('prometheus_tsdb_compactions_failed_total', p1)]: '0x5 1+1x25',
        },
        alertname: 'PrometheusTSDBCompactionsFailing',
        evalTime: '25m',
        fires: [{ pod: 'prometheus-1' }],
      },
      {
        name: 'prometheus-1 cannot be scraped',
        input: {
          [selector('up', p0)]: '1x30',
          [selector('up', p1)]: '1x5 0x25',
        },
        alertname: 'MonitoringTargetDown',
        evalTime: '25m',
        fires: [p1],
      },
    ]);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  test('a job without targets is MonitoringTargetMissing\'s, a job whose target is down is MonitoringTargetDown\'s: never both', () => {
    const target = (job: string) => ({ job, instance: `10.42.3.${job.length}:9100`, namespace: 'knowton-prod' });
    const watched = ['prometheus', 'kube-state-metrics', 'node-exporter', 'postgres-exporter', 'kubelet-cadvisor', 'kubelet'];
    // node-exporter's one target stops answering at 5m; the kubelet job's target is gone from discovery at 5m
    const input = Object.fromEntries(watched.map((job) => [
      selector('up', target(job)),
      job === 'node-exporter' ? '1x5 0x25' : job === 'kubelet' ? '1x5 stale _x24' : '1x30',
    ]));
    const r = runCases(prod, [
      { name: 'the job without targets is missing', input, alertname: 'MonitoringTargetMissing', evalTime: '25m', fires: [{ job: 'kubelet' }] },
      { name: 'the job whose target answers no more is down', input, alertname: 'MonitoringTargetDown', evalTime: '25m', fires: [target('node-exporter')] },
      { name: 'all there, nothing is missing', input: { ...input, [selector('up', target('kubelet'))]: '1x30' }, alertname: 'MonitoringTargetMissing', evalTime: '25m', fires: [] },
    ]);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  const self = { job: 'prometheus', instance: '10.42.2.4:9090', namespace: 'knowton-prod', pod: 'prometheus-1' };
  const q = (name: string) => ({ ...self, remote_name: name, url: `https://${name}.example.org/api/v1/push` });
  test('remote write: the queue that falls behind is named, the one that keeps up is not', () => {
    const r = runCases(prod, [
      {
        name: 'queue "slow" stops sending at 10m; "mimir" keeps up',
        input: {
          [selector('prometheus_remote_storage_highest_timestamp_in_seconds', self)]: '1700000000+60x40',
          [selector('prometheus_remote_storage_queue_highest_sent_timestamp_seconds', q('mimir'))]: '1699999995+60x40',
          [selector('prometheus_remote_storage_queue_highest_sent_timestamp_seconds', q('slow'))]: '1699999995+60x10 1700000595x30',
        },
        alertname: 'PrometheusRemoteWriteBehind',
        evalTime: '35m',
        fires: [q('slow')],
      },
      {
        name: 'a receiver refusing 5% of the samples for good',
        input: {
          [selector('prometheus_remote_storage_samples_total', q('mimir'))]: '0+6000x40',
          [selector('prometheus_remote_storage_samples_failed_total', q('mimir'))]: '0+300x40',
          [selector('prometheus_remote_storage_samples_total', q('slow'))]: '0+6000x40',
          [selector('prometheus_remote_storage_samples_failed_total', q('slow'))]: '0x40',
        },
        alertname: 'PrometheusRemoteWriteFailing',
        evalTime: '35m',
        // summed per queue and Prometheus: the job label goes
        fires: [{ pod: self.pod, remote_name: 'mimir', url: q('mimir').url }],
      },
    ]);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });
});

/** A remote write receiver answering every push with `status`, or closing the connection. */
async function receiver(status: number): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/v1/push`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('on a real Prometheus (2.42) remote-writing to local receivers', () => {
  let prom: Server | undefined;
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    await prom?.stop();
    for (const c of closers) await c();
  });

  test('the remote write metrics exist with the names and labels the rules read; failing and behind show on the right queue', async () => {
    const ok = await receiver(204);
    const bad = await receiver(400);
    const flaky = await receiver(204);
    closers.push(ok.close, bad.close, flaky.close);
    const port = await freePort();
    const dir = tempDir();
    const groups = groupsOf(withRemoteWrite(environmentConfig('dev')));
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [{ job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${port}`] }] }],
      remote_write: [
        { url: ok.url, name: 'ok', queue_config: { batch_send_deadline: '1s' } },
        { url: bad.url, name: 'bad', queue_config: { batch_send_deadline: '1s' } },
        { url: flaky.url, name: 'flaky', queue_config: { batch_send_deadline: '1s', max_backoff: '1s' } },
      ],
    }));
    prom = new Server('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`]);
    const base = `http://127.0.0.1:${port}`;
    await prom.ready(`${base}/-/ready`);
    const query = async (expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> =>
      (await getJson(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`)).data.result;

    // every queue has sent (or tried to): then "flaky" stops answering
    await waitFor('samples sent by every queue', async () => {
      const r = await query('prometheus_remote_storage_queue_highest_sent_timestamp_seconds');
      return r.length === 3 ? r : undefined;
    }, 20000);
    await flaky.close();

    const failing = alertOf(groups, 'PrometheusRemoteWriteFailing').condition!.query.expr;
    const shares = await waitFor('a failed-sample share for every queue', async () => {
      const r = await query(failing);
      return r.length === 3 ? r : undefined;
    }, 15000);
    const share = Object.fromEntries(shares.map((s) => [s.metric.remote_name, Number(s.value[1])]));
    // a 400 is non-recoverable: every sample sent to "bad" fails; none sent to "ok" does
    expect(share).toMatchObject({ bad: 1, ok: 0 });
    for (const s of shares) expect(Object.keys(s.metric).sort()).toEqual(['remote_name', 'url']);

    const behind = alertOf(groups, 'PrometheusRemoteWriteBehind').condition!.query.expr;
    await sleep(6000);
    const lags = Object.fromEntries((await query(behind)).map((s) => [s.metric.remote_name, Number(s.value[1])]));
    // "flaky" is refused its connection and retries: its newest sent sample falls behind the newest taken in
    expect(lags.flaky).toBeGreaterThanOrEqual(4);
    expect(lags.ok).toBeLessThanOrEqual(2);
  }, 45000);
});

test('AlertmanagerClusterDown fires at half the members down, whatever their number', () => {
  const thresholds = [2, 3, 4, 5].map((replicas) => {
    const dev = environmentConfig('dev');
    const groups = groupsOf({ ...dev, alertmanager: { ...dev.alertmanager, replicas } });
    return [replicas, alertOf(groups, 'AlertmanagerClusterDown').condition!.threshold.toString()];
  });
  // fewer than a majority up: of 2 one down pages (the other can still deliver it), of 4 two down
  expect(thresholds).toEqual([[2, '2'], [3, '2'], [4, '3'], [5, '3']]);
});

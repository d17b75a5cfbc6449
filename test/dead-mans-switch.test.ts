/**
 * Every environment has a dead man's switch: the always-firing Watchdog goes to a heartbeat webhook whose
 * URL Alertmanager reads from the receivers Secret (`webhook_configs[].url_file`, key `heartbeat-url`), so
 * no credential is in dist/.
 *
 * Proven: the structure of every environment's config (below); that Debian's amtool 0.25 and Alertmanager
 * 0.25 route the Watchdog there and deliver it, with `url_file` rewritten to `url` holding the file's
 * content (those versions predate url_file, 0.26). Not proven here: that the pinned Alertmanager (0.28)
 * reads url_file at send time and sends to it; that rests on its documentation.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import { parse } from 'yaml';
import { ENVIRONMENTS, standaloneEnvironmentNames } from '../lib/config';
import { SECRET_KEYS, SLACK_CHANNEL_KEYS, slackChannelSecretKey } from '../lib/alertmanager';
import { alertmanagerFiles, writeAlertmanagerFiles } from '../lib/demo/dist';
import { MonitoringStack } from '../lib/stack';
import { App } from 'cdk8s';
import { findObject, freePort, K8sObject, run, Server, sleep, synthAllEnvironments, tempDir, waitFor } from './helpers';

const names = standaloneEnvironmentNames();
let objectsOf: Record<string, K8sObject[]> = {};

beforeAll(() => {
  objectsOf = synthAllEnvironments();
});

describe.each(names)('%s', (name) => {
  const config = () => parse(alertmanagerFiles(objectsOf[name])['alertmanager.yml']);

  test('the Watchdog goes to a heartbeat webhook whose URL is read from the mounted receivers Secret', () => {
    const c = config();
    const watchdog = c.route.routes.find((r: any) => (r.matchers ?? []).includes('alertname="Watchdog"'));
    expect(watchdog.receiver).toBe('heartbeat');
    const heartbeat = c.receivers.find((r: any) => r.name === 'heartbeat');
    expect(heartbeat).toEqual({ name: 'heartbeat', webhook_configs: [{ send_resolved: false, url_file: `/etc/alertmanager/secrets/${SECRET_KEYS.heartbeatUrl}` }] });
    expect(c.receivers.map((r: any) => r.name)).not.toContain('null');
    // The file is where the receivers Secret is mounted, so the key becomes that file.
    const pod = findObject(objectsOf[name], 'StatefulSet', 'alertmanager').spec.template.spec;
    const volume = pod.volumes.find((v: any) => v.secret?.secretName === 'alertmanager-receivers');
    expect(volume.secret.items).toBeUndefined();
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === volume.name);
    expect(mount.mountPath).toBe('/etc/alertmanager/secrets');
  });

  test('the Secret command the README shows asks for the heartbeat-url key', () => {
    const stack = new MonitoringStack(new App(), ENVIRONMENTS[name]);
    expect(stack.alertmanager.secretCommand).toContain('--from-file=heartbeat-url=./heartbeat-url');
  });
});

describe('Debian 0.25, with url_file given as url', () => {
  const received: Array<{ path: string; body: any }> = [];
  let receiver: http.Server;
  let am: Server;
  let amUrl: string;
  let file: string;

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(body) });
        res.writeHead(200);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const dir = tempDir('knowton-dms-');
    const secrets = path.join(dir, 'secrets');
    fs.mkdirSync(secrets);
    // What the operator puts in the Secret: the heartbeat service's ping URL.
    fs.writeFileSync(path.join(secrets, SECRET_KEYS.heartbeatUrl), `${hook}/ping/2f9a1c`);
    for (const key of SLACK_CHANNEL_KEYS.map(slackChannelSecretKey)) fs.writeFileSync(path.join(secrets, key), `${hook}/slack`);
    fs.writeFileSync(path.join(secrets, SECRET_KEYS.pagerdutyRoutingKey), 'key');
    // As Alertmanager >= 0.26 does when it sends: the URL is the file's content.
    file = writeAlertmanagerFiles(objectsOf.dev, dir, secrets, (p) => fs.readFileSync(p, 'utf8').trim());
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    am = new Server('prometheus-alertmanager', [`--config.file=${file}`, `--storage.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=']);
    await waitFor('Alertmanager to be ready', async () => ((await fetch(`${amUrl}/-/ready`)).ok ? true : undefined), 10000)
      .catch((err) => { throw new Error(`${err.message}\n${am.log()}`); });
  }, 20000);

  afterAll(async () => {
    await am?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  test('amtool checks the config and routes the Watchdog to the heartbeat', () => {
    expect(run('amtool', ['check-config', file]).code).toBe(0);
    const r = run('amtool', ['config', 'routes', 'test', `--config.file=${file}`, '--verify.receivers=heartbeat', 'alertname=Watchdog', 'severity=none']);
    expect([r.code, r.output.split('\n')[0]]).toEqual([0, 'heartbeat']);
  });

  test("the real Alertmanager delivers the Watchdog to the URL from the Secret's file, and nothing else there", async () => {
    const res = await fetch(`${amUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { labels: { alertname: 'Watchdog', severity: 'none', environment: 'dev' } },
        { labels: { alertname: 'HighErrorRate', severity: 'warning', service: 'backend', environment: 'dev' } },
      ]),
    });
    expect(res.status).toBe(200);
    await waitFor('the heartbeat', async () => (received.some((r) => r.path === '/ping/2f9a1c') ? true : undefined), 10000);
    await sleep(500);
    const pings = received.filter((r) => r.path === '/ping/2f9a1c');
    expect(pings.map((p) => p.body.commonLabels.alertname)).toEqual(['Watchdog']);
  });
});

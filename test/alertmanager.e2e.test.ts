/**
 * The rendered alertmanager.yml loaded by a real Alertmanager (Debian's prometheus-alertmanager) on
 * 127.0.0.1. The credential files hold URLs of a local HTTP server standing in for Slack and
 * PagerDuty (the PagerDuty endpoint through the `pagerdutyUrl` prop, the heartbeat through
 * `heartbeatUrl`); alerts are posted to /api/v2/alerts and what arrives is checked on the wire.
 *
 * Only the timings differ from production: group_wait 1s for every severity (through the `timings`
 * prop) so the test takes seconds; group_interval and repeat_interval stay long, so nothing is
 * re-sent during the test and every notification seen is a first one.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import { AlertmanagerConfigProps, alertmanagerConfigFiles, SECRET_KEYS } from '../lib/alertmanager';
import { Duration } from '../lib/units';
import { Server, freePort, sleep, tempDir, waitFor } from './helpers';

interface Received {
  path: string;
  body: any;
}

const received: Received[] = [];
let receiver: http.Server;
let am: Server;
let amUrl: string;
let amArgs: string[];
let configDir: string;
let configProps: AlertmanagerConfigProps;

const fast = { groupWait: Duration.seconds(1) };

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) });
      // PagerDuty's Events API answers 202; Slack and webhooks accept any 2xx.
      res.writeHead(req.url === '/pagerduty' ? 202 : 200, { 'content-type': 'application/json' });
      res.end('{"status":"success"}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const dir = tempDir('knowton-am-e2e-');
  const secrets = path.join(dir, 'secrets');
  fs.mkdirSync(secrets);
  // Trailing newlines as `echo > file` or an editor leave them: Alertmanager must trim them.
  fs.writeFileSync(path.join(secrets, SECRET_KEYS.slackWebhookUrl), `${hook}/slack\n`);
  fs.writeFileSync(path.join(secrets, SECRET_KEYS.pagerdutyRoutingKey), 'pd-routing-key-0123456789abcdef\n');
  configDir = dir;
  configProps = {
    configDir: dir,
    secretsDir: secrets,
    pagerdutyUrl: `${hook}/pagerduty`,
    heartbeatUrl: `${hook}/heartbeat`,
    timings: { critical: fast, warning: fast, info: fast, default: fast },
  };
  writeConfig(configProps);

  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  amArgs = [
    `--config.file=${path.join(dir, 'alertmanager.yml')}`,
    `--storage.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${amUrl}`,
    // Empty: no gossip, as for one replica in the cluster.
    '--cluster.listen-address=',
  ];
  await startAlertmanager();

  const alert = (labels: Record<string, string>) => ({
    labels,
    annotations: {
      summary: `${labels.alertname} on ${labels.service ?? 'the platform'}`,
      description: `test alert ${labels.alertname}/${labels.instance ?? ''}`,
      runbook_url: `https://runbooks.knowton.io/${labels.alertname}`,
    },
  });
  // One batch, so the inhibiting critical and the warning it mutes are both there at the first flush.
  const res = await fetch(`${amUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      // Two instances of one alert on one service: one notification.
      alert({ alertname: 'ServiceDown', severity: 'critical', service: 'backend', instance: '10.0.0.1:3000' }),
      alert({ alertname: 'ServiceDown', severity: 'critical', service: 'backend', instance: '10.0.0.2:3000' }),
      // Labels as the rules give them (one severity per alert name). Muted by ServiceDown of the same
      // service (rules/inhibitions.ts); the other service's is sent.
      alert({ alertname: 'HighErrorRate', severity: 'warning', service: 'backend' }),
      alert({ alertname: 'HighErrorRate', severity: 'warning', service: 'ai-service' }),
      // The database is down: it pages; the connection count and the failing business collectors it explains are muted.
      alert({ alertname: 'PostgreSQLDown', severity: 'critical', instance: '10.0.0.9:9187', job: 'postgres-exporter' }),
      alert({ alertname: 'HighDatabaseConnections', severity: 'warning', instance: '10.0.0.9:9187' }),
      alert({ alertname: 'BusinessMetricsExporterFailing', severity: 'warning', service: 'ai-service', collector: 'nfts' }),
      alert({ alertname: 'LowNFTMintingRate', severity: 'info', service: 'nft' }),
      alert({ alertname: 'Watchdog', severity: 'none' }),
    ]),
  });
  expect(res.status).toBe(200);
  // Everything expected has arrived (slack: 8, pagerduty: 2, heartbeat: 1), then a quiet period in
  // which anything not muted would still show up.
  await waitFor('the notifications', async () => (received.length >= 11 ? true : undefined), 10000)
    .catch((err) => { throw new Error(`${err.message}\nreceived: ${JSON.stringify(received, null, 1)}\n${am.log()}`); });
  await sleep(2500);
}, 30000);

afterAll(async () => {
  await am?.stop();
  await new Promise((r) => receiver?.close(r));
});

function writeConfig(props: AlertmanagerConfigProps): void {
  for (const [f, text] of Object.entries(alertmanagerConfigFiles(props))) fs.writeFileSync(path.join(configDir, f), text);
}

async function startAlertmanager(): Promise<void> {
  am = new Server('prometheus-alertmanager', amArgs);
  await waitFor('Alertmanager to be ready', async () => ((await fetch(`${amUrl}/-/ready`)).ok ? true : undefined), 10000)
    .catch((err) => { throw new Error(`${err.message}\n${am.log()}`); });
}

async function loadedConfig(): Promise<string> {
  return ((await (await fetch(`${amUrl}/api/v2/status`)).json()) as any).config.original;
}

function slack(channel: string): string[] {
  return received
    .filter((r) => r.path === '/slack' && r.body.channel === channel)
    .map((r) => r.body.attachments[0].title as string)
    .sort();
}

test('#knowton-alerts gets every alert group except the muted ones and the Watchdog', () => {
  expect(slack('#knowton-alerts')).toEqual([
    '[FIRING:1] HighErrorRate (ai-service) warning',
    '[FIRING:1] LowNFTMintingRate (nft) info',
    '[FIRING:1] PostgreSQLDown critical',
    '[FIRING:2] ServiceDown (backend) critical',
  ]);
});

test('each severity also reaches its own channel', () => {
  expect(slack('#knowton-critical')).toEqual(['[FIRING:1] PostgreSQLDown critical', '[FIRING:2] ServiceDown (backend) critical']);
  expect(slack('#knowton-warnings')).toEqual(['[FIRING:1] HighErrorRate (ai-service) warning']);
  expect(slack('#knowton-info')).toEqual(['[FIRING:1] LowNFTMintingRate (nft) info']);
});

test('nothing else reaches Slack', () => {
  expect(received.filter((r) => r.path === '/slack')).toHaveLength(8);
});

test('grouping: both ServiceDown instances are in one message', () => {
  const msg = received.find((r) => r.body.channel === '#knowton-critical' && r.body.attachments[0].title.includes('ServiceDown'))!;
  const text: string = msg.body.attachments[0].text;
  expect(text).toContain('instance 10.0.0.1:3000');
  expect(text).toContain('instance 10.0.0.2:3000');
});

test('inhibition (rules/inhibitions.ts): ServiceDown mutes HighErrorRate of its service, PostgreSQLDown the connection count and the business collectors', async () => {
  const texts = received.filter((r) => r.path === '/slack').map((r) => r.body.attachments[0].text as string);
  expect(texts.filter((t) => t.includes('*HighErrorRate* firing, severity warning, service backend'))).toEqual([]);
  expect(texts.filter((t) => /HighDatabaseConnections|BusinessMetricsExporterFailing/.test(t))).toEqual([]);
  const alerts = (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as any[];
  const state = Object.fromEntries(alerts.map((a) => [`${a.labels.alertname} ${a.labels.service ?? ''}`.trim(), a.status.state]));
  expect(state).toMatchObject({
    'HighErrorRate backend': 'suppressed',
    'HighErrorRate ai-service': 'active',
    'ServiceDown backend': 'active',
    PostgreSQLDown: 'active',
    HighDatabaseConnections: 'suppressed',
    'BusinessMetricsExporterFailing ai-service': 'suppressed',
  });
  // and by which alert: Alertmanager names the inhibiting alert's fingerprint
  const fp = (name: string) => alerts.filter((a) => a.labels.alertname === name).map((a) => a.fingerprint);
  const by = (name: string, service?: string) => alerts.find((a) => a.labels.alertname === name && a.labels.service === service).status.inhibitedBy;
  expect(by('HighErrorRate', 'backend').length).toBeGreaterThan(0);
  for (const f of by('HighErrorRate', 'backend')) expect(fp('ServiceDown')).toContain(f);
  expect(by('HighDatabaseConnections')).toEqual(fp('PostgreSQLDown'));
  expect(by('BusinessMetricsExporterFailing', 'ai-service')).toEqual(fp('PostgreSQLDown'));
});

test('messages carry summary, description, runbook and a silence link to this Alertmanager', () => {
  const msg = received.find((r) => r.body.channel === '#knowton-warnings')!;
  expect(msg.body.attachments[0].text).toBe([
    '*HighErrorRate* firing, severity warning, service ai-service',
    'Summary: HighErrorRate on ai-service',
    'Description: test alert HighErrorRate/',
    'Runbook: https://runbooks.knowton.io/HighErrorRate',
    '',
    `Silence: ${amUrl}/#/silences/new?filter=%7Balertname%3D%22HighErrorRate%22%2Cservice%3D%22ai-service%22%2Cseverity%3D%22warning%22%7D`,
  ].join('\n'));
  expect(msg.body.attachments[0].color).toBe('danger');
});

test('critical alerts page PagerDuty with the routing key from the Secret file', () => {
  const events = received.filter((r) => r.path === '/pagerduty').map((r) => r.body);
  expect(events.map((e) => e.payload.summary).sort()).toEqual([
    '[FIRING:1] PostgreSQLDown critical',
    '[FIRING:2] ServiceDown (backend) critical',
  ]);
  for (const e of events) {
    expect(e).toMatchObject({ routing_key: 'pd-routing-key-0123456789abcdef', event_action: 'trigger' });
    expect(e.payload.custom_details.silence_url).toMatch(new RegExp(`^${amUrl}/#/silences/new\\?filter=`));
  }
});

test('the Watchdog goes to the heartbeat URL only', () => {
  const beats = received.filter((r) => r.path === '/heartbeat');
  expect(beats).toHaveLength(1);
  expect(beats[0].body).toMatchObject({ receiver: 'heartbeat', status: 'firing', commonLabels: { alertname: 'Watchdog' } });
  expect(received.filter((r) => r.path !== '/heartbeat' && JSON.stringify(r.body).includes('Watchdog'))).toEqual([]);
});

// The sidecar in the pod does what these tests do by hand: POST /-/reload after the files change.
test('a changed config is applied by /-/reload without a restart; a broken one is refused and the old one kept', async () => {
  const pid = am.proc.pid;
  writeConfig({ ...configProps, slackChannels: { info: '#knowton-fyi' } });
  expect((await fetch(`${amUrl}/-/reload`, { method: 'POST' })).status).toBe(200);
  expect(await loadedConfig()).toContain('channel: \'#knowton-fyi\'');

  fs.appendFileSync(path.join(configDir, 'knowton.tmpl'), '{{ define "broken" }}{{ .Foo');
  expect((await fetch(`${amUrl}/-/reload`, { method: 'POST' })).status).toBe(500);
  expect(await loadedConfig()).toContain('channel: \'#knowton-fyi\'');
  expect(am.proc.pid).toBe(pid);
  expect(am.proc.exitCode).toBeNull();
  writeConfig(configProps);
});

test('silences survive a restart on the same storage (the StatefulSet volume)', async () => {
  const silence = {
    matchers: [{ name: 'alertname', value: 'LowNFTMintingRate', isRegex: false, isEqual: true }],
    startsAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    createdBy: 'e2e',
    comment: 'persisted?',
  };
  const created = await fetch(`${amUrl}/api/v2/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(silence),
  });
  expect(created.status).toBe(200);
  const { silenceID } = (await created.json()) as any;

  await am.stop();
  await startAlertmanager();
  const after = (await (await fetch(`${amUrl}/api/v2/silence/${silenceID}`)).json()) as any;
  expect(after).toMatchObject({ id: silenceID, comment: 'persisted?', status: { state: 'active' } });
});

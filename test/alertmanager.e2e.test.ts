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
import { SmtpStandIn } from '../lib/demo/smtp';
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
let smtp: SmtpStandIn;
/** When the alerts were posted: their startsAt, which the dashboard links' time range is built around. */
let postedAt: number;

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

  smtp = await SmtpStandIn.start();
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
    // The legacy webhook that honours `channel`: one stand-in URL sees every channel (test/slack-modes.e2e.test.ts has the others).
    slackMode: 'single-webhook',
    pagerdutyUrl: `${hook}/pagerduty`,
    heartbeatUrl: `${hook}/heartbeat`,
    // Critical alerts also by email, to the SMTP stand-in (no TLS, no auth there).
    email: { to: ['oncall@knowton.io'], from: 'alertmanager@knowton.io', smarthost: smtp.address, requireTls: false },
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
    // The labels the rules add; only on the critical ones, so the other silence links stay short.
    labels: labels.severity === 'critical' ? { component: 'backend', category: 'service-health', ...labels } : labels,
    annotations: {
      summary: `${labels.alertname} on ${labels.service ?? 'the platform'}`,
      description: `test alert ${labels.alertname}/${labels.instance ?? ''}`,
      runbook_url: `https://runbooks.knowton.io/${labels.alertname}`,
      // As the rules carry it (lib/alerting/dashboard-links.ts); the LowNFTMintingRate one has none.
      ...(labels.alertname === 'LowNFTMintingRate' || labels.alertname === 'Watchdog'
        ? {}
        : { dashboard_url: `https://grafana.knowton.io/d/knowton-service-health?orgId=1&viewPanel=10&var-service=${labels.service}&from=now-1h&to=now` }),
    },
  });
  postedAt = Date.now();
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
  await waitFor('the notifications', async () => (received.length >= 11 && smtp.mails.length >= 2 ? true : undefined), 10000)
    .catch((err) => { throw new Error(`${err.message}\nreceived: ${JSON.stringify(received, null, 1)}\nmails: ${smtp.mails.length}\n${am.log()}`); });
  await sleep(2500);
}, 30000);

afterAll(async () => {
  await am?.stop();
  await new Promise((r) => receiver?.close(r));
  await smtp?.stop();
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

/** The `from` and `to` of a dashboard link, checked to be an hour either side of when the alerts were posted. */
function expectRangeAroundPost(link: string): void {
  const q = new URL(link).searchParams;
  const from = Number(q.get('from'));
  const to = Number(q.get('to'));
  expect(to - from).toBe(2 * 3600_000);
  expect(Math.abs(from + 3600_000 - postedAt)).toBeLessThan(5000);
}

test('messages carry summary, description, runbook, the dashboard panel around the alert and a silence link to this Alertmanager', () => {
  const msg = received.find((r) => r.body.channel === '#knowton-warnings')!;
  const text: string = msg.body.attachments[0].text;
  const dashboard = /^Dashboard: (\S+)$/m.exec(text)?.[1] ?? '';
  expect(dashboard).toMatch(/^https:\/\/grafana\.knowton\.io\/d\/knowton-service-health\?orgId=1&viewPanel=10&var-service=ai-service&from=\d{13}&to=\d{13}$/);
  expectRangeAroundPost(dashboard);
  expect(text).toBe([
    '*HighErrorRate* firing, severity warning, service ai-service',
    'Summary: HighErrorRate on ai-service',
    'Description: test alert HighErrorRate/',
    'Runbook: https://runbooks.knowton.io/HighErrorRate',
    `Dashboard: ${dashboard}`,
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

test('PagerDuty: severity, component, group and class from the labels; runbook, dashboard and silence as links', () => {
  const e = received.find((r) => r.path === '/pagerduty' && r.body.payload.summary.includes('ServiceDown'))!.body;
  expect(e.payload).toMatchObject({ severity: 'critical', component: 'backend', group: 'service-health', class: 'ServiceDown' });
  expect(e.links.map((l: any) => l.text)).toEqual(['Runbook', 'Dashboard', 'Silence']);
  expect(e.links[0].href).toBe('https://runbooks.knowton.io/ServiceDown');
  expect(e.links[1].href).toMatch(/^https:\/\/grafana\.knowton\.io\/d\/knowton-service-health\?orgId=1&viewPanel=10&var-service=backend&from=\d{13}&to=\d{13}$/);
  expectRangeAroundPost(e.links[1].href);
  expect(e.links[2].href).toBe(e.payload.custom_details.silence_url);
  expect(e.payload.custom_details.dashboard_url).toBe(e.links[1].href);
});

test('email: critical alerts reach the SMTP server with the [environment]-style subject and the Slack text, dashboard link included', () => {
  const subjects = smtp.mails.map((m) => m.headers.subject).sort();
  // The critical HighErrorRate of the backend is muted by its ServiceDown (rules/inhibitions.ts): no mail for it.
  expect(subjects).toEqual(['[FIRING:1] PostgreSQLDown critical', '[FIRING:2] ServiceDown (backend) critical']);
  const mail = smtp.mails.find((m) => m.headers.subject.includes('ServiceDown'))!;
  expect(mail).toMatchObject({ from: 'alertmanager@knowton.io', to: ['oncall@knowton.io'] });
  expect(mail.text).toContain('*ServiceDown* firing, severity critical, service backend, instance 10.0.0.1:3000');
  const dashboard = /^Dashboard: (\S+)$/m.exec(mail.text)?.[1] ?? '';
  expect(dashboard).toMatch(/^https:\/\/grafana\.knowton\.io\/d\/knowton-service-health\?orgId=1&viewPanel=10&var-service=backend&from=\d{13}&to=\d{13}$/);
  expect(mail.text).toMatch(new RegExp(`Silence: ${amUrl}/#/silences/new\\?filter=`));
});

test('an alert without a dashboard_url gets no Dashboard line', () => {
  const msg = received.find((r) => r.body.channel === '#knowton-info')!;
  expect(msg.body.attachments[0].text).not.toContain('Dashboard');
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

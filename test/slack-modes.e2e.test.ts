/**
 * The two Slack modes a new Slack app supports, on the real Alertmanager (Debian's 0.25) against a local
 * stand-in for Slack: `webhook-per-channel` (each channel's messages reach that channel's own webhook, read
 * from its own Secret key) and `bot-token` (every channel through one chat.postMessage endpoint, with the token
 * from the Secret file as `Authorization: Bearer`). The stand-in answers as Slack does: `ok` for a known
 * webhook path or a valid token and channel, an error otherwise.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import {
  AlertmanagerConfigProps,
  SECRET_KEYS,
  SLACK_CHANNEL_KEYS,
  SlackMode,
  alertmanagerConfigFiles,
  requiredSecretKeys,
  slackChannelSecretKey,
} from '../lib/alertmanager';
import { withUrlFilesAsUrls } from '../lib/demo/dist';
import { Duration } from '../lib/units';
import { Server, freePort, sleep, tempDir, waitFor } from './helpers';

interface Received {
  path: string;
  authorization?: string;
  contentType?: string;
  body: any;
}

const TOKEN = 'xoxb-1234-5678-abcdefghijklmnop';
const CHANNELS = ['#knowton-alerts', '#knowton-critical', '#knowton-warnings', '#knowton-info'];
let slack: http.Server;
let hook: string;
const received: Received[] = [];

beforeAll(async () => {
  slack = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const r: Received = { path: req.url ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], body: JSON.parse(text) };
      received.push(r);
      if (r.path.startsWith('/services/')) {
        // An incoming webhook: plain "ok"; an unknown one 404 no_service.
        const known = SLACK_CHANNEL_KEYS.some((role) => r.path === `/services/${role}`);
        res.writeHead(known ? 200 : 404).end(known ? 'ok' : 'no_service');
        return;
      }
      // chat.postMessage: 200 with a JSON verdict.
      const ok = r.path === '/api/chat.postMessage' && r.authorization === `Bearer ${TOKEN}` && CHANNELS.includes(r.body.channel);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { ok: true, channel: 'C0123', ts: '1.2' } : { ok: false, error: 'invalid_auth' }));
    });
  });
  await new Promise<void>((r) => slack.listen(0, '127.0.0.1', r));
  hook = `http://127.0.0.1:${(slack.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => slack?.close(r));
});

const fast = { groupWait: Duration.seconds(1) };

/** Starts Alertmanager with `props`, the Secret files as an operator writes them; posts a critical and a warning; returns what Slack saw. */
async function deliver(mode: SlackMode, extra: Partial<AlertmanagerConfigProps> = {}): Promise<Received[]> {
  const dir = tempDir(`knowton-slack-${mode}-`);
  const secrets = path.join(dir, 'secrets');
  fs.mkdirSync(secrets);
  const props: AlertmanagerConfigProps = {
    slackMode: mode,
    configDir: dir,
    secretsDir: secrets,
    pagerduty: false,
    heartbeatUrl: `${hook}/heartbeat`,
    timings: { critical: fast, warning: fast, info: fast, default: fast },
    ...extra,
  };
  for (const key of requiredSecretKeys(props)) {
    const role = SLACK_CHANNEL_KEYS.find((r) => slackChannelSecretKey(r) === key);
    // Trailing newlines, as `echo > file` leaves them.
    if (role) fs.writeFileSync(path.join(secrets, key), `${hook}/services/${role}\n`);
    if (key === SECRET_KEYS.slackBotToken) fs.writeFileSync(path.join(secrets, key), `${TOKEN}\n`);
  }
  for (const [f, text] of Object.entries(alertmanagerConfigFiles(props))) {
    fs.writeFileSync(path.join(dir, f), f === 'alertmanager.yml' ? withUrlFilesAsUrls(text) : text);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const am = new Server('prometheus-alertmanager', [
    `--config.file=${path.join(dir, 'alertmanager.yml')}`,
    `--storage.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${url}`,
    '--cluster.listen-address=',
  ]);
  const before = received.length;
  try {
    await waitFor('Alertmanager to be ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 10000);
    const alert = (alertname: string, severity: string) => ({
      labels: { alertname, severity, service: 'backend', environment: 'dev' },
      annotations: { summary: `${alertname} on backend` },
    });
    const res = await fetch(`${url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([alert('ServiceDown', 'critical'), alert('HighLatency', 'warning')]),
    });
    expect(res.status).toBe(200);
    // Four messages: each alert to #knowton-alerts and to its severity's channel; then a quiet period.
    await waitFor('the Slack messages', async () => (received.length - before >= 4 ? true : undefined), 10000);
    await sleep(1500);
    const failed = await fetch(`${url}/metrics`).then((r) => r.text());
    // Nothing failed as Alertmanager sees it (a 404 webhook would count here).
    expect(failed).toMatch(/alertmanager_notifications_failed_total\{integration="slack"\} 0/);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nreceived: ${JSON.stringify(received.slice(before), null, 1)}\n${am.log()}`);
  } finally {
    await am.stop();
  }
  return received.slice(before).filter((r) => r.path !== '/heartbeat');
}

const summary = (rs: Received[]) => rs.map((r) => `${r.path} ${r.body.channel} ${r.body.attachments[0].title}`).sort();

test('webhook-per-channel (the default): each channel through its own webhook, no token sent', async () => {
  const rs = await deliver('webhook-per-channel');
  expect(summary(rs)).toEqual([
    '/services/all #knowton-alerts [dev] [FIRING:1] HighLatency (backend) warning',
    '/services/all #knowton-alerts [dev] [FIRING:1] ServiceDown (backend) critical',
    '/services/critical #knowton-critical [dev] [FIRING:1] ServiceDown (backend) critical',
    '/services/warning #knowton-warnings [dev] [FIRING:1] HighLatency (backend) warning',
  ]);
  expect(rs.every((r) => r.authorization === undefined)).toBe(true);
}, 30000);

test('bot-token: every channel through chat.postMessage with the token from its file as a Bearer header', async () => {
  const rs = await deliver('bot-token', { slackApiUrl: `${hook}/api/chat.postMessage` });
  expect(summary(rs)).toEqual([
    '/api/chat.postMessage #knowton-alerts [dev] [FIRING:1] HighLatency (backend) warning',
    '/api/chat.postMessage #knowton-alerts [dev] [FIRING:1] ServiceDown (backend) critical',
    '/api/chat.postMessage #knowton-critical [dev] [FIRING:1] ServiceDown (backend) critical',
    '/api/chat.postMessage #knowton-warnings [dev] [FIRING:1] HighLatency (backend) warning',
  ]);
  for (const r of rs) {
    // The file's trailing newline trimmed: Slack refuses a token with one.
    expect(r.authorization).toBe(`Bearer ${TOKEN}`);
    expect(r.contentType).toMatch(/^application\/json/);
  }
}, 30000);

test('the default mode is webhook-per-channel, with one Secret key per channel', () => {
  expect(requiredSecretKeys({ heartbeatUrl: 'http://127.0.0.1:1/', pagerduty: false })).toEqual([
    'slack-webhook-url-all', 'slack-webhook-url-critical', 'slack-webhook-url-warning', 'slack-webhook-url-info',
  ]);
});

/**
 * Maintenance windows on the real Alertmanager (Debian's 0.25): a severity muted by a time interval that
 * holds now sends nothing, one muted by an interval that does not hold is delivered, critical alerts and the
 * Watchdog's heartbeat are never muted; the same alert is delivered once its window no longer holds (config
 * reloaded with the other interval). Intervals are built from today's weekday (UTC), so they hold or not
 * whatever the day the test runs (not across midnight UTC).
 */
import * as fs from 'fs';
import * as path from 'path';
import { AlertmanagerConfigProps, alertmanagerConfigFiles, renderAlertmanagerConfig, SECRET_KEYS, Severity } from '../lib/alertmanager';
import { NotificationReceiver } from '../lib/demo/receiver';
import { withUrlFilesAsUrls } from '../lib/demo/dist';
import { Duration } from '../lib/units';
import { ConfigError } from '../lib/validate';
import { Server, freePort, sleep, tempDir, waitFor } from './helpers';

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const today = DAYS[new Date().getUTCDay()];
const fast = { groupWait: Duration.seconds(1) };

let receiver: NotificationReceiver;
let am: Server;
let amUrl: string;
let dir: string;

function props(mute: Partial<Record<Severity, readonly string[]>>): AlertmanagerConfigProps {
  return {
    slackMode: 'single-webhook',
    configDir: dir,
    secretsDir: path.join(dir, 'secrets'),
    pagerduty: false,
    heartbeatUrl: `${receiver.url}/heartbeat`,
    timings: { critical: fast, warning: fast, info: fast, default: fast },
    timeIntervals: {
      // The whole of today, written with times so that their syntax is loaded too.
      now: [{ weekdays: [today], times: [{ start: '00:00', end: '24:00' }] }],
      'not-now': [{ weekdays: DAYS.filter((d) => d !== today) }],
    },
    muteTimeIntervals: mute,
  };
}

function writeConfig(p: AlertmanagerConfigProps): void {
  for (const [f, text] of Object.entries(alertmanagerConfigFiles(p))) fs.writeFileSync(path.join(dir, f), f === 'alertmanager.yml' ? withUrlFilesAsUrls(text) : text);
}

const slack = () => receiver.received.filter((n) => n.via === 'slack').map((n) => `${n.channel} ${n.title}`).sort();

beforeAll(async () => {
  receiver = await NotificationReceiver.start();
  dir = tempDir('knowton-mute-');
  fs.mkdirSync(path.join(dir, 'secrets'));
  fs.writeFileSync(path.join(dir, 'secrets', SECRET_KEYS.slackWebhookUrl), `${receiver.url}/slack`);
  writeConfig(props({ warning: ['now'], info: ['not-now'] }));
  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  am = new Server('prometheus-alertmanager', [
    `--config.file=${path.join(dir, 'alertmanager.yml')}`,
    `--storage.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${amUrl}`,
    '--cluster.listen-address=',
  ]);
  await waitFor('Alertmanager to be ready', async () => ((await fetch(`${amUrl}/-/ready`)).ok ? true : undefined), 10000)
    .catch((err) => { throw new Error(`${err.message}\n${am.log()}`); });
  const alert = (alertname: string, severity: string) => ({ labels: { alertname, severity, service: 'backend' }, annotations: { summary: alertname } });
  const res = await fetch(`${amUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([alert('Crit', 'critical'), alert('Warn', 'warning'), alert('Info', 'info'), { labels: { alertname: 'Watchdog', severity: 'none' } }]),
  });
  expect(res.status).toBe(200);
  // Critical and info in two channels each, the heartbeat; then time for the muted warning to show up if it were not.
  await waitFor('the notifications', async () => (receiver.received.length >= 5 ? true : undefined), 10000)
    .catch((err) => { throw new Error(`${err.message}\n${JSON.stringify(receiver.received)}\n${am.log()}`); });
  await sleep(2500);
}, 30000);

afterAll(async () => {
  await am?.stop();
  await receiver?.stop();
});

test('inside its window a severity is muted; outside its window, and for critical, notifications are delivered', () => {
  expect(slack()).toEqual([
    '#knowton-alerts [FIRING:1] Crit (backend) critical',
    '#knowton-alerts [FIRING:1] Info (backend) info',
    '#knowton-critical [FIRING:1] Crit (backend) critical',
    '#knowton-info [FIRING:1] Info (backend) info',
  ]);
});

test('the Watchdog reaches the dead man\'s switch while other routes are muted', () => {
  expect(receiver.received.filter((n) => n.via === 'heartbeat').map((n) => n.title)).toEqual(['Watchdog']);
});

test('the muted alert is still active (muting holds notifications back, it is no silence) and is delivered once its window no longer holds', async () => {
  const alerts = (await (await fetch(`${amUrl}/api/v2/alerts?filter=alertname%3D%22Warn%22`)).json()) as any[];
  expect(alerts.map((a) => a.status.state)).toEqual(['active']);
  writeConfig(props({ warning: ['not-now'], info: ['not-now'] }));
  expect((await fetch(`${amUrl}/-/reload`, { method: 'POST' })).status).toBe(200);
  await waitFor('the warning', async () => (slack().some((s) => s.includes('Warn')) ? true : undefined), 10000);
  await sleep(1500);
  expect(slack().filter((s) => s.includes('Warn'))).toEqual([
    '#knowton-alerts [FIRING:1] Warn (backend) warning',
    '#knowton-warnings [FIRING:1] Warn (backend) warning',
  ]);
}, 20000);

test('mute intervals name declared intervals; times, weekdays and the root route are checked', () => {
  expect(() => renderAlertmanagerConfig({ muteTimeIntervals: { warning: ['weekend'] } })).toThrow(ConfigError);
  expect(() => renderAlertmanagerConfig({ muteTimeIntervals: { warning: ['weekend'] } }))
    .toThrow(/muteTimeIntervals\[0\] "weekend": a declared time interval: none declared/);
  expect(() => renderAlertmanagerConfig({ timeIntervals: { night: [{ times: [{ start: '22:00', end: '06:00' }] }] } }))
    .toThrow(/invalid timeIntervals\.night\[0\]\.times\[0\] "22:00-06:00": a start before the end/);
  expect(() => renderAlertmanagerConfig({ timeIntervals: { w: [{ weekdays: ['mon:fri'] }] } }))
    .toThrow(/invalid timeIntervals\.w\[0\]\.weekdays\[0\] "mon:fri": a weekday or range/);
  expect(() => renderAlertmanagerConfig({ muteTimeIntervals: { page: ['w'] } as any }))
    .toThrow(/invalid muteTimeIntervals "page": a key among critical, warning, info/);
});

test('staging mutes warning and info Slack outside business hours, never critical nor the Watchdog', () => {
  const { ENVIRONMENTS } = require('../lib/config');
  const config = renderAlertmanagerConfig(ENVIRONMENTS.staging.alertmanager) as any;
  const [watchdog, ...severities] = config.route.routes;
  expect(watchdog.matchers).toEqual(['alertname="Watchdog"']);
  expect(watchdog.mute_time_intervals).toBeUndefined();
  const muted = Object.fromEntries(severities.map((r: any) => [r.matchers[0], r.routes.map((c: any) => `${c.receiver}: ${c.mute_time_intervals ?? '-'}`)]));
  expect(muted).toEqual({
    'severity="critical"': ['slack-alerts: -', 'slack-critical: -'],
    'severity="warning"': ['slack-alerts: outside-business-hours', 'slack-warnings: outside-business-hours'],
    'severity="info"': ['slack-alerts: outside-business-hours', 'slack-info: outside-business-hours'],
  });
  expect(config.time_intervals[0].name).toBe('outside-business-hours');
});

/**
 * `npm run notify`: the preview of every receiver of an alert, rendered by amtool from the synthesized
 * config of an environment, and the PagerDuty severity mapping rendered by amtool for every severity.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TEMPLATE, TEMPLATE_FILE, TEMPLATE_SOURCE } from '../lib/alertmanager';
import { formatPreview, previewNotifications } from '../lib/notify';
import { run, tempDir } from './helpers';

const field = (p: ReturnType<typeof previewNotifications>, receiver: string, name: string) =>
  p.receivers.find((r) => r.receiver === receiver)?.fields.find(([n]) => n === name)?.[1];

describe('ServiceDown in prod', () => {
  const p = previewNotifications('ServiceDown', 'prod');

  test('reaches the receivers prod routes a critical alert to', () => {
    expect(p.receivers.map((r) => `${r.receiver} (${r.integration})`)).toEqual([
      'slack-alerts (slack #knowton-alerts)',
      'slack-critical (slack #knowton-critical)',
      'pagerduty (pagerduty)',
      'email-critical (email oncall@knowton.io)',
    ]);
  });

  test('Slack, PagerDuty and email carry the [prod] title, the same text, and the dashboard link', () => {
    const title = '[prod] [FIRING:1] ServiceDown (backend) critical';
    expect(field(p, 'slack-critical', 'title')).toBe(title);
    expect(field(p, 'pagerduty', 'summary')).toBe(title);
    expect(field(p, 'email-critical', 'subject')).toBe(title);
    const text = field(p, 'slack-critical', 'text')!;
    expect(field(p, 'email-critical', 'body')).toBe(text);
    expect(text).toMatch(/^Dashboard: https:\/\/grafana\.knowton\.io\/d\/knowton-service-health\?orgId=1&viewPanel=2&var-service=backend&from=\d{13}&to=\d{13}$/m);
    expect(text).toContain('Summary: Service backend is down');
    expect(text).toMatch(/^Silence: https:\/\/alertmanager\.knowton\.io\/#\/silences\/new\?filter=/m);
  });

  test('PagerDuty: severity, component, group, class and the three links', () => {
    expect(['severity', 'component', 'group', 'class'].map((f) => field(p, 'pagerduty', f))).toEqual(['critical', 'application', 'service-health', 'ServiceDown']);
    expect(field(p, 'pagerduty', 'link Runbook')).toBe('https://github.com/knowton/knowton-monitoring/blob/main/docs/runbooks/ServiceDown.md');
    expect(field(p, 'pagerduty', 'link Dashboard')).toBe(field(p, 'pagerduty', 'details.dashboard_url'));
    expect(field(p, 'pagerduty', 'link Silence')).toBe(field(p, 'pagerduty', 'details.silence_url'));
  });

  test('formatted for a pull request', () => {
    const text = formatPreview(p);
    expect(text).toMatch(/^# ServiceDown in prod\n/);
    expect(text).toContain('\n## pagerduty (pagerduty)\nsummary: [prod] [FIRING:1] ServiceDown (backend) critical\nseverity: critical\n');
  });
});

test('staging pages no one and says [staging]', () => {
  const p = previewNotifications('HighErrorRate', 'staging');
  expect(p.receivers.map((r) => r.receiver)).toEqual(['slack-alerts', 'slack-warnings']);
  expect(field(p, 'slack-warnings', 'title')).toBe('[staging] [FIRING:1] HighErrorRate (backend) warning');
});

test('an unknown alert names the known ones', () => {
  expect(() => previewNotifications('NoSuchAlert')).toThrow(/unknown alert "NoSuchAlert": one of ServiceMissing, ServiceDown, /);
});

test.each([['critical', 'critical'], ['warning', 'warning'], ['info', 'info'], ['none', 'info']])('PagerDuty severity of %s is %s (amtool)', (severity, expected) => {
  const dir = tempDir('knowton-pdsev-');
  fs.writeFileSync(path.join(dir, TEMPLATE_FILE), TEMPLATE_SOURCE);
  fs.writeFileSync(path.join(dir, 'data.json'), JSON.stringify({ status: 'firing', alerts: [], commonLabels: { severity }, groupLabels: {}, commonAnnotations: {} }));
  const r = run('amtool', ['template', 'render', `--template.glob=${dir}/*.tmpl`, `--template.text={{ template "${TEMPLATE.pagerdutySeverity}" . }}`, `--template.data=${dir}/data.json`]);
  expect([r.code, r.output.trim()]).toEqual([0, expected]);
});

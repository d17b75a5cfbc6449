/**
 * `npm run notify -- <AlertName> [--env prod]`: what each receiver of an alert would send, rendered by the
 * real template engine. The environment is synthesized as `npm run synth` would; the alert gets sample
 * labels (the rule's, its query's result labels from the test fixture, `environment`) and its annotations
 * from the synthesized rule file, with the Prometheus templates filled in for a value just past the
 * threshold (the promtool tests' renderer); `amtool config routes test` picks the receivers; every
 * template field of each receiver in alertmanager.yml is rendered by `amtool template render`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { probesFor, renderTemplate } from './alerting';
import { DEFAULT_GROUP_BY } from './alertmanager';
import { environmentConfig } from './config';
import { findObject, loadObjects, prometheusFiles, writeAlertmanagerFiles } from './demo/dist';
import { buildApp } from './synth';
import { Quantity } from './units';

/** One receiver's message, field by field, as its integration would send it. */
export interface ReceiverPreview {
  readonly receiver: string;
  /** `slack #knowton-critical`, `pagerduty`, `email oncall@knowton.io`, `webhook`. */
  readonly integration: string;
  readonly fields: ReadonlyArray<readonly [string, string]>;
}

export interface NotifyPreview {
  readonly alert: string;
  readonly environment: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly receivers: readonly ReceiverPreview[];
}

function amtool(args: string[]): string {
  const r = spawnSync('amtool', args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`amtool ${args[0]} ${args[1]} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** The template-bearing fields of one notifier config, by the name the integration uses on the wire. */
function templateFields(kind: string, c: any): Array<[string, string]> {
  switch (kind) {
    case 'slack_configs':
      return [['title', c.title], ['text', c.text], ['color', c.color]];
    case 'pagerduty_configs':
      return [
        ['summary', c.description], ['severity', c.severity], ['component', c.component], ['group', c.group], ['class', c.class],
        ...Object.entries(c.details ?? {}).map(([k, v]) => [`details.${k}`, String(v)] as [string, string]),
        ...(c.links ?? []).map((l: any) => [`link ${l.text}`, l.href] as [string, string]),
      ];
    case 'email_configs':
      return [['subject', c.headers?.Subject], ['body', c.text]];
    default:
      // Webhooks (the heartbeat) send Alertmanager's JSON, no template.
      return [];
  }
}

function integrationOf(kind: string, c: any): string {
  if (kind === 'slack_configs') return `slack ${c.channel}`;
  if (kind === 'email_configs') return `email ${c.to}`;
  return kind.replace(/_configs$/, '');
}

/** What each receiver of `alertName` sends in `environment`. Throws on an unknown alert. */
export function previewNotifications(alertName: string, environment = 'dev'): NotifyPreview {
  const config = environmentConfig(environment);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowton-notify-'));
  try {
    const { app, stack } = buildApp(config, path.join(dir, 'dist'));
    app.synth();
    const objects = loadObjects(path.join(dir, 'dist'));
    const group = stack.ruleGroups.find((g) => g.alerts.some((a) => a.name === alertName));
    const alert = group?.alerts.find((a) => a.name === alertName);
    if (!group || !alert) {
      throw new Error(`unknown alert ${JSON.stringify(alertName)}: one of ${stack.ruleGroups.flatMap((g) => g.alerts.map((a) => a.name)).join(', ')}`);
    }
    const rule = Object.values(prometheusFiles(objects).rules)
      .flatMap((text) => parse(text).groups.flatMap((g: any) => g.rules))
      .find((r: any) => r.alert === alertName);

    // The labels Alertmanager would see: the query's result, the rule's labels, the external `environment`.
    const c = alert.condition;
    const value = c ? probesFor(c).firing : 1;
    const resultLabels = (c && c.query.fixture?.(new Quantity(value, c.threshold.unit).in(c.query.unit)).labels) ?? {};
    const labels: Record<string, string> = {
      alertname: alertName,
      ...resultLabels,
      // The fixture's sample namespace is dev's.
      ...('namespace' in resultLabels ? { namespace: config.namespace ?? 'knowton-dev' } : {}),
      ...rule.labels,
      environment: config.environment ?? environment,
    };
    const annotations: Record<string, string> = Object.fromEntries(
      Object.entries(rule.annotations as Record<string, string>).map(([k, v]) => [k, renderTemplate(v, labels, value)]),
    );

    const amDir = path.join(dir, 'alertmanager');
    fs.mkdirSync(amDir);
    const amFile = writeAlertmanagerFiles(objects, amDir);
    const amConfig = parse(fs.readFileSync(amFile, 'utf8'));
    const args: string[] = findObject(objects, 'StatefulSet', 'alertmanager').spec.template.spec.containers[0].args;
    const externalUrl = args.find((a) => a.startsWith('--web.external-url='))!.split('=').slice(1).join('=');

    const routed = amtool(['config', 'routes', 'test', `--config.file=${amFile}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)])
      .trim().split(',').map((r) => r.trim()).filter(Boolean);

    const startsAt = new Date();
    const groupBy: string[] = amConfig.route.group_by ?? DEFAULT_GROUP_BY;
    const receivers = routed.map((receiver) => {
      const data = {
        receiver,
        status: 'firing',
        alerts: [{ status: 'firing', labels, annotations, startsAt: startsAt.toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: '0123456789abcdef' }],
        groupLabels: Object.fromEntries(groupBy.filter((l) => labels[l] !== undefined).map((l) => [l, labels[l]])),
        commonLabels: labels,
        commonAnnotations: annotations,
        externalURL: externalUrl,
      };
      const dataFile = path.join(dir, `${receiver}.json`);
      fs.writeFileSync(dataFile, JSON.stringify(data));
      const r = (amConfig.receivers as any[]).find((x) => x.name === receiver);
      return Object.entries(r).filter(([k]) => k.endsWith('_configs')).flatMap(([kind, list]) => (list as any[]).map((cfg) => ({
        receiver,
        integration: integrationOf(kind, cfg),
        fields: templateFields(kind, cfg).filter(([, t]) => t !== undefined).map(([name, text]) => [name, amtool([
          'template', 'render', `--template.glob=${path.join(amDir, '*.tmpl')}`, `--template.text=${text}`, `--template.data=${dataFile}`,
        ]).replace(/\n$/, '')] as const),
      })));
    }).flat();
    return { alert: alertName, environment: config.environment ?? environment, labels, annotations, receivers };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The preview as text: the sample alert, then each receiver's fields. */
export function formatPreview(p: NotifyPreview): string {
  const lines = [
    `# ${p.alert} in ${p.environment}`,
    '',
    `labels: ${Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(', ')}`,
    `receivers: ${[...new Set(p.receivers.map((r) => r.receiver))].join(', ')}`,
  ];
  for (const r of p.receivers) {
    lines.push('', `## ${r.receiver} (${r.integration})`);
    if (r.fields.length === 0) lines.push("Alertmanager's webhook JSON (no template)");
    for (const [name, value] of r.fields) {
      lines.push(value.includes('\n') ? `${name}:\n${value.replace(/^/gm, '    ')}` : `${name}: ${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

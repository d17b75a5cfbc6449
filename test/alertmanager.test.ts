/**
 * Alertmanager config and construct: bad input fails with a message that names the place, the
 * field, the value and what is allowed; Debian's amtool 0.25 loads the rendered config and routes
 * every severity the rules emit (and the Watchdog) to the expected receivers; the messages carry
 * summary, description, severity, runbook and silence link; the Kubernetes objects are hardened
 * and valid.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import {
  AlertmanagerConfigProps,
  RECEIVER,
  SEVERITIES,
  TEMPLATE,
  alertmanagerConfigFiles,
  renderAlertmanagerConfig,
  renderModel,
  routeTestCases,
} from '../lib/alertmanager';
import { Alertmanager, AlertmanagerProps, receiversSecretCommand } from '../lib/components/alertmanager';
import { Duration } from '../lib/units';
import { ConfigError } from '../lib/validate';
import { run, tempDir } from './helpers';
import { withUrlFilesAsUrls } from '../lib/demo/dist';

/** Writes the config directory for `props` (alertmanager.yml + template) under a fresh temp dir. */
function writeConfig(props: AlertmanagerConfigProps = {}): string {
  const dir = tempDir('knowton-am-');
  const files = alertmanagerConfigFiles({ ...props, configDir: dir, secretsDir: path.join(dir, 'secrets') });
  // amtool 0.25 predates url_file (the heartbeat's): that webhook gets a url for it (withUrlFilesAsUrls).
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), f === 'alertmanager.yml' ? withUrlFilesAsUrls(text) : text);
  return path.join(dir, 'alertmanager.yml');
}

function amtool(args: string[]): { code: number; output: string } {
  return run('amtool', args);
}

function synth(props: Partial<AlertmanagerProps> = {}): any[] {
  const app = new App();
  const chart = new Chart(app, 't');
  new Alertmanager(chart, 'alertmanager', { namespace: 'knowton-dev', ...props });
  return Testing.synth(chart);
}

const EMAIL = { to: ['oncall@knowton.io', 'cto@knowton.io'], from: 'alertmanager@knowton.io', smarthost: 'smtp.knowton.io:587', authUsername: 'alertmanager' };

/** The prop variants whose routing differs. */
const VARIANTS: Record<string, AlertmanagerConfigProps> = {
  defaults: {},
  'email and heartbeat': { email: EMAIL, heartbeatUrl: 'https://hc-ping.com/0f1e2d3c' },
  'no PagerDuty': { pagerduty: false },
  'custom routing': { routing: { info: [RECEIVER.info] }, slackChannels: { info: '#knowton-fyi' } },
  'Slack bot token': { slackMode: 'bot-token' },
  'legacy single Slack webhook': { slackMode: 'single-webhook' },
};

describe('bad input is a clear error', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      'an unknown severity among the ones the rules emit',
      () => routeTestCases({}, ['critical', 'page']),
      /^alertmanager: invalid severities\[1\] "page": one of critical, warning, info$/,
    ],
    [
      'an unknown Slack mode',
      () => renderAlertmanagerConfig({ slackMode: 'app-webhook' as any }),
      /^alertmanager: invalid slackMode "app-webhook": one of webhook-per-channel, bot-token, single-webhook$/,
    ],
    [
      'a Slack API URL for webhooks',
      () => renderAlertmanagerConfig({ slackApiUrl: 'http://127.0.0.1:1/api' }),
      /^alertmanager: invalid slackApiUrl "http:\/\/127.0.0.1:1\/api": unset unless slackMode is 'bot-token'/,
    ],
    [
      'a bot token sent to a webhook URL',
      () => renderModel({ resolveTimeout: Duration.minutes(5), templates: [], route: { receiver: 's' }, inhibitRules: [],
        receivers: [{ name: 's', notifiers: [{ kind: 'slack', channel: '#a', apiUrlFile: '/s/hook', bearerTokenFile: '/s/token' }] }] }, 'am'),
      /^am: invalid receivers\[0\]\.notifiers\[0\]\.bearerTokenFile "\/s\/token": unset unless apiUrl is set/,
    ],
    [
      'an unknown severity in routing',
      () => renderAlertmanagerConfig({ routing: { urgent: ['slack-alerts'] } as any }),
      /invalid routing "urgent": a key among critical, warning, info$/,
    ],
    [
      'an unknown severity in timings',
      () => renderAlertmanagerConfig({ timings: { major: { groupWait: Duration.seconds(1) } } as any }),
      /invalid timings "major": a key among critical, warning, info, default$/,
    ],
    [
      'a route to an undeclared receiver',
      () => renderAlertmanagerConfig({ routing: { critical: ['slack-critical', 'opsgenie'] } }),
      /invalid route\.routes\[1\]\.routes\[1\]\.receiver "opsgenie": a declared receiver: slack-alerts, slack-critical, .*pagerduty/,
    ],
    [
      'a route to PagerDuty when PagerDuty is off',
      () => renderAlertmanagerConfig({ pagerduty: false, routing: { critical: ['pagerduty'] } }),
      /invalid route\.routes\[1\]\.receiver "pagerduty": a declared receiver/,
    ],
    [
      'a Slack channel without #',
      () => renderAlertmanagerConfig({ slackChannels: { critical: 'knowton-critical' } }),
      /invalid receivers\[1\]\.notifiers\[0\]\.channel "knowton-critical": a Slack channel: # then/,
    ],
    [
      'an empty receiver list',
      () => renderAlertmanagerConfig({ routing: { warning: [] } }),
      /invalid routing\.warning \[\]: at least one receiver$/,
    ],
    [
      'a receiver listed twice',
      () => renderAlertmanagerConfig({ routing: { info: ['slack-info', 'slack-info'] } }),
      /invalid routing\.info \["slack-info","slack-info"\]: each receiver once/,
    ],
    [
      'a malformed email recipient',
      () => renderAlertmanagerConfig({ email: { ...EMAIL, to: ['oncall@knowton.io', 'ops at knowton.io'] } }),
      /invalid email\.to\[1\] "ops at knowton\.io": an email address like oncall@knowton\.io$/,
    ],
    [
      'a malformed sender',
      () => renderAlertmanagerConfig({ email: { ...EMAIL, from: 'alertmanager@localhost' } }),
      /invalid email\.from "alertmanager@localhost": an email address/,
    ],
    [
      'a smarthost without port',
      () => renderAlertmanagerConfig({ email: { ...EMAIL, smarthost: 'smtp.knowton.io' } }),
      /invalid receivers\[\d\]\.notifiers\[0\]\.smarthost "smtp\.knowton\.io": host:port/,
    ],
    [
      'a heartbeat URL that is not http(s)',
      () => renderAlertmanagerConfig({ heartbeatUrl: 'hc-ping.com/abc' }),
      /invalid heartbeatUrl "hc-ping\.com\/abc": an absolute http:\/\/ or https:\/\/ URL$/,
    ],
    [
      'a heartbeat interval too short to be a heartbeat',
      () => renderAlertmanagerConfig({ heartbeatInterval: Duration.seconds(5) }),
      /invalid heartbeatInterval "5s": a Duration of at least 30s$/,
    ],
    [
      'a zero repeat interval',
      () => renderAlertmanagerConfig({ timings: { critical: { repeatInterval: Duration.seconds(0) } } }),
      /invalid route\.routes\[1\]\.timings\.repeatInterval "0s": a Duration > 0$/,
    ],
  ];
  test.each(cases)('%s', (_name, f, message) => {
    expect(f).toThrow(ConfigError);
    expect(f).toThrow(message);
  });

  test('a receiver emptied by mistake is refused, a declared null receiver is not', () => {
    const model = (discard?: boolean) => ({
      resolveTimeout: Duration.minutes(5),
      templates: [],
      route: { receiver: 'x' },
      receivers: [{ name: 'x', notifiers: [], discard }],
      inhibitRules: [],
    });
    expect(() => renderModel(model(), 'm')).toThrow(/^m: invalid receivers\[0\]\.notifiers \[\]: at least one notifier for receiver x/);
    expect(() => renderModel(model(true), 'm')).not.toThrow();
  });

  test('construct errors name the construct path', () => {
    expect(() => synth({ slackChannels: { all: 'alerts' } })).toThrow(/^t\/alertmanager: invalid receivers\[0\]\.notifiers\[0\]\.channel "alerts"/);
    expect(() => synth({ image: 'quay.io/prometheus/alertmanager:v0.24.0' })).toThrow(
      /^t\/alertmanager: invalid image ".*v0\.24\.0": Alertmanager v0\.25\.0 or later/,
    );
    expect(() => synth({ image: 'quay.io/prometheus/alertmanager:latest' })).toThrow(/invalid image/);
    expect(() => synth({ replicas: 0 })).toThrow(/^t\/alertmanager: invalid replicas 0: an integer from 1 to 5$/);
    expect(() => synth({ storageSize: '2GB' })).toThrow(/invalid storageSize "2GB"/);
    expect(() => synth({ namespace: 'Knowton' })).toThrow(/invalid namespace "Knowton"/);
  });
});

describe('amtool (Debian 0.25) on the rendered config', () => {
  test.each(Object.entries(VARIANTS))('check-config passes: %s', (_name, props) => {
    const r = amtool(['check-config', writeConfig(props)]);
    expect(r.output).toContain('SUCCESS');
    // The template file is found and parsed, not just the YAML.
    expect(r.output).toContain(' - 1 templates');
    expect(r.code).toBe(0);
  });

  test('check-config is a real check: a broken template fails it', () => {
    const file = writeConfig();
    fs.appendFileSync(path.join(path.dirname(file), 'knowton.tmpl'), '{{ define "broken" }}{{ .Foo');
    expect(amtool(['check-config', file]).code).not.toBe(0);
  });

  for (const [variant, props] of Object.entries(VARIANTS)) {
    describe(`routes: ${variant}`, () => {
      const file = writeConfig(props);
      test.each(routeTestCases(props, SEVERITIES).map((c) => [c.name, c] as const))('%s', (_name, c) => {
        const labels = Object.entries(c.labels).map(([k, v]) => `${k}=${v}`);
        const r = amtool(['config', 'routes', 'test', `--config.file=${file}`, `--verify.receivers=${c.receivers.join(',')}`, ...labels]);
        expect({ output: r.output.split('\n')[0], code: r.code }).toEqual({ output: c.receivers.join(','), code: 0 });
      });
    });
  }

  test('the generated cases state the routing the spec asks for', () => {
    const byName = (props: AlertmanagerConfigProps) =>
      Object.fromEntries(routeTestCases(props).map((c) => [c.name, c.receivers.join(',')]));
    expect(byName({ email: EMAIL, heartbeatUrl: 'https://hc-ping.com/x' })).toEqual({
      'severity critical': 'slack-alerts,slack-critical,pagerduty,email-critical',
      'severity warning': 'slack-alerts,slack-warnings',
      'severity info': 'slack-alerts,slack-info',
      Watchdog: 'heartbeat',
      'no severity': 'slack-alerts',
    });
    // A dead man's switch in every configuration: the URL from the Secret when none is given.
    expect(byName({}).Watchdog).toBe('heartbeat');
  });

  test('a wrong expectation fails the route test (the check can fail)', () => {
    const r = amtool(['config', 'routes', 'test', `--config.file=${writeConfig()}`, '--verify.receivers=slack-alerts', 'severity=critical', 'alertname=X']);
    expect(r.code).not.toBe(0);
  });

  test('messages show summary, description, severity, runbook and a silence link', () => {
    const dir = path.dirname(writeConfig());
    const data = path.join(dir, 'data.json');
    fs.writeFileSync(data, JSON.stringify({
      receiver: 'slack-critical',
      status: 'firing',
      alerts: [{
        status: 'firing',
        labels: { alertname: 'ServiceDown', severity: 'critical', service: 'backend', instance: '10.0.0.7:3000' },
        annotations: {
          summary: 'backend is down',
          description: 'backend has been unreachable for 2 minutes',
          runbook_url: 'https://github.com/knowton/knowton-monitoring/blob/main/docs/runbooks/ServiceDown.md',
        },
      }],
      groupLabels: { alertname: 'ServiceDown', service: 'backend' },
      commonLabels: { alertname: 'ServiceDown', severity: 'critical', service: 'backend' },
      commonAnnotations: {},
      externalURL: 'http://localhost:9093',
    }));
    const render = (name: string) => {
      const r = amtool(['template', 'render', `--template.glob=${dir}/*.tmpl`, `--template.data=${data}`, `--template.text={{ template "${name}" . }}`]);
      expect(r.code).toBe(0);
      return r.output.trim();
    };
    expect(render(TEMPLATE.title)).toBe('[FIRING:1] ServiceDown (backend) critical');
    expect(render(TEMPLATE.text)).toBe([
      '*ServiceDown* firing, severity critical, service backend, instance 10.0.0.7:3000',
      'Summary: backend is down',
      'Description: backend has been unreachable for 2 minutes',
      'Runbook: https://github.com/knowton/knowton-monitoring/blob/main/docs/runbooks/ServiceDown.md',
      '',
      'Silence: http://localhost:9093/#/silences/new?filter=%7Balertname%3D%22ServiceDown%22%2Cservice%3D%22backend%22%2Cseverity%3D%22critical%22%7D',
    ].join('\n'));
  });
});

describe('the rendered config', () => {
  test('has no credentials, only the files they are read from', () => {
    const config = renderAlertmanagerConfig({ email: EMAIL });
    const receivers = config.receivers as any[];
    const text = JSON.stringify(config);
    expect(text).not.toMatch(/hooks\.slack\.com|api_url"|routing_key"|auth_password"|service_key/);
    expect(receivers.find((r) => r.name === 'slack-alerts').slack_configs[0].api_url_file).toBe('/etc/alertmanager/secrets/slack-webhook-url-all');
    expect(receivers.find((r) => r.name === 'slack-critical').slack_configs[0].api_url_file).toBe('/etc/alertmanager/secrets/slack-webhook-url-critical');
    expect(receivers.find((r) => r.name === 'pagerduty').pagerduty_configs[0].routing_key_file).toBe('/etc/alertmanager/secrets/pagerduty-routing-key');
    expect(receivers.find((r) => r.name === 'email-critical').email_configs[0]).toMatchObject({
      to: 'oncall@knowton.io, cto@knowton.io',
      auth_password_file: '/etc/alertmanager/secrets/smtp-password',
    });
  });

  test('timings are per severity, from Durations', () => {
    const config = renderAlertmanagerConfig({ timings: { info: { groupWait: Duration.minutes(10) } } }) as any;
    const [watchdog, critical, warning, info] = config.route.routes;
    expect(watchdog).toMatchObject({ matchers: ['alertname="Watchdog"'], receiver: 'heartbeat', group_wait: '0s', group_interval: '1m', repeat_interval: '48s' });
    expect(critical).toMatchObject({ matchers: ['severity="critical"'], group_wait: '10s', group_interval: '5m', repeat_interval: '1h' });
    expect(warning).toMatchObject({ group_wait: '30s', repeat_interval: '4h' });
    expect(info).toMatchObject({ group_wait: '10m', group_interval: '30m', repeat_interval: '1d' });
    expect(config.route).toMatchObject({ receiver: 'slack-alerts', group_by: ['alertname', 'service', 'namespace'] });
  });

  test('inhibition by alert name, from rules/inhibitions.ts (checked and proven in test/inhibitions.test.ts), and lib/slo\'s tiers', () => {
    const rules = (renderAlertmanagerConfig({}) as any).inhibit_rules as any[];
    const byName = rules.filter((r) => !r.source_matchers.includes('category="slo"'));
    expect(byName.length).toBeGreaterThan(0);
    for (const r of byName) expect(r.source_matchers[0]).toMatch(/^alertname="/);
    // lib/slo's: a faster burn-rate tier mutes the slower ones of the same SLO
    expect(rules.filter((r) => r.source_matchers.includes('category="slo"'))).toEqual([
      { source_matchers: ['category="slo"', 'burn_window="1h"'], target_matchers: ['category="slo"', 'burn_window="6h"'], equal: ['slo'] },
      { source_matchers: ['category="slo"', 'burn_window="6h"'], target_matchers: ['category="slo"', 'burn_window="1d"'], equal: ['slo'] },
      { source_matchers: ['category="slo"', 'burn_window="1d"'], target_matchers: ['category="slo"', 'burn_window="3d"'], equal: ['slo'] },
    ]);
  });

  test('an empty email list means no email receiver and no smtp-password key', () => {
    const props = { email: { ...EMAIL, to: [] } };
    expect((renderAlertmanagerConfig(props).receivers as any[]).map((r) => r.name)).not.toContain('email-critical');
    expect(receiversSecretCommand({ namespace: 'knowton-dev', ...props })).not.toContain('smtp-password');
  });
});

describe('the Alertmanager construct', () => {
  const objects = synth();
  const find = (kind: string, name: string) => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`no ${kind} ${name}`);
    return o;
  };
  const sts = find('StatefulSet', 'alertmanager');
  const pod = sts.spec.template.spec;

  test('creates exactly the named objects, in the namespace, and no Secret', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/alertmanager-config',
      'Service/alertmanager-headless',
      'Service/alertmanager-service',
      'ServiceAccount/alertmanager',
      'StatefulSet/alertmanager',
    ]);
    for (const o of objects) expect(o.metadata.namespace).toBe('knowton-dev');
  });

  test('every object validates against the Kubernetes OpenAPI schema', () => {
    for (const o of [...objects, ...synth({ replicas: 3 })]) {
      const group = o.apiVersion.includes('/') ? o.apiVersion : 'v1';
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const Model = require(`kubernetes-models/${group}/${o.kind}`)[o.kind];
      expect(() => new Model(o).validate()).not.toThrow();
    }
  });

  test('the Service is alertmanager-service:9093 named web', () => {
    expect(find('Service', 'alertmanager-service').spec.ports).toEqual([{ name: 'web', port: 9093, targetPort: 'web' }]);
    expect(find('Service', 'alertmanager-headless').spec).toMatchObject({ clusterIP: 'None' });
    expect(sts.spec.serviceName).toBe('alertmanager-headless');
  });

  test('the ConfigMap holds the same alertmanager.yml amtool checked, and the template', () => {
    const data = find('ConfigMap', 'alertmanager-config').data;
    expect(Object.keys(data).sort()).toEqual(['alertmanager.yml', 'knowton.tmpl']);
    expect(parse(data['alertmanager.yml'])).toEqual(renderAlertmanagerConfig({}));
    expect(parse(data['alertmanager.yml']).templates).toEqual(['/etc/alertmanager/config/*.tmpl']);
  });

  test('every container is hardened and has requests and limits', () => {
    expect(pod.containers.map((c: any) => c.name)).toEqual(['alertmanager', 'config-reloader']);
    for (const c of pod.containers) {
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'memory']);
      expect(c.image).toMatch(/:v\d+\.\d+\.\d+$/);
    }
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(find('ServiceAccount', 'alertmanager').automountServiceAccountToken).toBe(false);
  });

  test('silences and the notification log live on a persistent volume', () => {
    expect(sts.spec.volumeClaimTemplates).toMatchObject([{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } }]);
    const am = pod.containers[0];
    expect(am.args).toContain('--storage.path=/alertmanager');
    expect(am.volumeMounts).toContainEqual({ name: 'data', mountPath: '/alertmanager' });
  });

  test('the receivers Secret is mounted read-only by name', () => {
    expect(pod.volumes).toContainEqual({ name: 'receivers', secret: { secretName: 'alertmanager-receivers', defaultMode: 0o440 } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'receivers', mountPath: '/etc/alertmanager/secrets', readOnly: true });
    // The reloader does not need the credentials.
    expect(pod.containers[1].volumeMounts.map((m: any) => m.name)).toEqual(['config']);
  });

  test('the reloader watches the config directory and reloads Alertmanager', () => {
    expect(pod.containers[1].args).toEqual(expect.arrayContaining([
      '--reload-url=http://127.0.0.1:9093/-/reload',
      '--watched-dir=/etc/alertmanager/config',
    ]));
  });

  test('one replica disables gossip; three form a cluster over the headless Service', () => {
    expect(pod.containers[0].args).toContain('--cluster.listen-address=');
    expect(pod.containers[0].args.filter((a: string) => a.startsWith('--cluster.peer'))).toEqual([]);
    const clustered = synth({ replicas: 3 }).find((o) => o.kind === 'StatefulSet');
    const args: string[] = clustered.spec.template.spec.containers[0].args;
    expect(args.filter((a) => a.startsWith('--cluster.peer='))).toEqual([0, 1, 2].map(
      (i) => `--cluster.peer=alertmanager-${i}.alertmanager-headless.knowton-dev.svc:9094`,
    ));
    expect(clustered.spec.replicas).toBe(3);
  });

  test('a config change changes the checksum annotation; the same input gives the same output', () => {
    const checksum = (p: Partial<AlertmanagerProps>) =>
      synth(p).find((o) => o.kind === 'StatefulSet').metadata.annotations['checksum/config'];
    expect(checksum({})).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum({})).toBe(sts.metadata.annotations['checksum/config']);
    expect(checksum({ slackChannels: { info: '#knowton-fyi' } })).not.toBe(checksum({}));
    expect(JSON.stringify(synth())).toBe(JSON.stringify(objects));
  });

  test('exposes the addresses Prometheus sends alerts to: the Service for one replica, every replica for a cluster', () => {
    const chart = new Chart(new App(), 't');
    const am = new Alertmanager(chart, 'alertmanager', { namespace: 'knowton-dev' });
    expect(am.address).toBe('alertmanager-service.knowton-dev.svc:9093');
    expect(am.alertmanagers).toEqual(['alertmanager-service.knowton-dev.svc:9093']);
    const cluster = new Alertmanager(new Chart(new App(), 't'), 'alertmanager', { namespace: 'knowton-prod', replicas: 3 });
    expect(cluster.alertmanagers).toEqual([0, 1, 2].map((i) => `alertmanager-${i}.alertmanager-headless.knowton-prod.svc:9093`));
  });

  test('the Secret command lists the keys the config reads', () => {
    expect(receiversSecretCommand({ namespace: 'knowton-dev', email: EMAIL })).toBe([
      'kubectl create secret generic alertmanager-receivers -n knowton-dev \\',
      ...['all', 'critical', 'warning', 'info'].map((r) => `  --from-file=slack-webhook-url-${r}=./slack-webhook-url-${r} \\`),
      '  --from-file=heartbeat-url=./heartbeat-url \\',
      '  --from-file=pagerduty-routing-key=./pagerduty-routing-key \\',
      '  --from-file=smtp-password=./smtp-password',
    ].join('\n'));
    expect(receiversSecretCommand({ namespace: 'knowton-prod', pagerduty: false, receiversSecretName: 'am', heartbeatUrl: 'http://127.0.0.1:1/hb', slackMode: 'single-webhook' })).toBe(
      'kubectl create secret generic am -n knowton-prod \\\n  --from-file=slack-webhook-url=./slack-webhook-url',
    );
    expect(receiversSecretCommand({ namespace: 'knowton-prod', pagerduty: false, receiversSecretName: 'am', heartbeatUrl: 'http://127.0.0.1:1/hb', slackMode: 'bot-token' })).toBe(
      'kubectl create secret generic am -n knowton-prod \\\n  --from-file=slack-bot-token=./slack-bot-token',
    );
  });
});

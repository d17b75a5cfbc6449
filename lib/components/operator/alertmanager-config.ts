/**
 * The standalone alertmanager.yml (rendered from the one Alertmanager model) as a prometheus-operator
 * AlertmanagerConfig (monitoring.coreos.com/v1alpha1): the same route tree, receivers and inhibit rules, in the
 * CRD's camelCase, with every credential file of the receivers Secret turned into a SecretKeySelector.
 * What the CRD cannot express (a plain Slack API URL, a time zone on a time interval) fails synth, naming it.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { check, ConfigError } from '../../validate';
import { SelectorLabels } from './settings';

export const ALERTMANAGER_CONFIG_API = 'monitoring.coreos.com/v1alpha1';
/** The AlertmanagerConfig's name: the operator prefixes its receivers and time intervals with `<namespace>/<name>/`. */
export const ALERTMANAGER_CONFIG_NAME = 'knowton';

type Obj = Record<string, unknown>;

/**
 * alertmanager.yml fields the AlertmanagerConfig CRD (v1alpha1, as @kubernetes-models/prometheus-operator 4.4.4
 * has its schema) has no field for: left out, and said so in README. Without `description` PagerDuty shows
 * Alertmanager's default summary (`[FIRING:n] <grouping labels>`) instead of the KnowTon title.
 */
export const NOT_EXPRESSIBLE: Readonly<Record<string, string>> = {
  'pagerduty_configs.description': "the incident's summary: PagerDutyConfig has no description field",
};

export interface SecretRefs {
  /** Directory the standalone stack mounts the receivers Secret at; every `*_file` must be in it. */
  readonly secretsDir: string;
  /** The Secret's name. */
  readonly secretName: string;
  /** Key by standalone key, where it differs. */
  readonly keys: Readonly<Record<string, string>>;
}

/** The spec of an AlertmanagerConfig equivalent to `config` (an alertmanager.yml object). */
export function toAlertmanagerConfigSpec(config: Obj, refs: SecretRefs, where: string): Obj {
  const used = new Set<string>();
  const secret = (field: string, file: unknown): Obj => {
    const prefix = `${refs.secretsDir.replace(/\/+$/, '')}/`;
    check(typeof file === 'string' && file.startsWith(prefix) && !file.slice(prefix.length).includes('/'), where, field, file,
      `a file of the receivers Secret (${prefix}<key>), which becomes a Secret key reference`);
    const key = (file as string).slice(prefix.length);
    used.add(key);
    return { name: refs.secretName, key: refs.keys[key] ?? key };
  };
  const unsupported = (field: string, value: unknown, why: string) => {
    throw new ConfigError(where, field, value, `nothing AlertmanagerConfig v1alpha1 cannot express: ${why}`);
  };
  // Fields copied under their camelCase names, and those that change shape.
  const convert = (field: string, o: Obj, same: readonly string[], special: Record<string, (v: unknown) => [string, unknown]>): Obj => {
    const out: Obj = {};
    for (const [k, v] of Object.entries(o)) {
      if (special[k]) {
        const [name, value] = special[k](v);
        out[name] = value;
      } else if (same.includes(k)) {
        out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
      } else {
        unsupported(`${field}.${k}`, v, 'the operator CRD has no such field');
      }
    }
    return out;
  };
  const pairs = (v: unknown) => Object.entries(v as Obj).map(([key, value]) => ({ key, value }));

  const top = convert('alertmanager.yml', config, [], {
    // Alertmanager-wide settings belong to the operator's Alertmanager, not to one AlertmanagerConfig (README).
    global: (v) => ['global', v],
    templates: (v) => ['templates', v],
    route: (v) => ['route', route('route', v as Obj)],
    inhibit_rules: (v) => ['inhibitRules', (v as Obj[]).map((r, i) => convert(`inhibit_rules[${i}]`, r, ['equal'], {
      source_matchers: (m) => ['sourceMatch', matchers(`inhibit_rules[${i}].source_matchers`, m)],
      target_matchers: (m) => ['targetMatch', matchers(`inhibit_rules[${i}].target_matchers`, m)],
    }))],
    receivers: (v) => ['receivers', (v as Obj[]).map((r, i) => receiver(`receivers[${i}]`, r))],
    time_intervals: (v) => ['muteTimeIntervals', (v as Obj[]).map((t, i) => ({
      name: t.name,
      timeIntervals: (t.time_intervals as Obj[]).map((ti, j) => convert(`time_intervals[${i}].time_intervals[${j}]`, ti, ['weekdays', 'months', 'years'], {
        times: (ts) => ['times', (ts as Obj[]).map((x) => ({ startTime: x.start_time, endTime: x.end_time }))],
        days_of_month: (ds) => ['daysOfMonth', (ds as string[]).map((d) => {
          const [start, end] = d.split(':').map(Number);
          return end === undefined ? { start, end: start } : { start, end };
        })],
        location: (l) => (l === 'UTC' ? ['location', undefined] : unsupported(`time_intervals[${i}].time_intervals[${j}].location`, l,
          "a time zone (the operator's mute time intervals are in UTC): write the times in UTC")),
      })),
    }))],
  });

  function matchers(field: string, ms: unknown): Obj[] {
    return (ms as string[]).map((m, i) => {
      const parsed = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)(".*")$/.exec(m);
      check(parsed !== null, where, `${field}[${i}]`, m, 'a matcher label op "value"');
      return { name: parsed![1], value: JSON.parse(parsed![3]) as string, matchType: parsed![2] };
    });
  }

  function route(field: string, r: Obj): Obj {
    return convert(field, r, ['receiver', 'group_by', 'group_wait', 'group_interval', 'repeat_interval', 'continue', 'mute_time_intervals'], {
      matchers: (m) => ['matchers', matchers(`${field}.matchers`, m)],
      routes: (rs) => ['routes', (rs as Obj[]).map((c, i) => route(`${field}.routes[${i}]`, c))],
    });
  }

  function receiver(field: string, r: Obj): Obj {
    return convert(field, r, ['name'], {
      slack_configs: (cs) => ['slackConfigs', (cs as Obj[]).map((c, i) => convert(`${field}.slack_configs[${i}]`, c,
        ['send_resolved', 'channel', 'color', 'title', 'text'], {
          api_url_file: (f) => ['apiURL', secret(`${field}.slack_configs[${i}].api_url_file`, f)],
          api_url: (u) => unsupported(`${field}.slack_configs[${i}].api_url`, u, "a Slack URL in the clear (the CRD's apiURL is a Secret key): use slackMode webhook-per-channel"),
        }))],
      pagerduty_configs: (cs) => ['pagerdutyConfigs', (cs as Obj[]).map((c, i) => convert(`${field}.pagerduty_configs[${i}]`, c,
        ['send_resolved', 'url', 'severity', 'component', 'group', 'class'], {
          description: () => ['description', undefined],
          routing_key_file: (f) => ['routingKey', secret(`${field}.pagerduty_configs[${i}].routing_key_file`, f)],
          details: (d) => ['details', pairs(d)],
          links: (ls) => ['pagerDutyLinkConfigs', (ls as Obj[]).map((l) => ({ href: l.href, alt: l.text }))],
        }))],
      email_configs: (cs) => ['emailConfigs', (cs as Obj[]).map((c, i) => convert(`${field}.email_configs[${i}]`, c,
        ['send_resolved', 'to', 'from', 'smarthost', 'auth_username', 'html', 'text'], {
          require_tls: (v) => ['requireTLS', v],
          auth_password_file: (f) => ['authPassword', secret(`${field}.email_configs[${i}].auth_password_file`, f)],
          headers: (h) => ['headers', pairs(h)],
        }))],
      webhook_configs: (cs) => ['webhookConfigs', (cs as Obj[]).map((c, i) => convert(`${field}.webhook_configs[${i}]`, c,
        ['send_resolved', 'url'], {
          url_file: (f) => ['urlSecret', secret(`${field}.webhook_configs[${i}].url_file`, f)],
        }))],
    });
  }

  // A key named in receiverSecretKeys that no receiver reads is a typo: the credential it meant stays unmapped.
  for (const key of Object.keys(refs.keys)) {
    check(used.has(key), 'StackConfig.operator', `receiverSecretKeys.${key}`, refs.keys[key],
      `a credential the receivers read: ${[...used].sort().join(', ')}`);
  }
  const { global: _global, templates: _templates, ...spec } = top;
  return JSON.parse(JSON.stringify(spec)) as Obj;
}

export interface KnowtonAlertmanagerConfigProps {
  readonly namespace: string;
  /** The standalone alertmanager.yml object. */
  readonly config: Obj;
  readonly secrets: SecretRefs;
  /** Labels the Alertmanager's `alertmanagerConfigSelector` matches. */
  readonly labels: SelectorLabels;
}

export class KnowtonAlertmanagerConfig extends Construct {
  readonly spec: Obj;

  constructor(scope: Construct, id: string, props: KnowtonAlertmanagerConfigProps) {
    super(scope, id);
    this.spec = toAlertmanagerConfigSpec(props.config, props.secrets, this.node.path);
    new ApiObject(this, 'Resource', {
      apiVersion: ALERTMANAGER_CONFIG_API,
      kind: 'AlertmanagerConfig',
      metadata: { name: ALERTMANAGER_CONFIG_NAME, namespace: props.namespace, labels: { ...props.labels } },
      spec: this.spec,
    });
  }
}

/**
 * KnowTon's alert routing, from the spec's AlertManager section:
 * every alert to #knowton-alerts; critical also to #knowton-critical, PagerDuty and email;
 * warning to #knowton-warnings; info to #knowton-info; the Watchdog to a dead man's switch.
 */
import { SLO_INHIBIT_RULES } from '../slo/render';
import { Duration } from '../units';
import { check, checkAbsolutePath, checkBoolean, checkDuration, checkString, checkStringList, keysOf } from '../validate';
import { INHIBITIONS } from '../../rules/inhibitions';
import { AlertmanagerModel, checkEmail, checkHttpUrl, eq, InhibitRule, matchesRegex, Receiver, Route, RouteTimings, TimeInterval } from './model';

/** The severities alert rules may carry, most urgent first. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Receiver names, fixed so that routing overrides and amtool tests can name them. */
export const RECEIVER = {
  /** Slack channel for every alert. */
  all: 'slack-alerts',
  critical: 'slack-critical',
  warning: 'slack-warnings',
  info: 'slack-info',
  pagerduty: 'pagerduty',
  email: 'email-critical',
  /** The dead man's switch webhook. */
  heartbeat: 'heartbeat',
  /** Drops what it receives. */
  discard: 'null',
} as const;

/** The channel role of each Slack receiver. */
const SLACK_ROLE: Readonly<Record<string, keyof SlackChannels>> = {
  [RECEIVER.all]: 'all',
  [RECEIVER.critical]: 'critical',
  [RECEIVER.warning]: 'warning',
  [RECEIVER.info]: 'info',
};

/** Keys of the receivers Secret; each becomes a file under the secrets directory. */
export const SECRET_KEYS = {
  /** The one webhook of `slackMode: 'single-webhook'` (legacy webhooks that honour `channel`). */
  slackWebhookUrl: 'slack-webhook-url',
  /** The bot token (`xoxb-...`) of `slackMode: 'bot-token'`. */
  slackBotToken: 'slack-bot-token',
  pagerdutyRoutingKey: 'pagerduty-routing-key',
  smtpPassword: 'smtp-password',
  /** The dead man's switch's ping URL (it often is the credential itself, so it never appears in dist/). */
  heartbeatUrl: 'heartbeat-url',
} as const;

/** The Secret key of the webhook of one channel role in `slackMode: 'webhook-per-channel'`: `slack-webhook-url-critical`. */
export function slackChannelSecretKey(role: keyof SlackChannels): string {
  return `${SECRET_KEYS.slackWebhookUrl}-${role}`;
}

/**
 * How Alertmanager posts to Slack.
 * - `webhook-per-channel`: one incoming webhook per channel, each its own Secret key. What a new Slack app
 *   offers (its webhooks post only to the channel they were created for), and a wrong or revoked webhook is
 *   an HTTP error Alertmanager counts as a failed notification.
 * - `bot-token`: one bot token (Secret key `slack-bot-token`, sent as `Authorization: Bearer` from
 *   `http_config.authorization.credentials_file`) posting to every channel through `chat.postMessage`. The bot
 *   must be in each channel (or have `chat:write.public`); Slack answers HTTP 200 with `ok: false` on such
 *   errors, which Alertmanager 0.25 does not read as a failure.
 * - `single-webhook`: the legacy one webhook (Secret key `slack-webhook-url`) with `channel` per receiver; only
 *   legacy webhooks honour `channel`, a Slack app's would post every severity into its one channel.
 */
export const SLACK_MODES = ['webhook-per-channel', 'bot-token', 'single-webhook'] as const;
export type SlackMode = (typeof SLACK_MODES)[number];

/** Slack's Web API method the bot token posts through. */
export const SLACK_POST_MESSAGE_URL = 'https://slack.com/api/chat.postMessage';

/** The alert Prometheus fires all the time to prove the alerting pipeline works end to end. */
export const WATCHDOG_ALERTNAME = 'Watchdog';

export interface SlackChannels {
  /** Receives every alert. */
  readonly all: string;
  /** Also receives critical alerts. */
  readonly critical: string;
  /** Also receives warnings. */
  readonly warning: string;
  /** Also receives info alerts. */
  readonly info: string;
}

export const DEFAULT_SLACK_CHANNELS: SlackChannels = {
  all: '#knowton-alerts',
  critical: '#knowton-critical',
  warning: '#knowton-warnings',
  info: '#knowton-info',
};

/**
 * Critical pages fast and repeats hourly; info waits to batch and repeats daily.
 * `default` applies to alerts with no or an unknown severity (they still reach #knowton-alerts).
 */
export const DEFAULT_TIMINGS: Readonly<Record<Severity | 'default', RouteTimings>> = {
  critical: { groupWait: Duration.seconds(10), groupInterval: Duration.minutes(5), repeatInterval: Duration.hours(1) },
  warning: { groupWait: Duration.seconds(30), groupInterval: Duration.minutes(5), repeatInterval: Duration.hours(4) },
  info: { groupWait: Duration.minutes(2), groupInterval: Duration.minutes(30), repeatInterval: Duration.hours(24) },
  default: { groupWait: Duration.seconds(30), groupInterval: Duration.minutes(5), repeatInterval: Duration.hours(4) },
};

/** One group per alert name, service and namespace. */
export const DEFAULT_GROUP_BY: readonly string[] = ['alertname', 'service', 'namespace'];

/**
 * Inhibition by alert name (rules/inhibitions.ts, checked against the rules at synth): while a cause
 * fires, the alerts it explains are not sent. One rule per source and `equal`.
 */
export const INHIBIT_RULES: readonly InhibitRule[] = INHIBITIONS.map((inh) => ({
  source: [eq('alertname', inh.source)],
  target: [inh.targets.length === 1 ? eq('alertname', inh.targets[0]) : matchesRegex('alertname', inh.targets.join('|'))],
  equal: inh.equal,
}));

export const DEFAULT_SECRETS_DIR = '/etc/alertmanager/secrets';
export const DEFAULT_CONFIG_DIR = '/etc/alertmanager/config';
export const CONFIG_FILE = 'alertmanager.yml';

/** Email notification for critical alerts. */
export interface EmailProps {
  /** Recipients; an empty list means no email receiver. */
  readonly to: readonly string[];
  /** Sender address. */
  readonly from: string;
  /** SMTP relay as host:port, e.g. `smtp.sendgrid.net:587`. */
  readonly smarthost: string;
  /** SMTP user; when set, the password is read from the Secret key `smtp-password`. @default no SMTP auth */
  readonly authUsername?: string;
  /** Refuse to send without STARTTLS. @default true */
  readonly requireTls?: boolean;
}

/** What to route where; everything but credentials, which are read from files. */
export interface AlertmanagerConfigProps {
  /** How Alertmanager posts to Slack (see SLACK_MODES). @default 'webhook-per-channel' */
  readonly slackMode?: SlackMode;
  /** The `chat.postMessage` endpoint of `slackMode: 'bot-token'`; only a local stand-in needs another. @default SLACK_POST_MESSAGE_URL */
  readonly slackApiUrl?: string;
  /** Slack channels per severity, each starting with `#`. @default DEFAULT_SLACK_CHANNELS (#knowton-alerts, #knowton-critical, #knowton-warnings, #knowton-info) */
  readonly slackChannels?: Partial<SlackChannels>;
  /** Page critical alerts through PagerDuty (routing key from the Secret key `pagerduty-routing-key`). @default true */
  readonly pagerduty?: boolean;
  /** PagerDuty Events API v2 endpoint, e.g. https://events.eu.pagerduty.com/v2/enqueue for EU accounts. @default Alertmanager's default (US endpoint) */
  readonly pagerdutyUrl?: string;
  /** Email for critical alerts. @default no email receiver */
  readonly email?: EmailProps;
  /**
   * Dead man's switch URL the Watchdog alert is posted to, written into dist/: only for a URL that is not a
   * credential (a local stand-in). @default none: the URL is read from the receivers Secret's key `heartbeat-url` (`url_file`)
   */
  readonly heartbeatUrl?: string;
  /** How often the Watchdog is re-sent to the heartbeat URL. @default Duration.minutes(1) */
  readonly heartbeatInterval?: Duration;
  /** Labels that split alerts into notification groups. @default DEFAULT_GROUP_BY (alertname, service, namespace) */
  readonly groupBy?: readonly string[];
  /** Grouping timings per severity (and `default` for alerts without a known severity), merged over DEFAULT_TIMINGS. @default DEFAULT_TIMINGS */
  readonly timings?: Partial<Record<Severity | 'default', Partial<RouteTimings>>>;
  /** Receivers per severity, in notification order, overriding the defaults built from the options above (see RECEIVER for names). @default critical: slack-alerts, slack-critical, pagerduty, email-critical; warning: slack-alerts, slack-warnings; info: slack-alerts, slack-info */
  readonly routing?: Partial<Record<Severity, readonly string[]>>;
  /** Named time intervals (Alertmanager `time_intervals`), e.g. `{ 'outside-business-hours': [{ weekdays: ['saturday', 'sunday'] }] }`. @default none */
  readonly timeIntervals?: Readonly<Record<string, readonly TimeInterval[]>>;
  /**
   * Time intervals during which a severity's notifications are held back, by severity: every receiver of that
   * severity is muted then (alerts still firing afterwards are sent when the interval ends). Never the
   * Watchdog's heartbeat, which has no severity to name. @default none
   */
  readonly muteTimeIntervals?: Partial<Record<Severity, readonly string[]>>;
  /** Alerts without endsAt count as resolved after this long without an update. @default Duration.minutes(5) */
  readonly resolveTimeout?: Duration;
  /** Directory where the receivers Secret is mounted. @default DEFAULT_SECRETS_DIR (/etc/alertmanager/secrets) */
  readonly secretsDir?: string;
  /** Directory holding alertmanager.yml and the template file. @default DEFAULT_CONFIG_DIR (/etc/alertmanager/config) */
  readonly configDir?: string;
}

export const ALERTMANAGER_CONFIG_KEYS = keysOf<AlertmanagerConfigProps>()([
  'slackMode', 'slackApiUrl', 'slackChannels', 'pagerduty', 'pagerdutyUrl', 'email', 'heartbeatUrl', 'heartbeatInterval', 'groupBy', 'timings', 'routing',
  'resolveTimeout', 'secretsDir', 'configDir', 'timeIntervals', 'muteTimeIntervals',
]);
export const TIME_INTERVAL_KEYS = keysOf<TimeInterval>()(['times', 'weekdays', 'daysOfMonth', 'months', 'years', 'location']);
export const EMAIL_KEYS = keysOf<EmailProps>()(['to', 'from', 'smarthost', 'authUsername', 'requireTls']);
export const SLACK_CHANNEL_KEYS = keysOf<SlackChannels>()(['all', 'critical', 'warning', 'info']);
export const ROUTE_TIMINGS_KEYS = keysOf<RouteTimings>()(['groupWait', 'groupInterval', 'repeatInterval']);

function checkKeys(where: string, field: string, obj: object | undefined, allowed: readonly string[]): void {
  for (const key of Object.keys(obj ?? {})) {
    check(allowed.includes(key), where, field, key, `a key among ${allowed.join(', ')}`);
  }
}

/** Fills the defaults of the props and checks what can be checked without the tree. */
function resolve(props: AlertmanagerConfigProps, where: string) {
  checkKeys(where, 'slackChannels', props.slackChannels, Object.keys(DEFAULT_SLACK_CHANNELS));
  checkKeys(where, 'timings', props.timings, [...SEVERITIES, 'default']);
  checkKeys(where, 'routing', props.routing, SEVERITIES);
  checkKeys(where, 'muteTimeIntervals', props.muteTimeIntervals, SEVERITIES);
  for (const [name, list] of Object.entries(props.timeIntervals ?? {})) {
    (Array.isArray(list) ? list : []).forEach((t, i) => checkKeys(where, `timeIntervals.${name}[${i}]`, t, TIME_INTERVAL_KEYS));
  }
  const channels: SlackChannels = { ...DEFAULT_SLACK_CHANNELS, ...props.slackChannels };
  // Types first (synth transpiles without type checking): the channels are compared below, and `"false"` would page.
  for (const role of SLACK_CHANNEL_KEYS) checkString(where, `slackChannels.${role}`, channels[role], 'a Slack channel such as #knowton-alerts (a string)');
  checkBoolean(where, 'pagerduty', props.pagerduty);
  for (const sev of SEVERITIES) {
    checkStringList(where, `routing.${sev}`, props.routing?.[sev], 'receiver names');
    checkStringList(where, `muteTimeIntervals.${sev}`, props.muteTimeIntervals?.[sev], 'time interval names');
  }
  checkStringList(where, 'groupBy', props.groupBy, 'label names');
  const slackMode = props.slackMode ?? 'webhook-per-channel';
  check(SLACK_MODES.includes(slackMode), where, 'slackMode', slackMode, `one of ${SLACK_MODES.join(', ')}`);
  if (props.slackApiUrl !== undefined) {
    check(slackMode === 'bot-token', where, 'slackApiUrl', props.slackApiUrl, "unset unless slackMode is 'bot-token' (webhooks carry their own URL)");
    checkHttpUrl(where, 'slackApiUrl', props.slackApiUrl);
  }
  const timings = {} as Record<Severity | 'default', RouteTimings>;
  for (const key of [...SEVERITIES, 'default'] as const) {
    const given = props.timings?.[key];
    for (const k of ['groupWait', 'groupInterval', 'repeatInterval'] as const) {
      if (given?.[k] !== undefined) checkDuration(where, `timings.${key}.${k}`, given[k]);
    }
    timings[key] = {
      groupWait: given?.groupWait ?? DEFAULT_TIMINGS[key].groupWait,
      groupInterval: given?.groupInterval ?? DEFAULT_TIMINGS[key].groupInterval,
      repeatInterval: given?.repeatInterval ?? DEFAULT_TIMINGS[key].repeatInterval,
    };
  }
  // Shape first: synth transpiles without type checking, so `to: null` reaches here.
  if (props.email) check(Array.isArray(props.email.to), where, 'email.to', props.email.to, 'a list of email addresses');
  const email = props.email && props.email.to.length > 0 ? props.email : undefined;
  if (props.email) {
    checkKeys(where, 'email', props.email, EMAIL_KEYS);
    check(Array.isArray(props.email.to), where, 'email.to', props.email.to, 'a list of email addresses');
    // Checked even when the list is empty, so a typo in `from` is not silently kept for later.
    props.email.to.forEach((a, i) => checkEmail(where, `email.to[${i}]`, a));
    checkEmail(where, 'email.from', props.email.from);
    checkBoolean(where, 'email.requireTls', props.email.requireTls);
    if (props.email.authUsername !== undefined) {
      checkString(where, 'email.authUsername', props.email.authUsername, 'a non-empty SMTP user name (unset for no SMTP authentication)', /\S/);
    }
  }
  if (props.heartbeatUrl !== undefined) checkHttpUrl(where, 'heartbeatUrl', props.heartbeatUrl);
  if (props.pagerdutyUrl !== undefined) checkHttpUrl(where, 'pagerdutyUrl', props.pagerdutyUrl);
  const heartbeatInterval = checkDuration(where, 'heartbeatInterval', props.heartbeatInterval ?? Duration.minutes(1));
  if (props.resolveTimeout !== undefined) checkDuration(where, 'resolveTimeout', props.resolveTimeout);
  check(
    heartbeatInterval.compare(Duration.seconds(30)) >= 0,
    where,
    'heartbeatInterval',
    heartbeatInterval.toString(),
    'a Duration of at least 30s',
  );
  const secretsDir = props.secretsDir ?? DEFAULT_SECRETS_DIR;
  const configDir = props.configDir ?? DEFAULT_CONFIG_DIR;
  checkAbsolutePath(where, 'secretsDir', secretsDir);
  checkAbsolutePath(where, 'configDir', configDir);
  const pagerduty = props.pagerduty ?? true;
  const routing: Record<Severity, readonly string[]> = {
    critical: props.routing?.critical ?? [
      RECEIVER.all,
      RECEIVER.critical,
      ...(pagerduty ? [RECEIVER.pagerduty] : []),
      ...(email ? [RECEIVER.email] : []),
    ],
    warning: props.routing?.warning ?? [RECEIVER.all, RECEIVER.warning],
    info: props.routing?.info ?? [RECEIVER.all, RECEIVER.info],
  };
  for (const sev of SEVERITIES) {
    check(routing[sev].length > 0, where, `routing.${sev}`, routing[sev], 'at least one receiver');
    check(
      new Set(routing[sev]).size === routing[sev].length,
      where,
      `routing.${sev}`,
      routing[sev],
      'each receiver once (a repeated one notifies twice)',
    );
    check(!routing[sev].includes(RECEIVER.heartbeat), where, `routing.${sev}`, routing[sev],
      `receivers that notify people, not ${RECEIVER.heartbeat}: the dead man's switch takes only the Watchdog's pings and shows nobody an alert`);
    // Two Slack receivers on one channel post every alert of the severity to it twice.
    const seen = new Map<string, string>();
    for (const receiver of routing[sev]) {
      const role = SLACK_ROLE[receiver];
      if (role === undefined) continue;
      const other = seen.get(channels[role]);
      check(other === undefined, where, `routing.${sev}`, channels[role],
        `each Slack channel once per severity: ${other} and ${receiver} both post to ${channels[role]}, so every ${sev} alert would reach it twice; ` +
        `give them different slackChannels or drop one from routing.${sev}`);
      seen.set(channels[role], receiver);
    }
  }
  // A receiver that is on but routed from no severity never notifies: the page or email that was set up never goes out.
  // (A name no receiver has is left to the route check, which lists the declared ones.)
  const routed = new Set(SEVERITIES.flatMap((sev) => routing[sev]));
  const declared = new Set<string>([...Object.keys(SLACK_ROLE), RECEIVER.heartbeat, ...(pagerduty ? [RECEIVER.pagerduty] : []), ...(email ? [RECEIVER.email] : [])]);
  const allDeclared = [...routed].every((r) => declared.has(r));
  check(!allDeclared || !pagerduty || routed.has(RECEIVER.pagerduty), where, 'pagerduty', pagerduty,
    `a receiver some severity routes to: PagerDuty is on (the default) but no routing list names ${RECEIVER.pagerduty}, so nobody would be paged; ` +
    `add it to routing.critical, or set pagerduty: false`);
  check(!allDeclared || !email || routed.has(RECEIVER.email), where, 'email.to', email?.to,
    `a receiver some severity routes to: email is set but no routing list names ${RECEIVER.email}, so no email would be sent; add it to routing.critical, or remove email`);
  return {
    channels,
    slackMode,
    slackApiUrl: props.slackApiUrl ?? SLACK_POST_MESSAGE_URL,
    timings,
    email,
    pagerduty,
    pagerdutyUrl: props.pagerdutyUrl,
    heartbeatUrl: props.heartbeatUrl,
    heartbeatInterval,
    groupBy: props.groupBy ?? DEFAULT_GROUP_BY,
    routing,
    resolveTimeout: props.resolveTimeout ?? Duration.minutes(5),
    secretsDir,
    configDir,
    timeIntervals: props.timeIntervals,
    muteTimeIntervals: props.muteTimeIntervals ?? {},
  };
}

function path(dir: string, file: string): string {
  return `${dir.replace(/\/+$/, '')}/${file}`;
}

/** The typed model of KnowTon's alertmanager.yml. Throws a ConfigError naming `where` on bad props. */
export function buildAlertmanagerModel(props: AlertmanagerConfigProps, where: string): AlertmanagerModel {
  const p = resolve(props, where);
  const slack = (name: string, role: keyof SlackChannels): Receiver => {
    const channel = p.channels[role];
    switch (p.slackMode) {
      case 'webhook-per-channel':
        return { name, notifiers: [{ kind: 'slack', channel, apiUrlFile: path(p.secretsDir, slackChannelSecretKey(role)) }] };
      case 'bot-token':
        return {
          name,
          notifiers: [{ kind: 'slack', channel, apiUrl: p.slackApiUrl, bearerTokenFile: path(p.secretsDir, SECRET_KEYS.slackBotToken) }],
        };
      case 'single-webhook':
        return { name, notifiers: [{ kind: 'slack', channel, apiUrlFile: path(p.secretsDir, SECRET_KEYS.slackWebhookUrl) }] };
    }
  };
  const receivers: Receiver[] = [
    slack(RECEIVER.all, 'all'),
    slack(RECEIVER.critical, 'critical'),
    slack(RECEIVER.warning, 'warning'),
    slack(RECEIVER.info, 'info'),
  ];
  if (p.pagerduty) {
    receivers.push({
      name: RECEIVER.pagerduty,
      notifiers: [
        { kind: 'pagerduty', routingKeyFile: path(p.secretsDir, SECRET_KEYS.pagerdutyRoutingKey), url: p.pagerdutyUrl },
      ],
    });
  }
  if (p.email) {
    receivers.push({
      name: RECEIVER.email,
      notifiers: [
        {
          kind: 'email',
          to: p.email.to,
          from: p.email.from,
          smarthost: p.email.smarthost,
          authUsername: p.email.authUsername,
          authPasswordFile: p.email.authUsername !== undefined ? path(p.secretsDir, SECRET_KEYS.smtpPassword) : undefined,
          requireTls: p.email.requireTls ?? true,
        },
      ],
    });
  }
  // Every environment has a dead man's switch: a heartbeat service that hears nothing for a while alerts on
  // its own channel, so a dead Prometheus, Alertmanager or notification path is noticed.
  receivers.push({
    name: RECEIVER.heartbeat,
    notifiers: [p.heartbeatUrl !== undefined
      ? { kind: 'webhook', url: p.heartbeatUrl, sendResolved: false }
      : { kind: 'webhook', urlFile: path(p.secretsDir, SECRET_KEYS.heartbeatUrl), sendResolved: false }],
  });

  const watchdog: Route = {
    matchers: [eq('alertname', WATCHDOG_ALERTNAME)],
    receiver: RECEIVER.heartbeat,
    groupBy: ['alertname'],
    timings: {
      groupWait: Duration.seconds(0),
      groupInterval: p.heartbeatInterval,
      // Shorter than group_interval so that every group_interval tick re-sends: with equal values
      // scheduling jitter makes Alertmanager skip every other tick and the switch could trip.
      repeatInterval: p.heartbeatInterval.times(0.8),
    },
  };
  // Each severity fans out to its receivers through children that match everything and continue,
  // so one alert reaches #knowton-alerts and its severity's destinations with that severity's timings.
  const severityRoute = (sev: Severity): Route => {
    const list = p.routing[sev];
    // On the routes that notify: Alertmanager does not pass mute_time_intervals down to child routes.
    const mute = p.muteTimeIntervals[sev]?.length ? { muteTimeIntervals: p.muteTimeIntervals[sev] } : {};
    return {
      matchers: [eq('severity', sev)],
      timings: p.timings[sev],
      ...(list.length === 1
        ? { receiver: list[0], ...mute }
        : { routes: list.map((receiver, i) => ({ receiver, continue: i < list.length - 1, ...mute })) }),
    };
  };
  return {
    resolveTimeout: p.resolveTimeout,
    templates: [path(p.configDir, '*.tmpl')],
    route: {
      // Reached only by alerts with no or an unknown severity: they still land in #knowton-alerts.
      receiver: RECEIVER.all,
      groupBy: p.groupBy,
      timings: p.timings.default,
      routes: [watchdog, ...SEVERITIES.map(severityRoute)],
    },
    receivers,
    inhibitRules: [...INHIBIT_RULES, ...SLO_INHIBIT_RULES],
    timeIntervals: p.timeIntervals,
  };
}

/** One `amtool config routes test` case: an alert's labels and the receivers it must reach, in order. */
export interface RouteTestCase {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly receivers: readonly string[];
}

/**
 * Route test cases for every severity the rules can emit, the Watchdog, and an alert without
 * severity. Throws a ConfigError if a severity is not one Alertmanager routes.
 */
export function routeTestCases(
  props: AlertmanagerConfigProps,
  severities: readonly string[] = SEVERITIES,
  where = 'alertmanager',
): RouteTestCase[] {
  const p = resolve(props, where);
  const cases: RouteTestCase[] = severities.map((sev, i) => {
    check(
      (SEVERITIES as readonly string[]).includes(sev),
      where,
      `severities[${i}]`,
      sev,
      `one of ${SEVERITIES.join(', ')}`,
    );
    return {
      name: `severity ${sev}`,
      labels: { alertname: 'RouteTest', severity: sev, service: 'backend', namespace: 'knowton-dev' },
      receivers: p.routing[sev as Severity],
    };
  });
  cases.push({
    name: 'Watchdog',
    labels: { alertname: WATCHDOG_ALERTNAME, severity: 'none' },
    receivers: [RECEIVER.heartbeat],
  });
  cases.push({
    name: 'no severity',
    labels: { alertname: 'RouteTest', service: 'backend' },
    receivers: [RECEIVER.all],
  });
  return cases;
}

/** The Secret keys Alertmanager will read with these props. */
export function requiredSecretKeys(props: AlertmanagerConfigProps): string[] {
  const mode = props.slackMode ?? 'webhook-per-channel';
  const keys: string[] = mode === 'bot-token' ? [SECRET_KEYS.slackBotToken]
    : mode === 'single-webhook' ? [SECRET_KEYS.slackWebhookUrl]
      : SLACK_CHANNEL_KEYS.map(slackChannelSecretKey);
  if (props.heartbeatUrl === undefined) keys.push(SECRET_KEYS.heartbeatUrl);
  if (props.pagerduty ?? true) keys.push(SECRET_KEYS.pagerdutyRoutingKey);
  if (props.email && props.email.to.length > 0 && props.email.authUsername !== undefined) keys.push(SECRET_KEYS.smtpPassword);
  return keys;
}

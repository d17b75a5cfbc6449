/**
 * The typed shape of an alertmanager.yml: route tree, receivers, inhibit rules. Values here are
 * plain and immutable; `renderModel` checks the whole tree and turns it into the snake_case object
 * Alertmanager reads. Only the fields this project emits are modelled, and only fields that the
 * Debian Alertmanager/amtool 0.25 understands (so the tests can load the config), which the
 * pinned image (newer) also accepts.
 */
import { Duration } from '../units';
import { check, checkDuration, checkPort, checkRegex, checkUrl } from '../validate';
import { TEMPLATE } from './templates';

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One label matcher, rendered in Alertmanager's `matchers` syntax: `severity="critical"`. */
export interface Matcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** `label="value"` */
export function eq(label: string, value: string): Matcher {
  return { label, op: '=', value };
}

/** `label=~"regex"` (anchored by Alertmanager). */
export function matchesRegex(label: string, value: string): Matcher {
  return { label, op: '=~', value };
}

/** How long Alertmanager waits before the first notification of a group, between updates, and before repeating. */
export interface RouteTimings {
  /** Wait before the first notification of a new group, so alerts firing together arrive together. */
  readonly groupWait: Duration;
  /** Wait before notifying about alerts added to a group that was already notified. */
  readonly groupInterval: Duration;
  /** Wait before re-sending a notification that has not changed. */
  readonly repeatInterval: Duration;
}

/** One node of the route tree; unset fields are inherited from the parent, as in Alertmanager. */
export interface Route {
  /** All must match for the alert to enter this route; none means every alert. */
  readonly matchers?: readonly Matcher[];
  /** The receiver notified when no child route matches. */
  readonly receiver?: string;
  /** Keep trying later siblings after this route matched. */
  readonly continue?: boolean;
  /** Labels that split alerts into notification groups. */
  readonly groupBy?: readonly string[];
  readonly timings?: Partial<RouteTimings>;
  readonly routes?: readonly Route[];
  /** Names of time intervals during which this route notifies no one (Alertmanager does not pass them to child routes). */
  readonly muteTimeIntervals?: readonly string[];
}

/**
 * The zone Node's tz database resolves a name to, or undefined if it knows none (Alertmanager loads the same
 * database and refuses an unknown zone). Node ignores case (`europe/berlin` is Europe/Berlin); Go does not.
 */
function resolveTimeZone(zone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * Whether a zone Node knows is spelt with the tz database's capitals: Go's time.LoadLocation opens the file
 * named after it (/usr/share/zoneinfo/Europe/Berlin), so on Linux `europe/berlin` is an unknown zone. Returns
 * the right spelling when Node knows it; for a link Node resolves to another name (US/Eastern to
 * America/New_York) it can only check that every part starts with a capital.
 */
function timeZoneCase(zone: string): { ok: boolean; spelling?: string } {
  const lower = zone.toLowerCase();
  const spelling = [resolveTimeZone(zone) ?? '', ...Intl.supportedValuesOf('timeZone')].find((z) => z.toLowerCase() === lower);
  return spelling !== undefined ? { ok: spelling === zone, spelling } : { ok: zone.split('/').every((part) => /^[A-Z]/.test(part)) };
}

/** `HH:MM` to `HH:MM` in the interval's location; `24:00` is the end of the day. */
export interface TimeRange {
  readonly start: string;
  readonly end: string;
}

/**
 * When a time interval holds: every field given must match (unset: any). Alertmanager's `time_intervals`
 * syntax: weekdays `monday:friday`, days of the month `1:7` or `-1` (the last), months `january:march` or
 * `1:3`, years `2026:2027`. No range wraps around (Alertmanager refuses `saturday:sunday`, `december:january`,
 * times `18:00`-`08:00`): list both parts instead, e.g. weekdays `['saturday', 'sunday']`.
 */
export interface TimeInterval {
  /** @default the whole day */
  readonly times?: readonly TimeRange[];
  /** @default every day of the week */
  readonly weekdays?: readonly string[];
  /** @default every day of the month */
  readonly daysOfMonth?: readonly string[];
  /** @default every month */
  readonly months?: readonly string[];
  /** @default every year */
  readonly years?: readonly string[];
  /** IANA time zone of `times` and the days, e.g. `Europe/Berlin`. @default 'UTC' */
  readonly location?: string;
}

export interface SlackNotifier {
  readonly kind: 'slack';
  /** `#channel`; only honoured by webhooks allowed to post to several channels. */
  readonly channel: string;
  /** File holding the incoming-webhook URL (a mounted Secret key); exactly one of apiUrlFile and apiUrl. */
  readonly apiUrlFile?: string;
  /** URL posted to: Slack's chat.postMessage for a bot token. */
  readonly apiUrl?: string;
  /** File holding a token sent as `Authorization: Bearer` (the bot token); only with apiUrl. */
  readonly bearerTokenFile?: string;
}

export interface PagerdutyNotifier {
  readonly kind: 'pagerduty';
  /** File holding the Events API v2 routing (integration) key. */
  readonly routingKeyFile: string;
  /** Events API endpoint; unset means Alertmanager's default (PagerDuty US). */
  readonly url?: string;
}

export interface EmailNotifier {
  readonly kind: 'email';
  readonly to: readonly string[];
  readonly from: string;
  /** `host:port` of the SMTP relay. */
  readonly smarthost: string;
  readonly authUsername?: string;
  /** File holding the SMTP password; only with authUsername. */
  readonly authPasswordFile?: string;
  readonly requireTls: boolean;
}

/** A webhook, to `url` or to the URL held in `urlFile` (a mounted Secret key; Alertmanager >= 0.26). */
export interface WebhookNotifier {
  readonly kind: 'webhook';
  readonly url?: string;
  readonly urlFile?: string;
  readonly sendResolved: boolean;
}

export type Notifier = SlackNotifier | PagerdutyNotifier | EmailNotifier | WebhookNotifier;

/** A named set of notifiers. No notifiers at all is a deliberate "drop it" receiver, and must say so. */
export interface Receiver {
  readonly name: string;
  readonly notifiers: readonly Notifier[];
  /** Set to allow an empty notifier list (a null receiver); guards against a receiver emptied by mistake. */
  readonly discard?: boolean;
}

/** While an alert matching `source` fires, alerts matching `target` with the same `equal` labels are muted. */
export interface InhibitRule {
  readonly source: readonly Matcher[];
  readonly target: readonly Matcher[];
  readonly equal: readonly string[];
}

export interface AlertmanagerModel {
  /** After this long without an update from Prometheus, an alert without endsAt counts as resolved. */
  readonly resolveTimeout: Duration;
  /** Glob(s) of template files. */
  readonly templates: readonly string[];
  /** The root route must name a receiver and must not have matchers (it receives everything). */
  readonly route: Route;
  readonly receivers: readonly Receiver[];
  readonly inhibitRules: readonly InhibitRule[];
  /** Named time intervals routes can be muted in. @default none */
  readonly timeIntervals?: Readonly<Record<string, readonly TimeInterval[]>>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RECEIVER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function renderMatcher(where: string, field: string, m: Matcher): string {
  check(LABEL_NAME.test(m.label), where, `${field}.label`, m.label, 'a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)');
  check(['=', '!=', '=~', '!~'].includes(m.op), where, `${field}.op`, m.op, 'one of =, !=, =~, !~');
  if (m.op === '=~' || m.op === '!~') {
    // JavaScript's syntax is close to Go's RE2 for what matchers use; amtool in the tests has the last word.
    checkRegex(where, `${field}.value`, m.value);
  }
  // JSON string escaping (\" \\ \n) is what Alertmanager's matcher parser accepts inside quotes.
  return `${m.label}${m.op}${JSON.stringify(m.value)}`;
}

function renderMatchers(where: string, field: string, ms: readonly Matcher[]): string[] {
  return ms.map((m, i) => renderMatcher(where, `${field}[${i}]`, m));
}

function renderTimings(where: string, field: string, t: Partial<RouteTimings>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['groupWait', 'groupInterval', 'repeatInterval'] as const) {
    if (t[k] !== undefined) checkDuration(where, `${field}.${k}`, t[k]);
  }
  if (t.groupWait) {
    check(!t.groupWait.isNegative(), where, `${field}.groupWait`, t.groupWait.toMillis(), 'a Duration >= 0');
    out.group_wait = t.groupWait.toPromDuration();
  }
  if (t.groupInterval) {
    check(t.groupInterval.toMillis() > 0, where, `${field}.groupInterval`, t.groupInterval.toString(), 'a Duration > 0');
    out.group_interval = t.groupInterval.toPromDuration();
  }
  if (t.repeatInterval) {
    check(t.repeatInterval.toMillis() > 0, where, `${field}.repeatInterval`, t.repeatInterval.toString(), 'a Duration > 0');
    out.repeat_interval = t.repeatInterval.toPromDuration();
  }
  return out;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAY = `(${WEEKDAYS.join('|')})`;
const MONTH = `(${MONTHS.join('|')}|[1-9]|1[0-2])`;
const DAY_OF_MONTH = '(-?([1-9]|[12][0-9]|3[01]))';
const range = (one: string) => new RegExp(`^${one}(:${one})?$`);
/** The first and last member of a range (`monday:friday`, `-1`) as Alertmanager numbers them. */
const ends = (value: string, member: (m: string) => number): [number, number] => {
  const [first, last = first] = value.split(':');
  return [member(first), member(last)];
};
/** Weekdays from sunday = 0, months from january = 1 (or their number), days and years as written. */
const weekday = (m: string) => WEEKDAYS.indexOf(m);
const month = (m: string) => (MONTHS.includes(m) ? MONTHS.indexOf(m) + 1 : Number(m));

/**
 * What Alertmanager refuses in a range it parsed, beside its syntax: a start after its end (no range wraps
 * around), and for days of the month a negative start with a positive end, or a start after the end when
 * a negative day d counts as 28 + d (the shortest month, as Alertmanager compares them: it refuses `28:-1`).
 */
function rangeProblem(key: 'weekdays' | 'daysOfMonth' | 'months' | 'years', value: string): string | undefined {
  switch (key) {
    case 'weekdays': {
      const [a, b] = ends(value, weekday);
      return a > b ? 'a range from its earlier to its later day, sunday first (split one that wraps around: friday:monday is friday:saturday and sunday:monday)' : undefined;
    }
    case 'months': {
      const [a, b] = ends(value, month);
      return a > b ? 'a range from its earlier to its later month (split one that wraps around: november:february is november:december and january:february)' : undefined;
    }
    case 'years': {
      const [a, b] = ends(value, Number);
      return a > b ? 'a range from its earlier to its later year, e.g. 2026:2027' : undefined;
    }
    case 'daysOfMonth': {
      const [a, b] = ends(value, Number);
      if (a < 0 && b > 0) return 'a range whose end is negative when its start is (counting from the end of the month), e.g. -7:-1';
      const day = (d: number) => (d < 0 ? 28 + d : d);
      return day(a) > day(b)
        ? 'a range whose start is not after its end, Alertmanager counting a negative day d as 28 + d (so it refuses 28:-1), e.g. 1:7, 20:-1 or -7:-1'
        : undefined;
    }
  }
}
const TIME = /^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/;
const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));

function renderTimeInterval(where: string, field: string, t: TimeInterval): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (t.times !== undefined) {
    check(Array.isArray(t.times) && t.times.length > 0, where, `${field}.times`, t.times, 'a non-empty list of { start, end } ranges, e.g. [{ start: \'00:00\', end: \'08:00\' }]');
    out.times = t.times.map((r, i) => {
      for (const k of ['start', 'end'] as const) check(typeof r?.[k] === 'string' && TIME.test(r[k]), where, `${field}.times[${i}].${k}`, r[k], 'a time HH:MM from 00:00 to 24:00');
      check(minutes(r.start) < minutes(r.end), where, `${field}.times[${i}]`, `${r.start}-${r.end}`, 'a start before the end (split a range over midnight in two)');
      return { start_time: r.start, end_time: r.end };
    });
  }
  const lists: Array<['weekdays' | 'daysOfMonth' | 'months' | 'years', string, RegExp, string]> = [
    ['weekdays', 'weekdays', range(WEEKDAY), 'a weekday or range of them, e.g. monday:friday'],
    ['daysOfMonth', 'days_of_month', range(DAY_OF_MONTH), 'a day of the month or range, e.g. 1:7 or -1'],
    ['months', 'months', range(MONTH), 'a month or range, e.g. january:march or 1:3'],
    ['years', 'years', range('([0-9]{4})'), 'a year or range, e.g. 2026:2027'],
  ];
  for (const [key, yamlKey, re, allowed] of lists) {
    const values = t[key] as readonly string[] | undefined;
    if (values === undefined) continue;
    check(Array.isArray(values) && values.length > 0, where, `${field}.${key}`, values, `a non-empty list, each ${allowed}`);
    values.forEach((v, i) => {
      check(typeof v === 'string' && re.test(v), where, `${field}.${key}[${i}]`, v, allowed);
      const problem = rangeProblem(key, v);
      check(problem === undefined, where, `${field}.${key}[${i}]`, v, problem!);
    });
    out[yamlKey] = [...values];
  }
  if (t.location !== undefined) {
    const loc = t.location;
    const builtIn = loc === 'Local' || loc === 'UTC';
    check(builtIn || (typeof loc === 'string' && /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)+$/.test(loc) && resolveTimeZone(loc) !== undefined),
      where, `${field}.location`, loc, 'an IANA time zone like Europe/Berlin, or UTC');
    const spelt = builtIn ? { ok: true } : timeZoneCase(loc);
    check(spelt.ok, where, `${field}.location`, loc,
      `the zone spelt with the tz database's capitals${spelt.spelling ? `, ${spelt.spelling}` : ''} (Alertmanager opens the zone's file by its name: case matters)`);
    out.location = loc;
  }
  return out;
}

function renderRoute(where: string, field: string, r: Route, declared: ReadonlySet<string>, intervals: ReadonlySet<string> = new Set()): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.matchers && r.matchers.length > 0) out.matchers = renderMatchers(where, `${field}.matchers`, r.matchers);
  if (r.receiver !== undefined) {
    check(
      declared.has(r.receiver),
      where,
      `${field}.receiver`,
      r.receiver,
      `a declared receiver: ${[...declared].join(', ')}`,
    );
    out.receiver = r.receiver;
  }
  if (r.groupBy) {
    // Alertmanager refuses `...` beside other labels, and a label named twice.
    check(!r.groupBy.includes('...') || r.groupBy.length === 1, where, `${field}.groupBy`, r.groupBy, '[\'...\'] alone (every label), or label names without ...');
    check(new Set(r.groupBy).size === r.groupBy.length, where, `${field}.groupBy`, r.groupBy, 'each label once');
    r.groupBy.forEach((l, i) =>
      check((typeof l === 'string' && LABEL_NAME.test(l)) || l === '...', where, `${field}.groupBy[${i}]`, l, 'a label name or ...'),
    );
    out.group_by = [...r.groupBy];
  }
  Object.assign(out, renderTimings(where, `${field}.timings`, r.timings ?? {}));
  if (r.continue) out.continue = true;
  if (r.muteTimeIntervals && r.muteTimeIntervals.length > 0) {
    r.muteTimeIntervals.forEach((n, i) => check(intervals.has(n), where, `${field}.muteTimeIntervals[${i}]`, n, `a declared time interval: ${[...intervals].join(', ') || 'none declared'}`));
    out.mute_time_intervals = [...r.muteTimeIntervals];
  }
  if (r.routes && r.routes.length > 0) {
    out.routes = r.routes.map((c, i) => renderRoute(where, `${field}.routes[${i}]`, c, declared, intervals));
  }
  return out;
}

const EMAIL = /^[^\s@<>,"]+@[^\s@<>,".]+(\.[^\s@<>,".]+)+$/;

/** Checks an email address; plain `local@domain.tld`, no display names (they break the comma-joined `to`). */
export function checkEmail(where: string, field: string, value: string): void {
  check(typeof value === 'string' && EMAIL.test(value), where, field, value, 'an email address like oncall@knowton.io');
}

/** Checks an absolute http(s) URL. */
export function checkHttpUrl(where: string, field: string, value: string): void {
  checkUrl(where, field, value);
}

function checkFile(where: string, field: string, value: string): void {
  check(value.startsWith('/'), where, field, value, 'an absolute file path');
}

function renderNotifier(where: string, field: string, n: Notifier): [string, Record<string, unknown>] {
  switch (n.kind) {
    case 'slack':
      check(
        typeof n.channel === 'string' && /^#[a-z0-9][a-z0-9._-]{0,79}$/.test(n.channel),
        where,
        `${field}.channel`,
        n.channel,
        'a Slack channel: # then 1-80 lowercase letters, digits, ., _ or -',
      );
      check((n.apiUrl === undefined) !== (n.apiUrlFile === undefined), where, field, n, 'exactly one of apiUrl and apiUrlFile');
      if (n.apiUrlFile !== undefined) checkFile(where, `${field}.apiUrlFile`, n.apiUrlFile);
      if (n.apiUrl !== undefined) checkHttpUrl(where, `${field}.apiUrl`, n.apiUrl);
      if (n.bearerTokenFile !== undefined) {
        // A token sent to a webhook URL would leak it to whoever holds that URL's host.
        check(n.apiUrl !== undefined, where, `${field}.bearerTokenFile`, n.bearerTokenFile, 'unset unless apiUrl is set (a bot token goes to the Web API only)');
        checkFile(where, `${field}.bearerTokenFile`, n.bearerTokenFile);
      }
      return [
        'slack_configs',
        {
          send_resolved: true,
          ...(n.apiUrlFile !== undefined ? { api_url_file: n.apiUrlFile } : { api_url: n.apiUrl }),
          ...(n.bearerTokenFile !== undefined
            ? { http_config: { authorization: { type: 'Bearer', credentials_file: n.bearerTokenFile } } }
            : {}),
          channel: n.channel,
          color: '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}',
          title: `{{ template "${TEMPLATE.title}" . }}`,
          text: `{{ template "${TEMPLATE.text}" . }}`,
        },
      ];
    case 'pagerduty': {
      checkFile(where, `${field}.routingKeyFile`, n.routingKeyFile);
      if (n.url !== undefined) checkHttpUrl(where, `${field}.url`, n.url);
      const pd: Record<string, unknown> = {
        send_resolved: true,
        routing_key_file: n.routingKeyFile,
      };
      if (n.url !== undefined) pd.url = n.url;
      Object.assign(pd, {
        description: `{{ template "${TEMPLATE.title}" . }}`,
        severity: `{{ template "${TEMPLATE.pagerdutySeverity}" . }}`,
        // The rule's labels: the part of the platform, the rule group's category, the kind of event.
        component: '{{ .CommonLabels.component }}',
        group: '{{ .CommonLabels.category }}',
        class: '{{ .CommonLabels.alertname }}',
        // Merged with Alertmanager's default details (firing, resolved, num_firing, num_resolved).
        details: {
          summary: '{{ .CommonAnnotations.summary }}',
          runbook_url: '{{ .CommonAnnotations.runbook_url }}',
          dashboard_url: `{{ template "${TEMPLATE.groupDashboardUrl}" . }}`,
          silence_url: `{{ template "${TEMPLATE.silenceUrl}" . }}`,
        },
        // Buttons on the incident; the runbook's href falls back to the alert list for an alert without one.
        links: [
          { href: `{{ or .CommonAnnotations.runbook_url (printf "%s/#/alerts" .ExternalURL) }}`, text: 'Runbook' },
          { href: `{{ template "${TEMPLATE.groupDashboardUrl}" . }}`, text: 'Dashboard' },
          { href: `{{ template "${TEMPLATE.silenceUrl}" . }}`, text: 'Silence' },
        ],
      });
      return ['pagerduty_configs', pd];
    }
    case 'email': {
      check(n.to.length > 0, where, `${field}.to`, n.to, 'at least one address');
      n.to.forEach((a, i) => checkEmail(where, `${field}.to[${i}]`, a));
      checkEmail(where, `${field}.from`, n.from);
      check(
        typeof n.smarthost === 'string' && /^[A-Za-z0-9.-]+:[0-9]{1,5}$/.test(n.smarthost),
        where,
        `${field}.smarthost`,
        n.smarthost,
        'host:port of the SMTP relay, e.g. smtp.example.com:587',
      );
      checkPort(where, `${field}.smarthost port`, Number(n.smarthost.split(':')[1]));
      const mail: Record<string, unknown> = {
        send_resolved: true,
        to: n.to.join(', '),
        from: n.from,
        smarthost: n.smarthost,
        require_tls: n.requireTls,
      };
      if (n.authUsername !== undefined) {
        check(n.authPasswordFile !== undefined, where, `${field}.authPasswordFile`, undefined, 'a file path when authUsername is set');
        checkFile(where, `${field}.authPasswordFile`, n.authPasswordFile!);
        mail.auth_username = n.authUsername;
        mail.auth_password_file = n.authPasswordFile;
      }
      Object.assign(mail, {
        headers: { Subject: `{{ template "${TEMPLATE.title}" . }}` },
        // Plain text only: the same body as Slack, instead of Alertmanager's default HTML that lacks the silence link.
        html: '',
        text: `{{ template "${TEMPLATE.text}" . }}`,
      });
      return ['email_configs', mail];
    }
    case 'webhook':
      check((n.url === undefined) !== (n.urlFile === undefined), where, field, n, 'exactly one of url and urlFile');
      if (n.urlFile !== undefined) {
        checkFile(where, `${field}.urlFile`, n.urlFile);
        return ['webhook_configs', { send_resolved: n.sendResolved, url_file: n.urlFile }];
      }
      checkHttpUrl(where, `${field}.url`, n.url!);
      return ['webhook_configs', { send_resolved: n.sendResolved, url: n.url }];
  }
}

function renderReceiver(where: string, field: string, r: Receiver): Record<string, unknown> {
  check(RECEIVER_NAME.test(r.name), where, `${field}.name`, r.name, 'lowercase letters, digits and -');
  check(
    r.notifiers.length > 0 || r.discard === true,
    where,
    `${field}.notifiers`,
    r.notifiers,
    `at least one notifier for receiver ${r.name} (set discard: true for a deliberate null receiver)`,
  );
  const out: Record<string, unknown> = { name: r.name };
  r.notifiers.forEach((n, i) => {
    const [key, obj] = renderNotifier(where, `${field}.notifiers[${i}]`, n);
    ((out[key] ??= []) as unknown[]).push(obj);
  });
  return out;
}

/** Checks the whole model (receiver references, names, matchers, durations) and renders alertmanager.yml as an object. */
export function renderModel(model: AlertmanagerModel, where: string): Record<string, unknown> {
  const names = new Set<string>();
  model.receivers.forEach((r, i) => {
    check(!names.has(r.name), where, `receivers[${i}].name`, r.name, 'a name not used by another receiver');
    names.add(r.name);
  });
  const receivers = model.receivers.map((r, i) => renderReceiver(where, `receivers[${i}]`, r));
  check(model.route.receiver !== undefined, where, 'route.receiver', undefined, 'a receiver for the root route');
  check(!model.route.matchers?.length, where, 'route.matchers', model.route.matchers, 'none: the root route receives every alert');
  check(!model.route.continue, where, 'route.continue', true, 'unset on the root route');
  check(model.resolveTimeout.toMillis() > 0, where, 'resolveTimeout', model.resolveTimeout.toString(), 'a Duration > 0');
  check(!model.route.muteTimeIntervals?.length, where, 'route.muteTimeIntervals', model.route.muteTimeIntervals, 'none on the root route (Alertmanager refuses it)');
  const timeIntervals = Object.entries(model.timeIntervals ?? {}).map(([name, list]) => {
    check(RECEIVER_NAME.test(name), where, `timeIntervals.${name}`, name, 'a name of lowercase letters, digits and -');
    check(Array.isArray(list) && list.length > 0, where, `timeIntervals.${name}`, list, 'a non-empty list of time intervals');
    return { name, time_intervals: list.map((t, i) => renderTimeInterval(where, `timeIntervals.${name}[${i}]`, t)) };
  });
  const route = renderRoute(where, 'route', model.route, names, new Set(timeIntervals.map((t) => t.name)));
  return {
    global: { resolve_timeout: model.resolveTimeout.toPromDuration() },
    templates: [...model.templates],
    route,
    ...(timeIntervals.length > 0 ? { time_intervals: timeIntervals } : {}),
    inhibit_rules: model.inhibitRules.map((ir, i) => {
      check(ir.source.length > 0, where, `inhibitRules[${i}].source`, ir.source, 'at least one matcher');
      check(ir.target.length > 0, where, `inhibitRules[${i}].target`, ir.target, 'at least one matcher');
      return {
        source_matchers: renderMatchers(where, `inhibitRules[${i}].source`, ir.source),
        target_matchers: renderMatchers(where, `inhibitRules[${i}].target`, ir.target),
        equal: [...ir.equal],
      };
    }),
    receivers,
  };
}

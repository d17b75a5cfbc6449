/**
 * What prometheus-operator makes of an AlertmanagerConfig: the alertmanager.yml it assembles from the
 * Alertmanager's base configuration (kube-prometheus-stack's default below) and each selected
 * AlertmanagerConfig, as its config builder does with the default OnNamespace matcher strategy:
 * - receivers and time intervals renamed `<namespace>/<name>/<original>` (and every reference to them);
 * - the AlertmanagerConfig's top route gets a `namespace="<namespace>"` matcher and `continue: true`, and is
 *   put before the base configuration's routes;
 * - inhibit rules get `namespace="<namespace>"` on both source and target matchers;
 * - SecretKeySelectors are replaced by the Secret's value (here a placeholder naming the key).
 * A test helper: it mirrors the operator to prove the routing, it is not the operator.
 */
type Obj = Record<string, any>;

/** kube-prometheus-stack's default `alertmanager.config` (its values.yaml), the base the operator adds to. */
export const KUBE_PROMETHEUS_STACK_BASE: Obj = {
  global: { resolve_timeout: '5m' },
  inhibit_rules: [
    { source_matchers: ['severity="critical"'], target_matchers: ['severity=~"warning|info"'], equal: ['namespace', 'alertname'] },
    { source_matchers: ['severity="warning"'], target_matchers: ['severity="info"'], equal: ['namespace', 'alertname'] },
    { source_matchers: ['alertname="InfoInhibitor"'], target_matchers: ['severity="info"'], equal: ['namespace'] },
    { target_matchers: ['alertname="InfoInhibitor"'] },
  ],
  route: {
    group_by: ['namespace'],
    group_wait: '30s',
    group_interval: '5m',
    repeat_interval: '12h',
    receiver: 'null',
    routes: [{ receiver: 'null', matchers: ['alertname="Watchdog"'] }],
  },
  receivers: [{ name: 'null' }],
  templates: ['/etc/alertmanager/config/*.tmpl'],
};

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const matcher = (m: Obj) => `${m.name}${m.matchType ?? '='}${JSON.stringify(m.value)}`;
const secretValue = (ref: Obj, kind: string) => (kind === 'url' ? `https://secret.invalid/${ref.name}/${ref.key}` : `secret-${ref.name}-${ref.key}`);
const pairs = (list: Obj[] | undefined) => Object.fromEntries((list ?? []).map((p) => [p.key, p.value]));

export function assembleOperatorConfig(spec: Obj, namespace: string, name: string, base: Obj = KUBE_PROMETHEUS_STACK_BASE): Obj {
  const prefix = (n: string) => `${namespace}/${name}/${n}`;
  const nsMatcher = `namespace=${JSON.stringify(namespace)}`;
  const route = (r: Obj): Obj => {
    const out: Obj = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === 'receiver') out.receiver = prefix(v);
      else if (k === 'matchers') out.matchers = (v as Obj[]).map(matcher);
      else if (k === 'routes') out.routes = (v as Obj[]).map(route);
      else if (k === 'muteTimeIntervals' || k === 'activeTimeIntervals') out[snake(k)] = (v as string[]).map(prefix);
      else out[snake(k)] = v;
    }
    return out;
  };
  const top = route(spec.route);
  top.matchers = [...(top.matchers ?? []), nsMatcher];
  top.continue = true;

  const receiver = (r: Obj): Obj => {
    const out: Obj = { name: prefix(r.name) };
    if (r.slackConfigs) {
      out.slack_configs = r.slackConfigs.map(({ apiURL, sendResolved, ...rest }: Obj) => ({
        send_resolved: sendResolved, api_url: secretValue(apiURL, 'url'), ...Object.fromEntries(Object.entries(rest).map(([k, v]) => [snake(k), v])),
      }));
    }
    if (r.pagerdutyConfigs) {
      out.pagerduty_configs = r.pagerdutyConfigs.map(({ routingKey, sendResolved, details, pagerDutyLinkConfigs, ...rest }: Obj) => ({
        send_resolved: sendResolved,
        routing_key: secretValue(routingKey, 'key'),
        ...rest,
        details: pairs(details),
        links: (pagerDutyLinkConfigs ?? []).map((l: Obj) => ({ href: l.href, text: l.alt })),
      }));
    }
    if (r.emailConfigs) {
      out.email_configs = r.emailConfigs.map(({ authPassword, requireTLS, sendResolved, headers, authUsername, ...rest }: Obj) => ({
        send_resolved: sendResolved,
        require_tls: requireTLS,
        ...(authUsername !== undefined ? { auth_username: authUsername, auth_password: secretValue(authPassword, 'key') } : {}),
        headers: pairs(headers),
        ...rest,
      }));
    }
    if (r.webhookConfigs) {
      out.webhook_configs = r.webhookConfigs.map(({ urlSecret, url, sendResolved }: Obj) => ({
        send_resolved: sendResolved, url: url ?? secretValue(urlSecret, 'url'),
      }));
    }
    return out;
  };

  const inhibit = (ir: Obj): Obj => ({
    source_matchers: [...(ir.sourceMatch ?? []).map(matcher), nsMatcher],
    target_matchers: [...(ir.targetMatch ?? []).map(matcher), nsMatcher],
    equal: ir.equal ?? [],
  });

  const intervals = (spec.muteTimeIntervals ?? []).map((t: Obj) => ({
    name: prefix(t.name),
    time_intervals: t.timeIntervals.map((ti: Obj) => ({
      ...(ti.times ? { times: ti.times.map((x: Obj) => ({ start_time: x.startTime, end_time: x.endTime })) } : {}),
      ...(ti.weekdays ? { weekdays: ti.weekdays } : {}),
      ...(ti.daysOfMonth ? { days_of_month: ti.daysOfMonth.map((d: Obj) => (d.start === d.end ? `${d.start}` : `${d.start}:${d.end}`)) } : {}),
      ...(ti.months ? { months: ti.months } : {}),
      ...(ti.years ? { years: ti.years } : {}),
    })),
  }));

  return {
    ...base,
    route: { ...base.route, routes: [top, ...(base.route.routes ?? [])] },
    receivers: [...base.receivers, ...(spec.receivers ?? []).map(receiver)],
    inhibit_rules: [...(base.inhibit_rules ?? []), ...(spec.inhibitRules ?? []).map(inhibit)],
    ...(intervals.length ? { time_intervals: [...(base.time_intervals ?? []), ...intervals] } : {}),
  };
}

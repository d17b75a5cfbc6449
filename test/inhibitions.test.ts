/**
 * Issue 15: inhibitions by alert name that match, checked against the rules at synth. (The real
 * Alertmanager applying them: test/alertmanager.e2e.test.ts and the database-down scenario of e2e.)
 */
import { checkInhibitions, Inhibition } from '../lib/alerting';
import { renderAlertmanagerConfig } from '../lib/alertmanager';
import { allEnvironments } from '../lib/config';
import { buildApp } from '../lib/synth';
import { ConfigError } from '../lib/validate';
import { EVERY_RULE_CONTEXT, ruleGroups } from '../rules';
import { INHIBITIONS } from '../rules/inhibitions';
import { tempDir } from './helpers';

const groups = ruleGroups();

function refusal(inhibitions: Inhibition[]): string {
  try {
    checkInhibitions(inhibitions, groups);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

test('every alert name has exactly one severity, so an inhibition by severity with equal alertname could never match', () => {
  const severities = new Map<string, Set<string>>();
  for (const env of Object.values(allEnvironments()).filter((e) => e.mode !== 'operator')) {
    for (const g of buildApp(env, tempDir()).stack.ruleGroups) {
      for (const a of g.alerts) severities.set(a.name, new Set([...(severities.get(a.name) ?? []), a.severity]));
    }
  }
  expect([...severities].filter(([, s]) => s.size !== 1)).toEqual([]);
});

test('the inhibitions on-call needs, rendered by alert name', () => {
  // lib/slo's tiers (category="slo") are asserted in test/alertmanager.test.ts.
  expect(((renderAlertmanagerConfig({}) as any).inhibit_rules as any[]).filter((r) => !r.source_matchers.includes('category="slo"'))).toEqual([
    { source_matchers: ['alertname="ServiceMissing"'], target_matchers: ['alertname=~"ServiceDown|HighErrorRate|HighResponseTime|BusinessMetricsExporterFailing"'], equal: ['service'] },
    { source_matchers: ['alertname="ServiceDown"'], target_matchers: ['alertname=~"HighErrorRate|HighResponseTime"'], equal: ['service'] },
    { source_matchers: ['alertname="PostgreSQLDown"'], target_matchers: ['alertname="HighDatabaseConnections"'], equal: ['instance'] },
    { source_matchers: ['alertname="PostgreSQLDown"'], target_matchers: ['alertname="BusinessMetricsExporterFailing"'], equal: [] },
    // only a clustered Alertmanager has these alerts; elsewhere the rule mutes nothing
    { source_matchers: ['alertname="AlertmanagerClusterDown"'], target_matchers: ['alertname="AlertmanagerMemberDown"'], equal: [] },
  ]);
});

test('they pass the check against the rules of every environment (synth runs it)', () => {
  // against every alert an environment can have (the Alertmanager cluster's only where there is one)
  expect(() => checkInhibitions(INHIBITIONS, ruleGroups(EVERY_RULE_CONTEXT))).not.toThrow();
  for (const env of Object.values(allEnvironments()).filter((e) => e.mode !== 'operator')) expect(() => buildApp(env, tempDir())).not.toThrow();
});

test.each<[string, Inhibition, RegExp]>([
  ['an unknown source', { source: 'PostgresDown', targets: ['HighDatabaseConnections'], equal: [], why: '' }, /source.*PostgresDown.*the name of an alert of rules\//],
  ['an unknown target', { source: 'ServiceDown', targets: ['HighErrorRatio'], equal: ['service'], why: '' }, /targets.*HighErrorRatio/],
  ['a label the target does not carry', { source: 'PostgreSQLDown', targets: ['HighErrorRate'], equal: ['instance'], why: '' }, /equal.*instance.*HighErrorRate has only: service/],
  ['a label the source does not carry', { source: 'PostgreSQLDown', targets: ['BusinessMetricsExporterFailing'], equal: ['service'], why: '' }, /equal.*service.*PostgreSQLDown has only:/],
  ['an alert muting itself', { source: 'ServiceDown', targets: ['ServiceDown'], equal: ['service'], why: '' }, /mute itself/],
  ['the old rule by severity, read as alert names', { source: 'Watchdog', targets: ['HighErrorRate'], equal: ['alertname', 'service'], why: '' }, /equal.*alertname/],
])('refused at synth: %s', (_what, inhibition, message) => {
  expect(refusal([inhibition])).toMatch(message);
});

/**
 * The rules and Alertmanager agree: every alert of rules/ is routed by the synthesized dev
 * alertmanager.yml (real amtool) to the receivers its severity calls for, and Watchdog to its own.
 */
import { ENVIRONMENTS } from '../lib/config';
import { routeTestCases } from '../lib/alertmanager';
import { ruleGroups } from '../rules';
import { routesTest } from './amtool-routes';
import { alertmanagerConfigDir, loadObjects, synthTo } from './helpers';

const alerts = ruleGroups().flatMap((g) => g.alerts);
const severities = [...new Set(alerts.map((a) => a.severity))].sort();
const file = alertmanagerConfigDir(loadObjects(synthTo()));
const expected = Object.fromEntries(routeTestCases(ENVIRONMENTS.dev.alertmanager ?? {}, severities).map((c) => [c.name, c]));

test('the rules use only severities Alertmanager routes', () => {
  expect(severities.every((s) => ['critical', 'warning', 'info'].includes(s))).toBe(true);
  expect(alerts.length).toBeGreaterThan(15);
});

test.each(alerts.map((a) => [a.name, a.severity] as const))('%s (%s) reaches the right receivers', (name, severity) => {
  const c = name === 'Watchdog'
    ? Object.values(expected).find((x) => x.labels.alertname === 'Watchdog')!
    : Object.values(expected).find((x) => x.labels.severity === severity && x.labels.alertname !== 'Watchdog')!;
  expect(c).toBeDefined();
  const r = routesTest(file, { alertname: name, severity, service: 'backend' }, [`--verify.receivers=${c.receivers.join(',')}`]);
  expect({ code: r.code, output: r.output.split('\n')[0] }).toEqual({ code: 0, output: c.receivers.join(',') });
});

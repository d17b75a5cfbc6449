// The four dashboards of the spec, by the file name Grafana provisions them from.
import type { RuleGroup } from '../lib/alerting';
import { ruleGroups } from '../rules';
import { businessMetricsDashboard } from './business-metrics-dashboard';
import { businessDashboard } from './knowton-business-dashboard';
import { technicalDashboard } from './knowton-technical-dashboard';
import { serviceHealthDashboard } from './service-health-dashboard';

/** The dashboards, drawing the threshold lines of `groups` (an environment's rules, overrides applied). */
export function dashboards(groups: readonly RuleGroup[] = ruleGroups()): Record<string, object> {
  return {
    'service-health-dashboard.json': serviceHealthDashboard(groups),
    'business-metrics-dashboard.json': businessMetricsDashboard(groups),
    'knowton-technical-dashboard.json': technicalDashboard(groups),
    'knowton-business-dashboard.json': businessDashboard(groups),
  };
}

// The alert rules of the KnowTon platform, one group per file.
import { RuleGroup } from '../lib/alerting';
import { business } from './business';
import { DEFAULT_RULE_CONTEXT, RuleContext } from './context';
import { database } from './database';
import { monitorRules } from './monitors';
import { resourceRules } from './resources';
import { serviceHealthRules } from './service-health';

export { business, database };
export { monitorRules } from './monitors';
export { resources } from './resources';
export { serviceHealth } from './service-health';
export { DEFAULT_RULE_CONTEXT, EVERY_RULE_CONTEXT, STANDALONE_JOBS } from './context';
export type { MonitoringJobs, RuleContext } from './context';

/** The rule groups of an environment. @default dev's services and namespace */
export function ruleGroups(ctx: RuleContext = DEFAULT_RULE_CONTEXT): RuleGroup[] {
  return [serviceHealthRules(ctx), resourceRules(ctx), database, business, monitorRules(ctx)];
}

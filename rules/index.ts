// The alert rules of the KnowTon platform, one group per file.
import { RuleGroup } from '../lib/alerting';
import { business } from './business';
import { database } from './database';
import { monitors } from './monitors';
import { resources } from './resources';
import { serviceHealth } from './service-health';

export { business, database, monitors, resources, serviceHealth };

export function ruleGroups(): RuleGroup[] {
  return [serviceHealth, resources, database, business, monitors];
}

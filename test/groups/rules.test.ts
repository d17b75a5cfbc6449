/** The alert rules, their generated and hand-written promtool tests, and the monitors of the monitors: the files of test/groups/groups.json's "rules", in one module registry (jest.config.js says why). */
import { runGroup } from './run-group';

runGroup(__filename);

/** Alertmanager's configuration, its routes proven with amtool, and the cluster's traffic model: the files of test/groups/groups.json's "routing", in one module registry (jest.config.js says why). */
import { runGroup } from './run-group';

runGroup(__filename);

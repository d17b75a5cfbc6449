/** The synthesized objects of every environment: schemas, security, namespaces, Ingress, dashboards: the files of test/groups/groups.json's "manifests", in one module registry (jest.config.js says why). */
import { runGroup } from './run-group';

runGroup(__filename);

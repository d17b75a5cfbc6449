/** The commands and their safety: synth, bad input, the review diff, CI, docs, the instrumentation package: the files of test/groups/groups.json's "tooling", in one module registry (jest.config.js says why). */
import { runGroup } from './run-group';

runGroup(__filename);

/**
 * `npm run synth`: synthesizes every environment profile of lib/config.ts: the default (dev) into
 * dist/, each other one into dist/<name>/, and the runbooks into docs/runbooks/ (KNOWTON_OUTDIR and
 * KNOWTON_RUNBOOKS_DIR choose other folders). Any failure prints one line, then one saying truthfully
 * what was left on disk; KNOWTON_DEBUG=1 adds the stack trace.
 */
import { failureLines, folderLabel } from './lib/failure';

// Synth takes no arguments: `npm run synth -- --outdir out` or `npm run synth prod` must not write dist/
// while the user believes it wrote elsewhere or one environment.
const args = process.argv.slice(2);
if (args.length > 0) {
  console.error(`synth: no arguments are taken, but it was given ${args.map((a) => JSON.stringify(a)).join(' ')}; nothing was written.`);
  console.error('Usage: npm run synth (every environment into dist/, runbooks into docs/runbooks/); other folders: KNOWTON_OUTDIR=<folder> KNOWTON_RUNBOOKS_DIR=<folder> npm run synth');
  process.exit(2);
}

// CDK8S_OUTDIR: what the cdk8s CLI (`cdk8s synth`, through cdk8s.yaml) passes.
const outdir = process.env.KNOWTON_OUTDIR ?? process.env.CDK8S_OUTDIR ?? 'dist';
const runbooksDir = process.env.KNOWTON_RUNBOOKS_DIR ?? 'docs/runbooks';

try {
  // The folders first: a wrong one is refused before the stack is loaded (synthAll checks them again).
  const { outputFolders }: typeof import('./lib/synth-folders') = require('./lib/synth-folders');
  outputFolders(outdir, runbooksDir);
  // Loaded here, not imported, so that an error thrown while loading the stack, the rules or the
  // profiles is reported like any other.
  const { DEFAULT_ENVIRONMENT, allEnvironments }: typeof import('./lib/config') = require('./lib/config');
  const { summarize, synthAll }: typeof import('./lib/synth') = require('./lib/synth');
  // KNOWTON_TEST_ENVIRONMENTS=<name>[,<name>...]: only those profiles, for the tests that kill synth in the
  // middle of its swap (test/synth-safety.test.ts), which need a swap, not every environment rendered. Only
  // with KNOWTON_TEST_KILL_AT, which kills the synth anyway: a variable left in a shell never makes a real
  // synth replace dist/ with fewer environments.
  const only = process.env.KNOWTON_TEST_KILL_AT ? process.env.KNOWTON_TEST_ENVIRONMENTS?.split(',') : undefined;
  const all = allEnvironments();
  for (const name of only ?? []) {
    if (!(name in all)) throw new Error(`KNOWTON_TEST_ENVIRONMENTS: no profile ${JSON.stringify(name)} (profiles: ${Object.keys(all).join(', ')})`);
  }
  const environments = Object.fromEntries(Object.entries(all).filter(([name]) => only === undefined || only.includes(name)));
  const result = synthAll({ environments, outdir, runbooksDir });
  for (const [name, env] of Object.entries(result.environments)) {
    console.log(summarize(name, env, name === DEFAULT_ENVIRONMENT ? `${outdir}/` : `${outdir}/${name}/`));
  }
  // Runbooks are the same for every environment; the rules' runbook_url points at them.
  console.log(`runbooks -> ${runbooksDir}/: ${result.runbooks.length} pages`);
} catch (err) {
  const untouched = `${folderLabel('KNOWTON_OUTDIR', outdir)} and ${folderLabel('KNOWTON_RUNBOOKS_DIR', runbooksDir)} were left as they were.`;
  for (const line of failureLines(err, untouched, process.env.KNOWTON_DEBUG === '1')) console.error(line);
  process.exit(1);
}

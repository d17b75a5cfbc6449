/**
 * `npm run synth`: synthesizes every environment profile of lib/config.ts: the default (dev) into
 * dist/, each other one into dist/<name>/. Bad input fails with one line naming the construct, the
 * field, the value and what is allowed; dist/ is then left exactly as it was.
 */
import { DEFAULT_ENVIRONMENT, allEnvironments } from './lib/config';
import { summarize, synthesizeEnvironments, writeRunbooks } from './lib/synth';

// CDK8S_OUTDIR: what the cdk8s CLI (`cdk8s synth`, through cdk8s.yaml) passes.
const outdir = process.env.KNOWTON_OUTDIR ?? process.env.CDK8S_OUTDIR ?? 'dist';
try {
  const results = synthesizeEnvironments(allEnvironments(), outdir);
  for (const [name, result] of Object.entries(results)) {
    console.log(summarize(name, result, name === DEFAULT_ENVIRONMENT ? `${outdir}/` : `${outdir}/${name}/`));
  }
  // Runbooks are the same for every environment; the rules' runbook_url points at them.
  const runbooksDir = process.env.KNOWTON_RUNBOOKS_DIR ?? 'docs/runbooks';
  console.log(`runbooks -> ${runbooksDir}/: ${writeRunbooks(runbooksDir).length} pages`);
} catch (err) {
  console.error(`synth failed: ${err instanceof Error ? err.message : String(err)}`);
  console.error(`${outdir}/ was left as it was.`);
  process.exit(1);
}

/**
 * `npm run synth [-- <environment>]`: synthesizes the chosen environment (default: dev) into dist/.
 * Bad input fails with one line naming the construct, the field, the value and what is allowed;
 * dist/ is then left exactly as it was.
 */
import { DEFAULT_ENVIRONMENT, environmentConfig } from './lib/config';
import { summarize, synthesize } from './lib/synth';

const environment = process.argv[2] ?? process.env.KNOWTON_ENV ?? DEFAULT_ENVIRONMENT;
const outdir = process.env.KNOWTON_OUTDIR ?? 'dist';
try {
  const result = synthesize(environmentConfig(environment), outdir);
  console.log(`knowton-monitoring: environment ${environment}`);
  console.log(summarize(result, outdir));
} catch (err) {
  console.error(`synth failed: ${err instanceof Error ? err.message : String(err)}`);
  console.error(`${outdir}/ was left as it was.`);
  process.exit(1);
}

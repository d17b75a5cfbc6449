/**
 * `npm run notify -- <AlertName> [--env <environment>]`: prints what each receiver of the alert would send
 * (Slack title and text, PagerDuty summary, details and links, email subject and body), rendered by amtool
 * from the synthesized alertmanager.yml and templates (lib/notify.ts).
 */
import { formatPreview, previewNotifications } from '../lib/notify';

const args = process.argv.slice(2);
const envAt = args.indexOf('--env');
const env = envAt >= 0 ? args[envAt + 1] : 'dev';
const rest = args.filter((_a, i) => envAt < 0 || (i !== envAt && i !== envAt + 1));
if (rest.length !== 1 || rest[0].startsWith('-') || env === undefined) {
  console.error('usage: npm run notify -- <AlertName> [--env dev|staging|prod]');
  process.exit(2);
}
try {
  process.stdout.write(formatPreview(previewNotifications(rest[0], env)));
} catch (err) {
  console.error(`npm run notify failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

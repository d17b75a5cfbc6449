/**
 * `npm run diff [-- <git-ref>]`: what the working tree's dist/ changes against dist/ at <git-ref>
 * (default: the merge base with main, or HEAD when there is no main), as a Markdown review summary
 * per environment: objects, images, alert rules, Alertmanager routes and receivers, dashboard panels,
 * RBAC and NetworkPolicies. Run `npm run synth` first so dist/ is current.
 */
import { defaultBase, reviewWorkingTree } from '../lib/review';

// npm runs scripts in the package's folder; the test runs this in a repository of its own.
const root = process.cwd();
const args = process.argv.slice(2);
if (args.length > 1 || args[0]?.startsWith('-')) {
  console.error('usage: npm run diff [-- <git-ref>]');
  process.exit(2);
}
try {
  const base = args[0] ?? defaultBase(root);
  process.stdout.write(reviewWorkingTree(root, base, args[0] ?? (base === 'HEAD' ? 'HEAD' : 'the merge base with main')));
} catch (err) {
  console.error(`npm run diff failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

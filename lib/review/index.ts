/**
 * `npm run diff`: a review summary of what a change does to dist/, per environment, comparing dist/
 * at a git revision with the working tree's.
 */
import { DEFAULT_ENVIRONMENT, allEnvironments } from '../config';
import { reviewEnvironment } from './compare';
import { renderReview, Review } from './markdown';
import { byEnvironment, describeRevision, distAtRevision, distInWorkingTree, DistFiles } from './tree';

export { reviewEnvironment, isEmpty } from './compare';
export type { EnvironmentReview } from './compare';
export { renderReview } from './markdown';
export type { Review } from './markdown';
export { byEnvironment, defaultBase, distAtRevision, distInWorkingTree } from './tree';

/** Compares two versions of dist/, environment by environment (the default one first). */
export function reviewDist(before: DistFiles, after: DistFiles, base: string, head: string): Review {
  const [a, b] = [byEnvironment(before, DEFAULT_ENVIRONMENT), byEnvironment(after, DEFAULT_ENVIRONMENT)];
  // synth's order (the default first), then any environment the profiles no longer have.
  const known = Object.keys(allEnvironments());
  const rank = (n: string) => (known.includes(n) ? known.indexOf(n) : known.length);
  const names = [...new Set([...b.keys(), ...a.keys()])].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y));
  const empty = { manifests: new Map(), dashboards: new Map() };
  return {
    base,
    head,
    environments: names.map((name) => ({
      name,
      dir: name === DEFAULT_ENVIRONMENT ? 'dist/' : `dist/${name}/`,
      review: reviewEnvironment(a.get(name) ?? empty, b.get(name) ?? empty),
    })),
  };
}

/** The Markdown summary of dist/ at `rev` against the working tree of the repository at `root`. */
export function reviewWorkingTree(root: string, rev: string, label = rev): string {
  const base = `${label} (${describeRevision(root, rev)})`;
  return renderReview(reviewDist(distAtRevision(root, rev), distInWorkingTree(root), base, 'working tree'));
}

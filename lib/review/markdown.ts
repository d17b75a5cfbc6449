/** The review as Markdown, for a pull request comment or a terminal. */
import { EnvironmentReview, isEmpty } from './compare';

export interface Review {
  /** What was compared, e.g. `a1b2c3d` and `the working tree`. */
  readonly base: string;
  readonly head: string;
  /** Per environment, in dist/'s order, with the directory it lives in. */
  readonly environments: ReadonlyArray<{ readonly name: string; readonly dir: string; readonly review: EnvironmentReview }>;
}

function section(title: string, lines: string[]): string[] {
  return lines.length ? [`**${title}**`, '', ...lines.map((l) => `- ${l}`), ''] : [];
}

/** Changed objects grouped by what changed in them, so a label added everywhere is one line. */
function changedObjects(changed: EnvironmentReview['objects']['changed']): string[] {
  const groups = new Map<string, string[]>();
  for (const { id, paths } of changed) groups.set(paths.join(', '), [...(groups.get(paths.join(', ')) ?? []), id]);
  return [...groups].map(([paths, ids]) => `changed ${paths}: ${ids.join(', ')}`);
}

export function renderReview(review: Review): string {
  const out = [`## dist/ changes: ${review.base} → ${review.head}`, ''];
  for (const { name, dir, review: r } of review.environments) {
    if (isEmpty(r)) {
      out.push(`### ${name} (\`${dir}\`): no changes`, '');
      continue;
    }
    const { added, removed, changed } = r.objects;
    out.push(`### ${name} (\`${dir}\`)`, '', `Objects: ${added.length} added, ${removed.length} removed, ${changed.length} changed.`, '');
    out.push(
      ...section('⚠️ RBAC', r.rbac),
      ...section('⚠️ NetworkPolicy', r.networkPolicies),
      ...section('Images', r.images),
      ...section('Alert rules', r.alerts),
      ...section('Alertmanager routes and receivers', r.alertmanager),
      ...section('Dashboards', r.dashboards),
      ...section('Objects', [...added.map((o) => `added ${o}`), ...removed.map((o) => `removed ${o}`), ...changedObjects(changed)]),
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * What makes `kubectl apply --prune` safe for the stack: every object carries the same two labels,
 * so a label selector picks exactly one environment's objects, and the prune allowlist names the
 * kinds the stack emits, except Namespace (see pruneAllowlist).
 */

/** The label every object of the stack carries (also one of the recommended labels of each component). */
export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const PART_OF = 'knowton-monitoring';
/** The environment an object belongs to, so pruning one environment never touches another. */
export const ENVIRONMENT_LABEL = 'knowton.io/environment';

/** The labels every object of an environment carries (on its metadata; pod templates are left alone). */
export function pruneLabels(environment: string): Record<string, string> {
  return { [PART_OF_LABEL]: PART_OF, [ENVIRONMENT_LABEL]: environment };
}

/** The selector for `kubectl apply --prune -l`. */
export function pruneSelector(environment: string): string {
  return Object.entries(pruneLabels(environment)).map(([k, v]) => `${k}=${v}`).join(',');
}

/**
 * `--prune-allowlist` entries (`group/version/Kind`, `core` for the core group) for the kinds among
 * `objects`, sorted. Namespace is left out on purpose: pruning one deletes everything in it,
 * including the Secrets created by hand, so a namespace the stack no longer declares is deleted by
 * hand, never by a prune.
 */
export function pruneAllowlist(objects: ReadonlyArray<{ apiVersion: string; kind: string }>): string[] {
  const gvks = objects
    .filter((o) => o.kind !== 'Namespace')
    .map((o) => `${o.apiVersion.includes('/') ? o.apiVersion : `core/${o.apiVersion}`}/${o.kind}`);
  return [...new Set(gvks)].sort();
}

/** The whole command that applies `dir` and deletes what a change removed from it. */
export function pruneCommand(dir: string, environment: string, objects: ReadonlyArray<{ apiVersion: string; kind: string }>): string {
  return [
    `kubectl apply -f ${dir} --prune -l ${pruneSelector(environment)}`,
    ...pruneAllowlist(objects).map((gvk) => `  --prune-allowlist=${gvk}`),
  ].join(' \\\n');
}

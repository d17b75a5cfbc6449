// What the rules of an environment depend on: the services it runs and the namespaces it watches.
import { INSTRUMENTED_SERVICES } from '../lib/catalog';

export interface RuleContext {
  /** Services (the pods' `app` label) that must each have a healthy target. */
  readonly expectedServices: readonly string[];
  /** Namespaces whose pods the Kubernetes alerts look at; others (kube-system) never page. */
  readonly watchedNamespaces: readonly string[];
}

/** dev's: the instrumented services in knowton-dev. Also what the runbooks quote. */
export const DEFAULT_RULE_CONTEXT: RuleContext = { expectedServices: INSTRUMENTED_SERVICES, watchedNamespaces: ['knowton-dev'] };

/** A matcher for the watched namespaces: names are DNS labels, so no character needs escaping. */
export function namespaceMatcher(ctx: RuleContext): RegExp {
  return new RegExp([...ctx.watchedNamespaces].join('|'));
}

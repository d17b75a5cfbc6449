// What the rules of an environment depend on: the services it runs and the namespaces it watches.
import { INSTRUMENTED_SERVICES } from '../lib/catalog';

export interface RuleContext {
  /** Services (the pods' `app` label) that must each have a healthy target. */
  readonly expectedServices: readonly string[];
  /** Namespaces whose pods the Kubernetes alerts look at; others (kube-system) never page. */
  readonly watchedNamespaces: readonly string[];
  /** Whether Prometheus remote-writes (`prometheus.remoteWrite`): only then are its queues watched. @default false */
  readonly remoteWrite?: boolean;
  /** Alertmanager replicas; above 1 they form a gossip cluster whose health is watched. @default 1 */
  readonly alertmanagerReplicas?: number;
}

/** dev's: the instrumented services in knowton-dev, one Alertmanager, no remote write. */
export const DEFAULT_RULE_CONTEXT: RuleContext = { expectedServices: INSTRUMENTED_SERVICES, watchedNamespaces: ['knowton-dev'] };

/** dev's, with every optional alert on (remote write, a cluster of three Alertmanagers): what the runbooks and rule tests cover. */
export const EVERY_RULE_CONTEXT: RuleContext = { ...DEFAULT_RULE_CONTEXT, remoteWrite: true, alertmanagerReplicas: 3 };

/** A matcher for the watched namespaces: names are DNS labels, so no character needs escaping. */
export function namespaceMatcher(ctx: RuleContext): RegExp {
  return new RegExp([...ctx.watchedNamespaces].join('|'));
}

// What the rules of an environment depend on: the services it runs and the namespaces it watches.
import { INSTRUMENTED_SERVICES } from '../lib/catalog';

export interface RuleContext {
  /** Services (the pods' `app` label) that must each have a healthy target. */
  readonly expectedServices: readonly string[];
  /** Namespaces whose pods the Kubernetes alerts look at; others (kube-system) never page. */
  readonly watchedNamespaces: readonly string[];
  /**
   * The job names of the stack's own targets, which the monitoring alerts filter on: the standalone stack's
   * scrape jobs, or those of an existing prometheus-operator stack (kube-prometheus-stack's differ).
   * @default STANDALONE_JOBS
   */
  readonly jobs?: MonitoringJobs;
  /** Whether Prometheus remote-writes (`prometheus.remoteWrite`): only then are its queues watched. @default false */
  readonly remoteWrite?: boolean;
  /** Alertmanager replicas; above 1 they form a gossip cluster whose health is watched. @default 1 */
  readonly alertmanagerReplicas?: number;
  /**
   * Every alert any environment can have, also those that exclude each other (a single Alertmanager's
   * AlertmanagerDown beside a cluster's AlertmanagerMemberDown): for the runbooks and the rule tests, never
   * for an environment's rules. @default false
   */
  readonly everyVariant?: boolean;
}

/** The `job` label of each target the monitoring alerts watch. */
export interface MonitoringJobs {
  readonly prometheus: string;
  readonly alertmanager: string;
  readonly kubeStateMetrics: string;
  readonly nodeExporter: string;
  /** The job whose series carry cAdvisor's container metrics. */
  readonly cadvisor: string;
  /** The job of the kubelets' own metrics (volume stats). */
  readonly kubelet: string;
  readonly postgresExporter: string;
}

/** The standalone stack's scrape jobs (lib/components/prometheus-config.ts and the exporters' constructs). */
export const STANDALONE_JOBS: MonitoringJobs = {
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  kubeStateMetrics: 'kube-state-metrics',
  nodeExporter: 'node-exporter',
  cadvisor: 'kubelet-cadvisor',
  kubelet: 'kubelet',
  postgresExporter: 'postgres-exporter',
};

/** The context's jobs, the standalone stack's unless it names others. */
export function jobsOf(ctx: RuleContext): MonitoringJobs {
  return ctx.jobs ?? STANDALONE_JOBS;
}

/** dev's: the instrumented services in knowton-dev, one Alertmanager, no remote write. */
export const DEFAULT_RULE_CONTEXT: RuleContext = { expectedServices: INSTRUMENTED_SERVICES, watchedNamespaces: ['knowton-dev'] };

/** dev's, with every optional alert on (remote write, a cluster of three Alertmanagers, and the single one's): what the runbooks and rule tests cover. */
export const EVERY_RULE_CONTEXT: RuleContext = { ...DEFAULT_RULE_CONTEXT, remoteWrite: true, alertmanagerReplicas: 3, everyVariant: true };

/** A matcher for the watched namespaces: names are DNS labels, so no character needs escaping. */
export function namespaceMatcher(ctx: RuleContext): RegExp {
  return new RegExp([...ctx.watchedNamespaces].join('|'));
}

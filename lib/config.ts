/**
 * StackConfig: everything a platform engineer may set, each field with its default, and the
 * environment profiles `npm run synth` chooses from. Component defaults live next to their
 * constructs (PROMETHEUS_DEFAULTS, ...); this file only says which ones an environment changes.
 */
import type { KubeStateMetricsProps } from './components/kube-state-metrics';
import type { NodeExporterProps } from './components/node-exporter';
import type { PostgresExporterProps } from './components/postgres-exporter';
import type { PrometheusProps } from './components/prometheus';

type Settings<P> = Omit<P, 'namespace'>;

export interface StackConfig {
  /** Environment name, stamped on every series as the `environment` external label. @default 'dev' */
  readonly environment?: string;
  /** Namespace of every object of the stack. @default 'knowton-dev' */
  readonly namespace?: string;
  /** Further namespaces whose annotated application pods are scraped. @default [] (only `namespace`) */
  readonly watchedNamespaces?: readonly string[];
  /** Prometheus settings; see PrometheusProps for each default. @default {} */
  readonly prometheus?: Omit<Settings<PrometheusProps>, 'watchedNamespaces' | 'ruleFiles' | 'serviceTargets' | 'alertmanagers'>;
  /** kube-state-metrics settings. @default {} */
  readonly kubeStateMetrics?: Settings<KubeStateMetricsProps>;
  /** node-exporter settings. @default {} */
  readonly nodeExporter?: Settings<NodeExporterProps>;
  /** postgres-exporter settings. @default {} */
  readonly postgresExporter?: Settings<PostgresExporterProps>;
}

/** The environment profiles. `dev` is the spec's `k8s/dev` and what `npm run synth` writes to dist/. */
export const ENVIRONMENTS: Readonly<Record<string, StackConfig>> = {
  dev: { environment: 'dev', namespace: 'knowton-dev' },
};

export const DEFAULT_ENVIRONMENT = 'dev';

/** The profile for `name`, or an error listing the ones that exist. */
export function environmentConfig(name: string): StackConfig {
  const config = ENVIRONMENTS[name];
  if (!config) {
    throw new Error(`unknown environment ${JSON.stringify(name)}: one of ${Object.keys(ENVIRONMENTS).join(', ')}`);
  }
  return config;
}

/**
 * The rule files of the standalone stack as PrometheusRule objects, one per file: the groups are the very
 * objects `renderRuleFile`/`renderSloRuleFile` produce, so the promtool tests of rules/ cover both.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { MONITORING_API } from './monitors';
import { SelectorLabels } from './settings';

export interface KnowtonPrometheusRulesProps {
  readonly namespace: string;
  /** Rule files by file name (`service-health.rules.yml`), each `{ groups }` as Prometheus reads it. */
  readonly ruleFiles: Readonly<Record<string, { groups: object[] }>>;
  /** Labels the operator's `ruleSelector` matches. */
  readonly labels: SelectorLabels;
}

/** `service-health.rules.yml` -> `knowton-service-health`. */
export function prometheusRuleName(file: string): string {
  return `knowton-${file.replace(/\.rules\.ya?ml$/, '')}`;
}

export class KnowtonPrometheusRules extends Construct {
  constructor(scope: Construct, id: string, props: KnowtonPrometheusRulesProps) {
    super(scope, id);
    for (const [file, content] of Object.entries(props.ruleFiles)) {
      new ApiObject(this, file, {
        apiVersion: MONITORING_API,
        kind: 'PrometheusRule',
        metadata: { name: prometheusRuleName(file), namespace: props.namespace, labels: { ...props.labels } },
        spec: { groups: content.groups },
      });
    }
  }
}

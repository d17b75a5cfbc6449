import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { check, checkOwnNamespace } from '../validate';

/** Pod Security Standard levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

/**
 * Who owns the namespace's pods. `shared-with-apps`: the KnowTon applications run there too (the spec's
 * `knowton-dev`), so the stack must not decide what their pods may be. `dedicated`: only the stack runs there.
 */
export type NamespaceMode = 'shared-with-apps' | 'dedicated';

export interface MonitoringNamespaceProps {
  /** Name of the namespace. @default 'knowton-dev' */
  readonly name?: string;
  /** Whether the applications share the namespace. @default 'shared-with-apps' */
  readonly mode?: NamespaceMode;
  /**
   * Pod Security level enforced by admission. In a shared namespace only what the applications are known to
   * meet (`baseline` or `privileged`); `restricted` needs a dedicated namespace.
   * @default 'restricted' when dedicated, none (warn and audit only) when shared
   */
  readonly enforce?: PodSecurityLevel;
  /** Further labels of the stack's own objects (the prune labels), put only on a dedicated namespace. @default {} */
  readonly ownLabels?: Readonly<Record<string, string>>;
}

const ORDER: PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

/**
 * A namespace of the stack, labelled for Pod Security admission. The stack synthesizes its namespaces
 * into the file that sorts first, so one `kubectl apply -f dist` works.
 *
 * A namespace shared with the applications gets `warn` and `audit` at `restricted` (a `kubectl apply` of a
 * non-compliant app pod prints a warning, the audit log records it) but no `enforce` label unless one is
 * set explicitly, and not the stack's `part-of` label, so that removing the stack by that label never
 * deletes the applications' namespace.
 */
export class MonitoringNamespace extends Construct {
  readonly name: string;
  readonly mode: NamespaceMode;
  /** The enforced level, or undefined when nothing is enforced. */
  readonly enforce?: PodSecurityLevel;

  constructor(scope: Construct, id: string, props: MonitoringNamespaceProps = {}) {
    super(scope, id);
    const where = this.node.path;
    this.name = props.name ?? 'knowton-dev';
    this.mode = props.mode ?? 'shared-with-apps';
    checkOwnNamespace(where, 'name', this.name);
    check(['shared-with-apps', 'dedicated'].includes(this.mode), where, 'mode', this.mode, "'shared-with-apps' or 'dedicated'");
    const shared = this.mode === 'shared-with-apps';
    this.enforce = props.enforce ?? (shared ? undefined : 'restricted');
    if (this.enforce !== undefined) check(ORDER.includes(this.enforce), where, 'enforce', this.enforce, 'restricted, baseline or privileged');
    check(!shared || this.enforce !== 'restricted', where, 'enforce', this.enforce,
      `baseline, privileged or none in ${this.name}, which is shared with the applications (namespaceMode 'shared-with-apps'): ` +
      "enforcing restricted would refuse the next rollout of any application pod that does not meet it; " +
      "use namespaceMode 'dedicated' for a namespace of the stack's own");
    // warn/audit never refuse a pod, so they report against restricted, except where privileged pods are the point.
    const report: PodSecurityLevel = !shared && this.enforce === 'privileged' ? 'privileged' : 'restricted';
    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: this.name,
        labels: {
          ...(shared ? {} : { 'app.kubernetes.io/part-of': 'knowton-monitoring', ...props.ownLabels }),
          ...(this.enforce ? { 'pod-security.kubernetes.io/enforce': this.enforce } : {}),
          'pod-security.kubernetes.io/audit': report,
          'pod-security.kubernetes.io/warn': report,
        },
      },
    });
  }
}

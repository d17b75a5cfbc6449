import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { check, checkImage, checkKeys, checkString, checkStringList, KUBERNETES_LABEL_KEY, keysOf } from '../validate';
import {
  componentIdentity,
  containerPort,
  httpProbe,
  resources,
  ResourceSpec,
  restrictedContainerSecurity,
  restrictedPodSecurity,
} from './common';
import { ServiceScrapeTarget } from './prometheus-config';

/** Kubernetes resources kube-state-metrics can export, with the API group RBAC needs for each. */
const RESOURCE_GROUPS: Record<string, string> = {
  pods: '',
  nodes: '',
  persistentvolumeclaims: '',
  deployments: 'apps',
  statefulsets: 'apps',
  daemonsets: 'apps',
  replicasets: 'apps',
  jobs: 'batch',
  cronjobs: 'batch',
};

export interface KubeStateMetricsProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** kube-state-metrics image. @default 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.16.0' */
  readonly image?: string;
  /** Resources to export; RBAC grants list/watch on exactly these. @default pods, nodes, deployments, statefulsets, daemonsets, persistentvolumeclaims */
  readonly resources?: readonly string[];
  /** Pod and Deployment labels copied onto kube_pod_labels and kube_deployment_labels, so alerts can join pods and Deployments to services. @default ['app'] */
  readonly podLabels?: readonly string[];
  /** CPU and memory of the container. @default 50m/200m CPU, 128Mi/256Mi memory */
  readonly containerResources?: ResourceSpec;
}

export const KUBE_STATE_METRICS_KEYS = keysOf<KubeStateMetricsProps>()(['namespace', 'image', 'resources', 'podLabels', 'containerResources']);

export const KUBE_STATE_METRICS_DEFAULTS = {
  image: 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.16.0',
  resources: ['pods', 'nodes', 'deployments', 'statefulsets', 'daemonsets', 'persistentvolumeclaims'],
  podLabels: ['app'],
  containerResources: { cpuRequest: '50m', cpuLimit: '200m', memoryRequest: '128Mi', memoryLimit: '256Mi' } as ResourceSpec,
};

/** kube-state-metrics: pod restarts and container resource limits for the resource alerts. */
export class KubeStateMetrics extends Construct {
  /** The port of the metrics Prometheus scrapes. */
  static readonly PORT = 8080;
  readonly scrapeTarget: ServiceScrapeTarget;

  constructor(scope: Construct, id: string, props: KubeStateMetricsProps) {
    super(scope, id);
    const where = this.node.path;
    const ns = props.namespace;
    const image = props.image ?? KUBE_STATE_METRICS_DEFAULTS.image;
    check(props.resources === undefined || Array.isArray(props.resources), where, 'resources', props.resources,
      `a list of resources among ${Object.keys(RESOURCE_GROUPS).join(', ')}`);
    const exported = [...(props.resources ?? KUBE_STATE_METRICS_DEFAULTS.resources)].sort();
    const podLabels = props.podLabels ?? KUBE_STATE_METRICS_DEFAULTS.podLabels;
    checkKeys(where, props, KUBE_STATE_METRICS_KEYS);
    checkImage(where, 'image', image);
    // Pasted into one flag (`pods=[app,team]`): a comma or bracket in a name would split or end the list.
    checkStringList(where, 'podLabels', podLabels, 'Kubernetes label keys');
    // `*` is kube-state-metrics' own wildcard: every label of every pod.
    podLabels.forEach((l, i) => checkString(where, `podLabels[${i}]`, l,
      'a Kubernetes label key such as app or app.kubernetes.io/name (an optional DNS prefix and /, then at most 63 letters, digits, -, _ or .), or * for all',
      new RegExp(`^\\*$|${KUBERNETES_LABEL_KEY.source}`)));
    check(exported.length > 0, where, 'resources', exported, 'at least one resource');
    for (const r of exported) {
      check(r in RESOURCE_GROUPS, where, 'resources', r, `one of ${Object.keys(RESOURCE_GROUPS).join(', ')}`);
    }
    check(exported.includes('pods'), where, 'resources', exported,
      'a list that includes pods: PodCrashLooping and the CPU/memory limit alerts read pod metrics');

    const name = 'kube-state-metrics';
    const { labels, selector, meta } = componentIdentity(name, 'exporter', image, ns);

    const sa = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta(name) });
    const byGroup = new Map<string, string[]>();
    for (const r of exported) byGroup.set(RESOURCE_GROUPS[r], [...(byGroup.get(RESOURCE_GROUPS[r]) ?? []), r]);
    new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: meta(`${ns}-kube-state-metrics`, null),
      rules: [...byGroup.entries()].sort().map(([group, res]) => ({ apiGroups: [group], resources: res, verbs: ['list', 'watch'] })),
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: meta(`${ns}-kube-state-metrics`, null),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${ns}-kube-state-metrics` },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: ns }],
    });

    const service = new k8s.KubeService(this, 'Service', {
      metadata: meta(name),
      spec: {
        selector,
        // Only the metrics port: its own telemetry is not scraped, so it is not reachable either.
        ports: [{ name: 'http-metrics', port: KubeStateMetrics.PORT, targetPort: k8s.IntOrString.fromString('http-metrics') }],
      },
    });

    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: meta(name),
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...labels, ...selector } },
          spec: {
            serviceAccountName: sa.name,
            securityContext: restrictedPodSecurity(),
            containers: [
              {
                name,
                image,
                args: [
                  `--port=${KubeStateMetrics.PORT}`,
                  '--telemetry-port=8081',
                  `--resources=${exported.join(',')}`,
                  // Deployments too: ServiceMissing finds a service's Deployment by its app label.
                  ...(podLabels.length ? [`--metric-labels-allowlist=pods=[${podLabels.join(',')}],deployments=[${podLabels.join(',')}]`] : []),
                ],
                ports: [containerPort('http-metrics', KubeStateMetrics.PORT), containerPort('telemetry', 8081)],
                livenessProbe: httpProbe('/livez', 'http-metrics'),
                readinessProbe: httpProbe('/readyz', 'telemetry'),
                resources: resources(props.containerResources ?? KUBE_STATE_METRICS_DEFAULTS.containerResources, where, 'containerResources'),
                securityContext: restrictedContainerSecurity(),
              },
            ],
          },
        },
      },
    });

    this.scrapeTarget = { jobName: name, namespace: ns, serviceName: service.name, portName: 'http-metrics', honorLabels: true };
  }
}

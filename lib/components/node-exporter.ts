import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { checkDnsLabel, checkImage, checkKeys, keysOf } from '../validate';
import {
  componentIdentity,
  containerPort,
  httpProbe,
  NOBODY,
  resources,
  ResourceSpec,
  restrictedContainerSecurity,
} from './common';
import { ServiceScrapeTarget } from './prometheus-config';

export interface NodeExporterProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** node-exporter image. @default 'quay.io/prometheus/node-exporter:v1.9.1' */
  readonly image?: string;
  /** CPU and memory of the container. @default 50m/250m CPU, 64Mi/128Mi memory */
  readonly containerResources?: ResourceSpec;
  /**
   * PriorityClass of the pods, e.g. `system-node-critical` so they are not evicted first. Clusters that guard the
   * system classes with a ResourceQuota (GKE) refuse them outside kube-system, so none by default.
   * @default none
   */
  readonly priorityClassName?: string;
}

export const NODE_EXPORTER_KEYS = keysOf<NodeExporterProps>()(['namespace', 'image', 'containerResources', 'priorityClassName']);

export const NODE_EXPORTER_DEFAULTS = {
  image: 'quay.io/prometheus/node-exporter:v1.9.1',
  containerResources: { cpuRequest: '50m', cpuLimit: '250m', memoryRequest: '64Mi', memoryLimit: '128Mi' } as ResourceSpec,
};


/**
 * node-exporter on every node, for the system-resource panels.
 *
 * It needs the host's network and PID namespaces and read-only host paths to see the node rather than
 * its own container, which the `restricted` and `baseline` Pod Security levels forbid. It still runs as
 * `nobody`, with a read-only root filesystem, no capabilities and no privilege escalation.
 */
export class NodeExporter extends Construct {
  /** The port of the metrics, on the host network of every node. */
  static readonly PORT = 9100;
  readonly scrapeTarget: ServiceScrapeTarget;

  constructor(scope: Construct, id: string, props: NodeExporterProps) {
    super(scope, id);
    const ns = props.namespace;
    const image = props.image ?? NODE_EXPORTER_DEFAULTS.image;
    checkKeys(this.node.path, props, NODE_EXPORTER_KEYS);
    checkImage(this.node.path, 'image', image);
    if (props.priorityClassName !== undefined) checkDnsLabel(this.node.path, 'priorityClassName', props.priorityClassName);

    const name = 'node-exporter';
    const { labels, selector, meta } = componentIdentity(name, 'exporter', image, ns);

    const sa = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: meta(name),
      automountServiceAccountToken: false,
    });
    const service = new k8s.KubeService(this, 'Service', {
      metadata: meta(name),
      spec: {
        clusterIp: 'None',
        selector,
        ports: [{ name: 'metrics', port: NodeExporter.PORT, targetPort: k8s.IntOrString.fromString('metrics') }],
      },
    });

    const hostPath = (volume: string, path: string, mountPath: string) => ({
      volume: { name: volume, hostPath: { path } },
      mount: { name: volume, mountPath, readOnly: true, mountPropagation: 'HostToContainer' },
    });
    const host = [hostPath('proc', '/proc', '/host/proc'), hostPath('sys', '/sys', '/host/sys'), hostPath('root', '/', '/host/root')];

    new k8s.KubeDaemonSet(this, 'DaemonSet', {
      metadata: meta(name),
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromString('10%') } },
        template: {
          metadata: { labels: { ...labels, ...selector } },
          spec: {
            serviceAccountName: sa.name,
            automountServiceAccountToken: false,
            hostNetwork: true,
            hostPid: true,
            securityContext: { runAsNonRoot: true, runAsUser: NOBODY, runAsGroup: NOBODY, seccompProfile: { type: 'RuntimeDefault' } },
            // Every node, tainted or not, is a node whose resources we want to see.
            tolerations: [{ operator: 'Exists' }],
            ...(props.priorityClassName !== undefined ? { priorityClassName: props.priorityClassName } : {}),
            containers: [
              {
                name,
                image,
                args: [
                  `--web.listen-address=:${NodeExporter.PORT}`,
                  '--path.procfs=/host/proc',
                  '--path.sysfs=/host/sys',
                  '--path.rootfs=/host/root',
                  '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/containerd/.+|var/lib/docker/.+|var/lib/kubelet/.+)($|/)',
                ],
                ports: [{ ...containerPort('metrics', NodeExporter.PORT), hostPort: NodeExporter.PORT }],
                livenessProbe: httpProbe('/', 'metrics'),
                readinessProbe: httpProbe('/', 'metrics'),
                resources: resources(props.containerResources ?? NODE_EXPORTER_DEFAULTS.containerResources, this.node.path, 'containerResources'),
                securityContext: restrictedContainerSecurity(),
                volumeMounts: host.map((h) => h.mount),
              },
            ],
            volumes: host.map((h) => h.volume),
          },
        },
      },
    });

    this.scrapeTarget = { jobName: name, namespace: ns, serviceName: service.name, portName: 'metrics' };
  }
}

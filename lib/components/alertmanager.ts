import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import {
  ALERTMANAGER_CONFIG_KEYS,
  AlertmanagerConfigProps,
  CONFIG_FILE,
  DEFAULT_CONFIG_DIR,
  DEFAULT_SECRETS_DIR,
  alertmanagerConfigFiles,
  checkHttpUrl,
  requiredSecretKeys,
} from '../alertmanager';
import { Duration } from '../units';
import type { IngressPath } from './ingress';
import { check, checkDnsLabel, checkDuration, checkImage, checkKeys, checkMountPaths, checkQuantity, keysOf } from '../validate';
import {
  checksum,
  componentIdentity,
  configReloaderContainer,
  containerPort,
  dataVolumeClaim,
  httpProbe,
  imageTag,
  resources,
  ResourceSpec,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  spreadOverNodes,
} from './common';
import { ServiceScrapeTarget } from './prometheus-config';

export interface AlertmanagerProps extends AlertmanagerConfigProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Alertmanager image; v0.25.0 or later (the `*_file` credential fields). @default ALERTMANAGER_DEFAULTS.image ('quay.io/prometheus/alertmanager:v0.28.1') */
  readonly image?: string;
  /** Sidecar that POSTs /-/reload when the mounted config changes. @default ALERTMANAGER_DEFAULTS.reloaderImage ('quay.io/prometheus-operator/prometheus-config-reloader:v0.83.0') */
  readonly reloaderImage?: string;
  /** Pods; more than 1 forms a gossip cluster over the headless Service. @default 1 */
  readonly replicas?: number;
  /** Size of the volume holding silences and the notification log, a Kubernetes quantity. @default '2Gi' */
  readonly storageSize?: string;
  /** StorageClass of the volume. @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** How long silences and notification-log entries are kept after they end. @default Duration.hours(120) */
  readonly retention?: Duration;
  /** CPU and memory of the Alertmanager container. @default 50m/200m CPU, 128Mi/256Mi memory */
  readonly resources?: ResourceSpec;
  /** CPU and memory of the config-reloader sidecar. @default 10m/100m CPU, 32Mi/64Mi memory */
  readonly reloaderResources?: ResourceSpec;
  /** Existing Secret with the receiver credentials (the keys requiredSecretKeys lists: Slack's per slackMode, heartbeat-url, pagerduty-routing-key, smtp-password); never created here. @default 'alertmanager-receivers' */
  readonly receiversSecretName?: string;
  /** URL users open Alertmanager at; the base of the silence links in messages. @default 'http://localhost:9093' (the spec's kubectl port-forward) */
  readonly externalUrl?: string;
}

export const ALERTMANAGER_KEYS = keysOf<AlertmanagerProps>()([
  'namespace', 'image', 'reloaderImage', 'replicas', 'storageSize', 'storageClassName', 'retention', 'resources', 'reloaderResources',
  'receiversSecretName', 'externalUrl', ...ALERTMANAGER_CONFIG_KEYS,
]);

export const ALERTMANAGER_DEFAULTS = {
  image: 'quay.io/prometheus/alertmanager:v0.28.1',
  reloaderImage: 'quay.io/prometheus-operator/prometheus-config-reloader:v0.83.0',
  replicas: 1,
  storageSize: '2Gi',
  retention: Duration.hours(120),
  resources: { cpuRequest: '50m', cpuLimit: '200m', memoryRequest: '128Mi', memoryLimit: '256Mi' } as ResourceSpec,
  reloaderResources: { cpuRequest: '10m', cpuLimit: '100m', memoryRequest: '32Mi', memoryLimit: '64Mi' } as ResourceSpec,
  receiversSecretName: 'alertmanager-receivers',
  externalUrl: 'http://localhost:9093',
};

const DATA_DIR = '/alertmanager';
const HEADLESS_NAME = 'alertmanager-headless';

/** The `kubectl create secret` command for the receivers Secret, one `--from-file` per key these props read. */
export function receiversSecretCommand(props: AlertmanagerProps): string {
  const name = props.receiversSecretName ?? ALERTMANAGER_DEFAULTS.receiversSecretName;
  const lines = [`kubectl create secret generic ${name} -n ${props.namespace}`];
  for (const key of requiredSecretKeys(props)) lines.push(`  --from-file=${key}=./${key}`);
  return lines.join(' \\\n');
}

/**
 * Alertmanager as a StatefulSet `alertmanager` behind `alertmanager-service:9093`, its config and
 * templates in the ConfigMap `alertmanager-config` (reloaded by a sidecar on change), silences and
 * the notification log on a persistent volume, receiver credentials from an existing Secret.
 */
export class Alertmanager extends Construct {
  /** The Service of the UI and the API, and its port (also the container's). */
  static readonly SERVICE = { name: 'alertmanager-service', port: 9093 } as const;
  /**
   * What the Ingress routes: the UI (`/`, its script, icon and `/lib` assets) and the v2 API it calls, silences
   * included (users create and expire them). An Ingress cannot restrict methods: `POST /api/v2/alerts` stays
   * reachable to authenticated users. Not `/-/reload` nor `/metrics`.
   */
  static readonly UI_PATHS: readonly IngressPath[] = [
    { path: '/', pathType: 'Exact' },
    ...['/script.js', '/favicon.ico'].map((path) => ({ path, pathType: 'ImplementationSpecific' as const })),
    ...['/lib', '/api/v2/status', '/api/v2/alerts', '/api/v2/silences', '/api/v2/silence', '/api/v2/receivers']
      .map((path) => ({ path, pathType: 'Prefix' as const })),
  ];
  /** Paths the Ingress must never route: checked against UI_PATHS at synth. */
  static readonly FORBIDDEN_PATHS = ['/-/reload', '/-/quit', '/metrics'];
  /** The port the replicas gossip on, TCP and UDP. */
  static readonly CLUSTER_PORT = 9094;
  /** In-cluster URL of the web UI and API. */
  readonly url: string;
  /** `host:port` of the Service. */
  readonly address: string;
  /**
   * `host:port` of every replica, for Prometheus's `alerting.alertmanagers`: with several replicas,
   * each one through the headless Service. Prometheus must send every alert to every replica (the
   * cluster gossips silences and what it has notified, not alerts), so not through the Service,
   * which would give each Prometheus one replica and lose its alerts with that replica.
   */
  readonly alertmanagers: readonly string[];
  /** The command that creates the receivers Secret, for the README. */
  readonly secretCommand: string;
  /** How Prometheus scrapes Alertmanager's own metrics (notification failures). */
  readonly scrapeTarget: ServiceScrapeTarget;

  constructor(scope: Construct, id: string, props: AlertmanagerProps) {
    super(scope, id);
    const where = this.node.path;
    const ns = props.namespace;
    const image = props.image ?? ALERTMANAGER_DEFAULTS.image;
    const reloaderImage = props.reloaderImage ?? ALERTMANAGER_DEFAULTS.reloaderImage;
    const replicas = props.replicas ?? ALERTMANAGER_DEFAULTS.replicas;
    const storageSize = props.storageSize ?? ALERTMANAGER_DEFAULTS.storageSize;
    const retention = props.retention ?? ALERTMANAGER_DEFAULTS.retention;
    const secretName = props.receiversSecretName ?? ALERTMANAGER_DEFAULTS.receiversSecretName;
    const externalUrl = props.externalUrl ?? ALERTMANAGER_DEFAULTS.externalUrl;
    const configDir = props.configDir ?? DEFAULT_CONFIG_DIR;
    const secretsDir = props.secretsDir ?? DEFAULT_SECRETS_DIR;

    checkKeys(where, props, ALERTMANAGER_KEYS);
    checkDnsLabel(where, 'namespace', ns);
    checkImage(where, 'image', image);
    const version = /^v?(\d+)\.(\d+)\./.exec(imageTag(image));
    check(
      version === null || Number(version[1]) > 0 || Number(version[2]) >= 25,
      where,
      'image',
      image,
      'Alertmanager v0.25.0 or later: older versions reject routing_key_file and auth_password_file',
    );
    checkImage(where, 'reloaderImage', reloaderImage);
    check(Number.isInteger(replicas) && replicas >= 1 && replicas <= 5, where, 'replicas', replicas, 'an integer from 1 to 5');
    checkQuantity(where, 'storageSize', storageSize);
    checkDuration(where, 'retention', retention, Duration.hours(1), 'a Duration of at least 1h');
    checkDnsLabel(where, 'receiversSecretName', secretName);
    checkHttpUrl(where, 'externalUrl', externalUrl);

    // Throws the config's own ConfigErrors, named with this construct's path.
    const files = alertmanagerConfigFiles(props, where);
    // The three mounts of the Alertmanager container (the reloader mounts configDir alone).
    checkMountPaths(where, [[`the data volume's path`, DATA_DIR], ['configDir', configDir], ['secretsDir', secretsDir]]);

    const name = 'alertmanager';
    const { labels, selector, meta } = componentIdentity(name, 'alerting', image, ns);

    // No API access needed; an own account keeps the namespace default's permissions away from it.
    const sa = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: meta(name),
      automountServiceAccountToken: false,
    });
    const configMap = new k8s.KubeConfigMap(this, 'Config', { metadata: meta('alertmanager-config'), data: files });

    const clustered = replicas > 1;
    const webPort = { name: 'web', port: Alertmanager.SERVICE.port, targetPort: k8s.IntOrString.fromString('web') };
    const headless = new k8s.KubeService(this, 'HeadlessService', {
      metadata: meta(HEADLESS_NAME),
      spec: {
        clusterIp: 'None',
        // Peers must find each other before they are ready, or a cluster never forms.
        publishNotReadyAddresses: true,
        selector,
        ports: [
          webPort,
          ...(clustered
            ? [
                { name: 'mesh-tcp', port: Alertmanager.CLUSTER_PORT, protocol: 'TCP', targetPort: k8s.IntOrString.fromString('mesh-tcp') },
                { name: 'mesh-udp', port: Alertmanager.CLUSTER_PORT, protocol: 'UDP', targetPort: k8s.IntOrString.fromString('mesh-udp') },
              ]
            : []),
        ],
      },
    });
    new k8s.KubeService(this, 'Service', {
      metadata: meta(Alertmanager.SERVICE.name),
      spec: { type: 'ClusterIP', selector, ports: [webPort] },
    });
    this.address = `${Alertmanager.SERVICE.name}.${ns}.svc:${Alertmanager.SERVICE.port}`;
    this.url = `http://${this.address}`;
    this.alertmanagers = clustered
      ? Array.from({ length: replicas }, (_, i) => `${name}-${i}.${HEADLESS_NAME}.${ns}.svc:${Alertmanager.SERVICE.port}`)
      : [this.address];
    this.secretCommand = receiversSecretCommand(props);
    this.scrapeTarget = { jobName: name, namespace: ns, serviceName: Alertmanager.SERVICE.name, portName: 'web' };

    const clusterArgs = clustered
      ? [
          `--cluster.listen-address=0.0.0.0:${Alertmanager.CLUSTER_PORT}`,
          // Brackets keep an IPv6 pod IP valid; Go accepts them around IPv4 too.
          `--cluster.advertise-address=[$(POD_IP)]:${Alertmanager.CLUSTER_PORT}`,
          ...Array.from(
            { length: replicas },
            (_, i) => `--cluster.peer=${name}-${i}.${HEADLESS_NAME}.${ns}.svc:${Alertmanager.CLUSTER_PORT}`,
          ),
        ]
      : // An empty listen address disables gossip: one replica has no peers.
        ['--cluster.listen-address='];

    new k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: {
        ...meta(name),
        // On the StatefulSet, not the pod template: the diff shows a config change, while the
        // sidecar applies it without restarting the pod (a restart would drop in-flight groups).
        annotations: { 'checksum/config': checksum(files) },
      },
      spec: {
        serviceName: headless.name,
        replicas,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: { ...labels, ...selector },
            annotations: { 'kubectl.kubernetes.io/default-container': 'alertmanager' },
          },
          spec: {
            serviceAccountName: sa.name,
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(),
            ...(clustered ? { affinity: spreadOverNodes(selector) } : {}),
            containers: [
              {
                name: 'alertmanager',
                image,
                args: [
                  `--config.file=${configDir}/${CONFIG_FILE}`,
                  `--storage.path=${DATA_DIR}`,
                  `--data.retention=${retention.toPromDuration()}`,
                  `--web.listen-address=:${Alertmanager.SERVICE.port}`,
                  `--web.external-url=${externalUrl}`,
                  // Serve at / whatever path externalUrl has (an ingress strips it), so the probes stay valid.
                  '--web.route-prefix=/',
                  ...clusterArgs,
                ],
                env: clustered ? [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] : undefined,
                ports: [
                  containerPort('web', Alertmanager.SERVICE.port),
                  ...(clustered
                    ? [containerPort('mesh-tcp', Alertmanager.CLUSTER_PORT), { name: 'mesh-udp', containerPort: Alertmanager.CLUSTER_PORT, protocol: 'UDP' }]
                    : []),
                ],
                readinessProbe: httpProbe('/-/ready', 'web', 5),
                livenessProbe: httpProbe('/-/healthy', 'web', 10, 6),
                resources: resources(props.resources ?? ALERTMANAGER_DEFAULTS.resources, where, 'resources'),
                securityContext: restrictedContainerSecurity(),
                volumeMounts: [
                  { name: 'config', mountPath: configDir, readOnly: true },
                  { name: 'receivers', mountPath: secretsDir, readOnly: true },
                  { name: 'data', mountPath: DATA_DIR },
                ],
              },
              configReloaderContainer({
                where,
                field: 'reloaderResources',
                image: reloaderImage,
                resources: props.reloaderResources ?? ALERTMANAGER_DEFAULTS.reloaderResources,
                reloadUrl: `http://127.0.0.1:${Alertmanager.SERVICE.port}/-/reload`,
                watch: [`--watched-dir=${configDir}`],
                mounts: [{ name: 'config', mountPath: configDir, readOnly: true }],
              }),
            ],
            volumes: [
              { name: 'config', configMap: { name: configMap.name } },
              // Read by group (fsGroup nobody) only; Alertmanager reads the *_file fields at send time.
              { name: 'receivers', secret: { secretName, defaultMode: 0o440 } },
            ],
          },
        },
        volumeClaimTemplates: [dataVolumeClaim(selector, storageSize, props.storageClassName, where)],
      },
    });
    if (clustered) {
      // Keep a majority of the gossip cluster through node drains.
      new k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
        metadata: meta(name),
        spec: { minAvailable: k8s.IntOrString.fromNumber(Math.floor(replicas / 2) + 1), selector: { matchLabels: selector } },
      });
    }
  }
}

import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { toYaml } from '../yaml';
import { Duration } from '../units';
import { check, checkBoolean, checkDnsLabel, checkDuration, checkImage, checkKeys, checkLabels, checkNoCredentialsInUrl, checkQuantity, checkUrl, keysOf } from '../validate';
import {
  componentIdentity,
  configReloaderContainer,
  containerPort,
  dataVolumeClaim,
  httpProbe,
  resources,
  ResourceSpec,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  spreadOverNodes,
} from './common';
import { ServiceScrapeTarget, renderPrometheusConfig } from './prometheus-config';
import type { IngressPath } from './ingress';

/** Where to send a copy of every sample, for long-term storage past one Prometheus (Thanos Receive, Mimir, ...). */
export interface RemoteWrite {
  /** The receiver's push URL, e.g. `https://mimir.example.org/api/v1/push`. */
  readonly url: string;
  /** Secret with the credentials, mounted into the pod; never written into dist/. @default none (no authentication) */
  readonly secretName?: string;
  /** `bearer`: key `token`. `basic`: key `password`, with `username`. @default 'bearer' when secretName is set */
  readonly auth?: 'bearer' | 'basic';
  /** User name for basic auth. */
  readonly username?: string;
  /** Samples buffered per shard. @default 10000 */
  readonly capacity?: number;
  /** Upper bound of parallel senders. @default 50 */
  readonly maxShards?: number;
  /** Samples per request. @default 2000 */
  readonly maxSamplesPerSend?: number;
}

export interface PrometheusProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Identical Prometheus servers scraping the same targets; above 1 each gets a `replica` label. @default 1 */
  readonly replicas?: number;
  /** Namespaces whose pods annotated `prometheus.io/scrape: "true"` are scraped. @default [namespace] */
  readonly watchedNamespaces?: readonly string[];
  /** Prometheus image. @default 'quay.io/prometheus/prometheus:v3.5.0' */
  readonly image?: string;
  /** Sidecar that reloads Prometheus when its config or rules change. @default 'quay.io/prometheus-operator/prometheus-config-reloader:v0.83.0' */
  readonly reloaderImage?: string;
  /** How long samples are kept. @default Duration.days(30) */
  readonly retention?: Duration;
  /** Size cap of the TSDB, in Prometheus units (B, KB, MB, GB, TB; powers of 1024); must be below storageSize. @default '45GB' */
  readonly retentionSize?: string;
  /** Size of the persistent volume, a Kubernetes quantity. @default '50Gi' */
  readonly storageSize?: string;
  /** StorageClass of the volume. @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** How often every target is scraped. @default Duration.seconds(15) */
  readonly scrapeInterval?: Duration;
  /** How long one scrape may take; at most scrapeInterval. @default Duration.seconds(10) */
  readonly scrapeTimeout?: Duration;
  /** How often alerting and recording rules are evaluated. @default Duration.seconds(15) */
  readonly evaluationInterval?: Duration;
  /** Labels added to every series and alert leaving this Prometheus. @default {} */
  readonly externalLabels?: Record<string, string>;
  /** CPU and memory of the Prometheus container. @default 500m/2 CPU, 2Gi/4Gi memory */
  readonly resources?: ResourceSpec;
  /** Rule files by file name (`*.yml`), each a rule-file object. @default {} */
  readonly ruleFiles?: Record<string, unknown>;
  /** Exporter and component Services to scrape. @default [] */
  readonly serviceTargets?: readonly ServiceScrapeTarget[];
  /** Alertmanager addresses (`host:port`). @default [] (no alerting block) */
  readonly alertmanagers?: readonly string[];
  /** Public URL of the UI, used in alert links (generatorURL). @default none (links use the pod address) */
  readonly externalUrl?: string;
  /** Skip verification of the kubelet's serving certificate, self-signed on most clusters. @default true */
  readonly kubeletInsecureSkipVerify?: boolean;
  /** Long-term storage receivers. @default [] */
  readonly remoteWrite?: readonly RemoteWrite[];
  /** Enable the TSDB admin API (snapshots for backups, but also deleting series); reach it only by port-forward. @default false */
  readonly enableAdminApi?: boolean;
}

/** Every key of PrometheusProps (tsc fails when one is missing): unknown keys fail synth. */
export const PROMETHEUS_KEYS = keysOf<PrometheusProps>()([
  'namespace', 'replicas', 'watchedNamespaces', 'image', 'reloaderImage', 'retention', 'retentionSize', 'storageSize',
  'storageClassName', 'scrapeInterval', 'scrapeTimeout', 'evaluationInterval', 'externalLabels', 'resources', 'ruleFiles',
  'serviceTargets', 'alertmanagers', 'externalUrl', 'kubeletInsecureSkipVerify', 'remoteWrite', 'enableAdminApi',
]);
export const REMOTE_WRITE_KEYS = keysOf<RemoteWrite>()(['url', 'secretName', 'auth', 'username', 'capacity', 'maxShards', 'maxSamplesPerSend']);

export const PROMETHEUS_DEFAULTS = {
  image: 'quay.io/prometheus/prometheus:v3.5.0',
  reloaderImage: 'quay.io/prometheus-operator/prometheus-config-reloader:v0.83.0',
  retention: Duration.days(30),
  retentionSize: '45GB',
  storageSize: '50Gi',
  scrapeInterval: Duration.seconds(15),
  scrapeTimeout: Duration.seconds(10),
  evaluationInterval: Duration.seconds(15),
  resources: { cpuRequest: '500m', cpuLimit: '2', memoryRequest: '2Gi', memoryLimit: '4Gi' } as ResourceSpec,
  reloaderResources: { cpuRequest: '10m', cpuLimit: '100m', memoryRequest: '32Mi', memoryLimit: '64Mi' } as ResourceSpec,
};

/** Prometheus's staleness lookback: a target scraped less often than this drops out of instant queries. */
const LOOKBACK = Duration.minutes(5);
const PROM_SIZE = /^([0-9]+)(B|KB|MB|GB|TB|PB|EB)$/;
const PROM_SIZE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];

const CONFIG_DIR = '/etc/prometheus/config';
const REMOTE_WRITE_DIR = '/etc/prometheus/remote-write';
const RULES_DIR = '/etc/prometheus/rules';
const DATA_DIR = '/prometheus';

/**
 * Prometheus as a StatefulSet `prometheus` (pod `prometheus-0`) behind `prometheus-service:9090`,
 * with its config and rules in ConfigMaps that a sidecar reloads on change, and read-only RBAC for discovery.
 */
export class Prometheus extends Construct {
  /** The Service the UI, the API and Grafana use, and its port (also the container's). */
  static readonly SERVICE = { name: 'prometheus-service', port: 9090 } as const;
  /**
   * What the Ingress routes: the UI's pages and assets and the read APIs they call, for Prometheus 3 (the
   * image's Mantine UI) and 2.x (React under /static, the classic UI under /classic). Not the lifecycle
   * (`/-/quit`, `/-/reload`: `--web.enable-lifecycle` is on for the config-reloader), the admin API, `/federate`,
   * remote read/write or `/metrics`; port-forward for those.
   */
  static readonly UI_PATHS: readonly IngressPath[] = [
    { path: '/', pathType: 'Exact' },
    ...['/query', '/graph', '/alerts', '/targets', '/rules', '/status', '/config', '/flags', '/tsdb-status', '/service-discovery',
      '/alertmanager-discovery', '/agent', '/classic', '/assets', '/static'].map((path) => ({ path, pathType: 'Prefix' as const })),
    // The v3 UI asks /-/ready while the server starts (WAL replay) to show its progress; read-only.
    { path: '/-/ready', pathType: 'Exact' },
    ...['/favicon.ico', '/favicon.svg', '/manifest.json'].map((path) => ({ path, pathType: 'ImplementationSpecific' as const })),
    ...['query', 'query_range', 'query_exemplars', 'series', 'labels', 'label', 'metadata', 'targets', 'scrape_pools', 'rules',
      'alerts', 'alertmanagers', 'status', 'format_query', 'parse_query', 'notifications']
      .map((api) => ({ path: `/api/v1/${api}`, pathType: 'Prefix' as const })),
  ];
  /** Paths the Ingress must never route: checked against UI_PATHS at synth. */
  static readonly FORBIDDEN_PATHS = ['/-/quit', '/-/reload', '/api/v1/admin/tsdb/delete_series', '/api/v1/admin/tsdb/snapshot',
    '/api/v1/admin/tsdb/clean_tombstones', '/federate', '/api/v1/write', '/api/v1/read'];
  /** In-cluster address of the web UI and API. */
  readonly url: string;
  readonly scrapeInterval: Duration;
  readonly evaluationInterval: Duration;

  constructor(scope: Construct, id: string, props: PrometheusProps) {
    super(scope, id);
    const where = this.node.path;
    const ns = props.namespace;
    const image = props.image ?? PROMETHEUS_DEFAULTS.image;
    const reloaderImage = props.reloaderImage ?? PROMETHEUS_DEFAULTS.reloaderImage;
    const retention = props.retention ?? PROMETHEUS_DEFAULTS.retention;
    const retentionSize = props.retentionSize ?? PROMETHEUS_DEFAULTS.retentionSize;
    const storageSize = props.storageSize ?? PROMETHEUS_DEFAULTS.storageSize;
    const scrapeInterval = props.scrapeInterval ?? PROMETHEUS_DEFAULTS.scrapeInterval;
    const scrapeTimeout = props.scrapeTimeout ?? PROMETHEUS_DEFAULTS.scrapeTimeout;
    const evaluationInterval = props.evaluationInterval ?? PROMETHEUS_DEFAULTS.evaluationInterval;
    const watched = [...new Set([ns, ...(props.watchedNamespaces ?? [])])];

    checkKeys(where, props, PROMETHEUS_KEYS);
    checkBoolean(where, 'kubeletInsecureSkipVerify', props.kubeletInsecureSkipVerify);
    checkBoolean(where, 'enableAdminApi', props.enableAdminApi);
    checkImage(where, 'image', image);
    checkImage(where, 'reloaderImage', reloaderImage);
    checkDuration(where, 'retention', retention, Duration.hours(2), 'a Duration of at least 2h (one TSDB block)');
    checkDuration(where, 'scrapeInterval', scrapeInterval);
    checkDuration(where, 'scrapeTimeout', scrapeTimeout);
    checkDuration(where, 'evaluationInterval', evaluationInterval);
    checkLabels(where, 'externalLabels', props.externalLabels, true);
    const storageBytes = checkQuantity(where, 'storageSize', storageSize);
    const sizeMatch = typeof retentionSize === 'string' ? PROM_SIZE.exec(retentionSize) : null;
    check(sizeMatch !== null && Number(sizeMatch[1]) > 0, where, 'retentionSize', retentionSize,
      'a positive Prometheus size such as 45GB (units B, KB, MB, GB, TB, PB, EB)');
    const retentionBytes = Number(sizeMatch![1]) * 1024 ** PROM_SIZE_UNITS.indexOf(sizeMatch![2]);
    check(retentionBytes < storageBytes, where, 'retentionSize', retentionSize,
      `less than storageSize (${storageSize}), so old blocks are deleted before the volume fills`);
    check(scrapeInterval.compare(Duration.seconds(1)) >= 0 && scrapeInterval.compare(LOOKBACK.times(0.5)) <= 0,
      where, 'scrapeInterval', String(scrapeInterval),
      'between 1s and 2m30s: a longer interval lets series go stale between scrapes (5m lookback)');
    check(scrapeTimeout.compare(Duration.seconds(1)) >= 0 && scrapeTimeout.compare(scrapeInterval) <= 0,
      where, 'scrapeTimeout', String(scrapeTimeout), `between 1s and scrapeInterval (${scrapeInterval})`);
    check(evaluationInterval.compare(scrapeInterval) >= 0 && evaluationInterval.compare(LOOKBACK.times(0.5)) <= 0,
      where, 'evaluationInterval', String(evaluationInterval),
      `between scrapeInterval (${scrapeInterval}) and 2m30s: rules evaluated faster than samples arrive ` +
      'only re-read the same data; a scrapeInterval longer than the evaluation interval is not allowed');
    watched.forEach((n, i) => checkDnsLabel(where, `watchedNamespaces[${i}]`, n));
    if (props.externalUrl !== undefined) {
      checkUrl(where, 'externalUrl', props.externalUrl);
    }
    const replicas = props.replicas ?? 1;
    check(Number.isInteger(replicas) && replicas >= 1 && replicas <= 5, where, 'replicas', replicas, 'an integer from 1 to 5');
    check(props.remoteWrite === undefined || Array.isArray(props.remoteWrite), where, 'remoteWrite', props.remoteWrite, 'a list of receivers');
    const receivers = new Map<string, number>();
    const remoteWrite = (props.remoteWrite ?? []).map((rw, i) => {
      const field = `remoteWrite[${i}]`;
      const url = checkUrl(where, `${field}.url`, rw.url, { path: true, example: 'https://mimir.example.org/api/v1/push' });
      checkNoCredentialsInUrl(where, `${field}.url`, url,
        "put the credential in a Secret and name it in secretName, with auth 'bearer' (key token) or 'basic' (key password, and username)");
      if (rw.secretName !== undefined) checkDnsLabel(where, `${field}.secretName`, rw.secretName);
      // The same receiver with the same credential twice: Prometheus refuses two identical remote write configs
      // at start ("duplicate remote write configs are not allowed", though promtool passes them), and with other
      // queue settings it would send every sample twice. The same URL with another Secret is another tenant.
      const receiver = JSON.stringify([url.href, rw.secretName ?? null, rw.username ?? null]);
      const earlier = receivers.get(receiver);
      check(earlier === undefined, where, `${field}.url`, rw.url,
        `a receiver not already written to by remoteWrite[${earlier}] with the same credential (Prometheus refuses duplicate remote write configs; it would send every sample twice)`);
      receivers.set(receiver, i);
      const auth = rw.auth ?? (rw.secretName ? 'bearer' : undefined);
      check(auth === undefined || auth === 'bearer' || auth === 'basic', where, `${field}.auth`, auth, "'bearer' (key token) or 'basic' (key password, with username)");
      check(auth === undefined || rw.secretName !== undefined, where, `${field}.auth`, auth, 'set together with secretName, the Secret that holds the credential');
      check(auth !== 'basic' || (typeof rw.username === 'string' && rw.username.length > 0), where, `${field}.username`, rw.username ?? '', 'a user name for basic auth');
      for (const [k, v] of [['capacity', rw.capacity], ['maxShards', rw.maxShards], ['maxSamplesPerSend', rw.maxSamplesPerSend]] as const) {
        check(v === undefined || (Number.isInteger(v) && v > 0), where, `${field}.${k}`, v, 'a positive integer');
      }
      const dir = `${REMOTE_WRITE_DIR}/${i}`;
      return {
        secretName: rw.secretName,
        dir,
        config: {
          url: rw.url,
          ...(auth === 'bearer' ? { authorization: { credentials_file: `${dir}/token` } } : {}),
          ...(auth === 'basic' ? { basic_auth: { username: rw.username, password_file: `${dir}/password` } } : {}),
          queue_config: {
            capacity: rw.capacity ?? 10000,
            max_shards: rw.maxShards ?? 50,
            max_samples_per_send: rw.maxSamplesPerSend ?? 2000,
          },
        },
      };
    });
    this.scrapeInterval = scrapeInterval;
    this.evaluationInterval = evaluationInterval;

    const name = 'prometheus';
    const { labels, selector, meta } = componentIdentity(name, 'server', image, ns);

    const sa = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta(name) });

    // Cluster scope only for what is cluster-scoped: nodes (discovery) and the kubelet's metrics.
    new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: meta(`${ns}-prometheus`, null),
      rules: [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: meta(`${ns}-prometheus`, null),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${ns}-prometheus` },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: ns }],
    });
    // Pods, endpoints and services only in the namespaces it watches: the applications' and the exporters'.
    const discovered = [...new Set([...watched, ...(props.serviceTargets ?? []).map((t) => t.namespace)])];
    for (const target of discovered) {
      new k8s.KubeRole(this, `Role-${target}`, {
        metadata: meta('prometheus-discovery', target),
        rules: [{ apiGroups: [''], resources: ['pods', 'endpoints', 'services'], verbs: ['get', 'list', 'watch'] }],
      });
      new k8s.KubeRoleBinding(this, `RoleBinding-${target}`, {
        metadata: meta('prometheus-discovery', target),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'prometheus-discovery' },
        subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: ns }],
      });
    }

    const config = renderPrometheusConfig({
      scrapeInterval,
      scrapeTimeout,
      evaluationInterval,
      // Prometheus 3 expands environment variables in external labels: each replica names itself.
      externalLabels: { ...props.externalLabels, ...(replicas > 1 ? { replica: '${POD_NAME}' } : {}) },
      replicaLabels: replicas > 1 ? ['replica'] : [],
      remoteWrite: remoteWrite.map((rw) => rw.config),
      rulesDir: RULES_DIR,
      appNamespaces: watched,
      serviceTargets: props.serviceTargets ?? [],
      self: { jobName: 'prometheus', namespace: ns, serviceName: 'prometheus-headless', portName: 'web' },
      alertmanagers: props.alertmanagers ?? [],
      kubeletInsecureSkipVerify: props.kubeletInsecureSkipVerify ?? true,
    });
    const configMap = new k8s.KubeConfigMap(this, 'Config', {
      metadata: meta('prometheus-config'),
      data: { 'prometheus.yml': toYaml(config) },
    });
    const ruleFiles = props.ruleFiles ?? {};
    for (const file of Object.keys(ruleFiles)) {
      check(/^[a-z0-9][a-z0-9.-]*\.yml$/.test(file), where, 'ruleFiles', file, 'file names like service-health.rules.yml');
    }
    const rulesMap = new k8s.KubeConfigMap(this, 'Rules', {
      metadata: meta('prometheus-rules'),
      data: Object.fromEntries(
        Object.keys(ruleFiles).sort().map((f) => [f, toYaml(ruleFiles[f])]),
      ),
    });

    const headless = new k8s.KubeService(this, 'HeadlessService', {
      metadata: meta('prometheus-headless'),
      spec: {
        clusterIp: 'None',
        // The self-scrape job reads these endpoints: a replica that is not ready (replaying its WAL, stuck)
        // stays a target, scraped as down and named, rather than vanishing from `up`.
        publishNotReadyAddresses: true,
        selector,
        ports: [{ name: 'web', port: Prometheus.SERVICE.port, targetPort: k8s.IntOrString.fromString('web') }],
      },
    });
    new k8s.KubeService(this, 'Service', {
      metadata: meta(Prometheus.SERVICE.name),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: 'web', port: Prometheus.SERVICE.port, targetPort: k8s.IntOrString.fromString('web') }],
      },
    });
    this.url = `http://${Prometheus.SERVICE.name}.${ns}.svc:${Prometheus.SERVICE.port}`;

    new k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: meta(name),
      spec: {
        serviceName: headless.name,
        replicas,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: { ...labels, ...selector },
            annotations: { 'kubectl.kubernetes.io/default-container': 'prometheus' },
          },
          spec: {
            serviceAccountName: sa.name,
            securityContext: restrictedPodSecurity(),
            ...(replicas > 1 ? { affinity: spreadOverNodes(selector) } : {}),
            // Long enough for the last rule evaluation and the WAL to be flushed.
            terminationGracePeriodSeconds: 600,
            containers: [
              {
                name: 'prometheus',
                image,
                args: [
                  `--config.file=${CONFIG_DIR}/prometheus.yml`,
                  `--storage.tsdb.path=${DATA_DIR}`,
                  `--storage.tsdb.retention.time=${retention.toPromDuration()}`,
                  `--storage.tsdb.retention.size=${retentionSize}`,
                  '--web.enable-lifecycle',
                  ...(props.enableAdminApi ? ['--web.enable-admin-api'] : []),
                  `--web.listen-address=:${Prometheus.SERVICE.port}`,
                  ...(props.externalUrl ? [`--web.external-url=${props.externalUrl}`, '--web.route-prefix=/'] : []),
                ],
                ...(replicas > 1 ? { env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] } : {}),
                ports: [containerPort('web', Prometheus.SERVICE.port)],
                readinessProbe: httpProbe('/-/ready', 'web', 5),
                livenessProbe: httpProbe('/-/healthy', 'web', 15, 6),
                // Replaying a large WAL after a restart takes minutes; do not kill it meanwhile.
                startupProbe: httpProbe('/-/ready', 'web', 15, 60),
                resources: resources(props.resources ?? PROMETHEUS_DEFAULTS.resources, where, 'resources'),
                securityContext: restrictedContainerSecurity(),
                volumeMounts: [
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  { name: 'rules', mountPath: RULES_DIR, readOnly: true },
                  { name: 'data', mountPath: DATA_DIR },
                  ...remoteWrite.filter((rw) => rw.secretName).map((rw, i) => ({ name: `remote-write-${i}`, mountPath: rw.dir, readOnly: true })),
                ],
              },
              configReloaderContainer({
                where,
                field: 'reloaderResources',
                image: reloaderImage,
                resources: PROMETHEUS_DEFAULTS.reloaderResources,
                reloadUrl: `http://127.0.0.1:${Prometheus.SERVICE.port}/-/reload`,
                watch: [`--config-file=${CONFIG_DIR}/prometheus.yml`, `--watched-dir=${RULES_DIR}`],
                mounts: [
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  { name: 'rules', mountPath: RULES_DIR, readOnly: true },
                ],
              }),
            ],
            volumes: [
              { name: 'config', configMap: { name: configMap.name } },
              { name: 'rules', configMap: { name: rulesMap.name } },
              ...remoteWrite.filter((rw) => rw.secretName).map((rw, i) => ({ name: `remote-write-${i}`, secret: { secretName: rw.secretName! } })),
            ],
          },
        },
        volumeClaimTemplates: [dataVolumeClaim(selector, storageSize, props.storageClassName, where)],
      },
    });
    if (replicas > 1) {
      new k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
        metadata: meta(name),
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
      });
    }
  }
}

import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { toYaml } from '../yaml';
import { Duration } from '../units';
import { check, checkDnsLabel, checkImage, checkKeys, checkUrl, keysOf } from '../validate';
import {
  checksum,
  componentIdentity,
  containerPort,
  httpProbe,
  resources,
  ResourceSpec,
  restrictedContainerSecurity,
  restrictedPodSecurity,
} from './common';

/** Fixed datasource uids: dashboards refer to them, so they must not change between installs. */
export const PROMETHEUS_DATASOURCE_UID = 'prometheus';
export const ALERTMANAGER_DATASOURCE_UID = 'alertmanager';

export interface GrafanaProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Grafana image. @default 'docker.io/grafana/grafana:12.1.1' */
  readonly image?: string;
  /** URL of Prometheus for the default datasource. */
  readonly prometheusUrl: string;
  /** Prometheus's scrape interval, the smallest step Grafana should query with. @default Duration.seconds(15) */
  readonly scrapeInterval?: Duration;
  /** URL of Alertmanager for its datasource. @default none (no Alertmanager datasource) */
  readonly alertmanagerUrl?: string;
  /** Dashboards by file name (`*.json`), each a dashboard model. @default {} */
  readonly dashboards?: Record<string, unknown>;
  /** Dashboard folder in the Grafana UI. @default 'KnowTon' */
  readonly folder?: string;
  /** Secret with keys `admin-user` and `admin-password`; created by hand, never synthesized. @default 'grafana-admin' */
  readonly adminSecretName?: string;
  /** Public URL Grafana builds links with. @default 'http://localhost:3000' (port-forwarding) */
  readonly rootUrl?: string;
  /** CPU and memory of the container. @default 100m/500m CPU, 256Mi/512Mi memory */
  readonly containerResources?: ResourceSpec;
}

export const GRAFANA_KEYS = keysOf<GrafanaProps>()([
  'namespace', 'image', 'prometheusUrl', 'scrapeInterval', 'alertmanagerUrl', 'dashboards', 'folder', 'adminSecretName', 'rootUrl', 'containerResources',
]);

export const GRAFANA_DEFAULTS = {
  image: 'docker.io/grafana/grafana:12.1.1',
  folder: 'KnowTon',
  adminSecretName: 'grafana-admin',
  rootUrl: 'http://localhost:3000',
  containerResources: { cpuRequest: '100m', cpuLimit: '500m', memoryRequest: '256Mi', memoryLimit: '512Mi' } as ResourceSpec,
};

/** The uid of the `grafana` user of the upstream image. */
const GRAFANA_UID = 472;
const PROVISIONING = '/etc/grafana/provisioning';
const DASHBOARDS_DIR = '/var/lib/grafana/dashboards';
const SECRETS_DIR = '/etc/grafana/secrets';

/**
 * Grafana as a stateless Deployment behind `grafana-service:3000`. Everything it shows is provisioned
 * from ConfigMaps (datasources with fixed uids, dashboards read-only in the UI), so its SQLite database
 * lives on an emptyDir: users and preferences created in the UI do not survive a restart, and nothing
 * else needs to. The pod rolls when a datasource or dashboard changes (checksum annotation).
 */
export class Grafana extends Construct {
  /** The Service of the UI, and its port (also the container's). */
  static readonly SERVICE = { name: 'grafana-service', port: 3000 } as const;
  /** In-cluster address of the web UI. */
  readonly url: string;
  readonly adminSecretName: string;
  /** The provisioned dashboard models by file name. */
  readonly dashboards: Readonly<Record<string, unknown>>;

  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    const where = this.node.path;
    const ns = props.namespace;
    const image = props.image ?? GRAFANA_DEFAULTS.image;
    const folder = props.folder ?? GRAFANA_DEFAULTS.folder;
    this.adminSecretName = props.adminSecretName ?? GRAFANA_DEFAULTS.adminSecretName;
    const rootUrl = props.rootUrl ?? GRAFANA_DEFAULTS.rootUrl;
    const dashboards = props.dashboards ?? {};
    this.dashboards = dashboards;
    checkKeys(where, props, GRAFANA_KEYS);
    checkImage(where, 'image', image);
    checkDnsLabel(where, 'adminSecretName', this.adminSecretName);
    checkUrl(where, 'rootUrl', rootUrl);
    check(typeof folder === 'string' && folder.trim().length > 0, where, 'folder', folder, 'a non-empty folder title');
    for (const f of Object.keys(dashboards)) {
      check(/^[a-z0-9][a-z0-9-]*\.json$/.test(f), where, 'dashboards', f, 'file names like service-health-dashboard.json');
    }

    const name = 'grafana';
    const { labels, selector, meta } = componentIdentity(name, 'dashboards', image, ns);

    const datasources = {
      apiVersion: 1,
      datasources: [
        {
          name: 'Prometheus',
          uid: PROMETHEUS_DATASOURCE_UID,
          type: 'prometheus',
          access: 'proxy',
          url: props.prometheusUrl,
          isDefault: true,
          editable: false,
          jsonData: { httpMethod: 'POST', timeInterval: (props.scrapeInterval ?? Duration.seconds(15)).toPromDuration() },
        },
        ...(props.alertmanagerUrl
          ? [{
            name: 'Alertmanager',
            uid: ALERTMANAGER_DATASOURCE_UID,
            type: 'alertmanager',
            access: 'proxy',
            url: props.alertmanagerUrl,
            editable: false,
            jsonData: { implementation: 'prometheus', handleGrafanaManagedAlerts: false },
          }]
          : []),
      ],
    };
    const providers = {
      apiVersion: 1,
      providers: [
        {
          name: 'knowton',
          folder,
          type: 'file',
          disableDeletion: true,
          allowUiUpdates: false,
          updateIntervalSeconds: 30,
          options: { path: DASHBOARDS_DIR, foldersFromFilesStructure: false },
        },
      ],
    };
    const provisioningData = {
      'datasources.yaml': toYaml(datasources),
      'dashboards.yaml': toYaml(providers),
    };
    const dashboardData = Object.fromEntries(
      Object.keys(dashboards).sort().map((f) => [f, `${JSON.stringify(dashboards[f], null, 2)}\n`]),
    );
    const provisioning = new k8s.KubeConfigMap(this, 'Provisioning', { metadata: meta('grafana-provisioning'), data: provisioningData });
    const dashboardMap = new k8s.KubeConfigMap(this, 'Dashboards', { metadata: meta('grafana-dashboards'), data: dashboardData });

    const sa = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta(name), automountServiceAccountToken: false });
    new k8s.KubeService(this, 'Service', {
      metadata: meta(Grafana.SERVICE.name),
      spec: { selector, ports: [{ name: 'http', port: Grafana.SERVICE.port, targetPort: k8s.IntOrString.fromString('http') }] },
    });
    this.url = `http://${Grafana.SERVICE.name}.${ns}.svc:${Grafana.SERVICE.port}`;

    const env = (n: string, value: string) => ({ name: n, value });
    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: meta(name),
      spec: {
        replicas: 1,
        strategy: { type: 'RollingUpdate' },
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: { ...labels, ...selector },
            annotations: { 'checksum/provisioning': checksum([provisioningData, dashboardData]) },
          },
          spec: {
            serviceAccountName: sa.name,
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(GRAFANA_UID),
            containers: [
              {
                name,
                image,
                env: [
                  env('GF_SECURITY_ADMIN_USER__FILE', `${SECRETS_DIR}/admin-user`),
                  env('GF_SECURITY_ADMIN_PASSWORD__FILE', `${SECRETS_DIR}/admin-password`),
                  env('GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION', 'false'),
                  env('GF_SECURITY_COOKIE_SECURE', rootUrl.startsWith('https:') ? 'true' : 'false'),
                  env('GF_AUTH_ANONYMOUS_ENABLED', 'false'),
                  env('GF_USERS_ALLOW_SIGN_UP', 'false'),
                  env('GF_SERVER_ROOT_URL', rootUrl),
                  env('GF_PATHS_PROVISIONING', PROVISIONING),
                  env('GF_PATHS_DATA', '/var/lib/grafana'),
                  // No calls home from inside the cluster.
                  env('GF_ANALYTICS_REPORTING_ENABLED', 'false'),
                  env('GF_ANALYTICS_CHECK_FOR_UPDATES', 'false'),
                  env('GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', 'false'),
                  env('GF_NEWS_NEWS_FEED_ENABLED', 'false'),
                ],
                ports: [containerPort('http', Grafana.SERVICE.port)],
                readinessProbe: httpProbe('/api/health', 'http'),
                livenessProbe: httpProbe('/api/health', 'http', 15, 6),
                resources: resources(props.containerResources ?? GRAFANA_DEFAULTS.containerResources, where, 'containerResources'),
                securityContext: restrictedContainerSecurity(GRAFANA_UID),
                volumeMounts: [
                  { name: 'provisioning', mountPath: `${PROVISIONING}/datasources/datasources.yaml`, subPath: 'datasources.yaml', readOnly: true },
                  { name: 'provisioning', mountPath: `${PROVISIONING}/dashboards/dashboards.yaml`, subPath: 'dashboards.yaml', readOnly: true },
                  { name: 'dashboards', mountPath: DASHBOARDS_DIR, readOnly: true },
                  { name: 'admin', mountPath: SECRETS_DIR, readOnly: true },
                  { name: 'data', mountPath: '/var/lib/grafana' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'provisioning', configMap: { name: provisioning.name } },
              { name: 'dashboards', configMap: { name: dashboardMap.name } },
              { name: 'admin', secret: { secretName: this.adminSecretName } },
              { name: 'data', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    });
  }
}

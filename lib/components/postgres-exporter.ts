import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { check, checkDnsLabel, checkImage, checkKeys, keysOf } from '../validate';
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

export interface PostgresExporterProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** postgres-exporter image. @default 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1' */
  readonly image?: string;
  /** Secret holding the connection string; created by hand, never synthesized. @default 'postgres-exporter-dsn' */
  readonly dsnSecretName?: string;
  /** Key of the connection string (`postgresql://user:password@host:5432/db?sslmode=require`) in that Secret. @default 'dsn' */
  readonly dsnSecretKey?: string;
  /** CPU and memory of the container. @default 25m/200m CPU, 64Mi/128Mi memory */
  readonly containerResources?: ResourceSpec;
}

export const POSTGRES_EXPORTER_KEYS = keysOf<PostgresExporterProps>()(['namespace', 'image', 'dsnSecretName', 'dsnSecretKey', 'containerResources']);

export const POSTGRES_EXPORTER_DEFAULTS = {
  image: 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1',
  dsnSecretName: 'postgres-exporter-dsn',
  dsnSecretKey: 'dsn',
  containerResources: { cpuRequest: '25m', cpuLimit: '200m', memoryRequest: '64Mi', memoryLimit: '128Mi' } as ResourceSpec,
};

/** postgres-exporter: `pg_up` and `pg_stat_database_numbackends` for the database alerts. */
export class PostgresExporter extends Construct {
  /** The port of the metrics Prometheus scrapes. */
  static readonly PORT = 9187;
  readonly scrapeTarget: ServiceScrapeTarget;
  /** The Secret the operator must create, and its key. */
  readonly dsnSecret: { readonly name: string; readonly key: string };

  constructor(scope: Construct, id: string, props: PostgresExporterProps) {
    super(scope, id);
    const where = this.node.path;
    const ns = props.namespace;
    const image = props.image ?? POSTGRES_EXPORTER_DEFAULTS.image;
    this.dsnSecret = {
      name: props.dsnSecretName ?? POSTGRES_EXPORTER_DEFAULTS.dsnSecretName,
      key: props.dsnSecretKey ?? POSTGRES_EXPORTER_DEFAULTS.dsnSecretKey,
    };
    checkKeys(where, props, POSTGRES_EXPORTER_KEYS);
    checkImage(where, 'image', image);
    checkDnsLabel(where, 'dsnSecretName', this.dsnSecret.name);
    check(typeof this.dsnSecret.key === 'string' && /^[-._a-zA-Z0-9]{1,253}$/.test(this.dsnSecret.key), where, 'dsnSecretKey', this.dsnSecret.key,
      'a Secret key: letters, digits, -, _ or .');

    const name = 'postgres-exporter';
    const { labels, selector, meta } = componentIdentity(name, 'exporter', image, ns);

    const sa = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: meta(name),
      automountServiceAccountToken: false,
    });
    const service = new k8s.KubeService(this, 'Service', {
      metadata: meta(name),
      spec: { selector, ports: [{ name: 'metrics', port: PostgresExporter.PORT, targetPort: k8s.IntOrString.fromString('metrics') }] },
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
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(),
            containers: [
              {
                name,
                image,
                args: [`--web.listen-address=:${PostgresExporter.PORT}`],
                env: [
                  {
                    name: 'DATA_SOURCE_NAME',
                    valueFrom: { secretKeyRef: { name: this.dsnSecret.name, key: this.dsnSecret.key } },
                  },
                ],
                ports: [containerPort('metrics', PostgresExporter.PORT)],
                livenessProbe: httpProbe('/', 'metrics'),
                readinessProbe: httpProbe('/', 'metrics'),
                resources: resources(props.containerResources ?? POSTGRES_EXPORTER_DEFAULTS.containerResources, where, 'containerResources'),
                securityContext: restrictedContainerSecurity(),
              },
            ],
          },
        },
      },
    });

    this.scrapeTarget = { jobName: name, namespace: ns, serviceName: service.name, portName: 'metrics' };
  }
}

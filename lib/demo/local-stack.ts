/**
 * The synthesized stack on one machine: the real Prometheus and Alertmanager (Debian's packages) on
 * 127.0.0.1, loading the configs and rule files of a synthesized dist/, scraping the demo exporter,
 * and notifying a local stand-in for Slack, PagerDuty and the heartbeat service.
 *
 * What differs from a cluster, and only that: Kubernetes discovery becomes static targets (with
 * the labels the relabelling would give), credential files hold local URLs, and, when `timings` is
 * given, the stack is synthesized with shorter intervals so that alerts fire in seconds. Both go
 * through StackConfig (scrape and evaluation intervals, per-alert `for` overrides, Alertmanager
 * timings and endpoints), not through edits of the output. With `timings`, Prometheus also re-sends
 * firing alerts every interval rather than every minute (--rules.alert.resend-delay).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { ruleGroups } from '../../rules';
import { SECRET_KEYS, SLACK_CHANNEL_KEYS, slackChannelSecretKey } from '../alertmanager';
import type { AlertOverride } from '../alerting';
import { environmentConfig, StackConfig } from '../config';
import { ruleContextOf } from '../stack';
import { synthesize } from '../synth';
import { Duration } from '../units';
import { dashboardModels, loadObjects, localPrometheusConfig, prometheusFiles, withLocalServiceAccount, writeAlertmanagerFiles } from './dist';
import { DemoExporter } from './exporter';
import { freePort, Server } from './processes';
import { NotificationReceiver } from './receiver';
import type { ScenarioName } from './scenarios';

/** Shorter timings for a local run. */
export interface LocalTimings {
  /** Scrape and rule evaluation interval. */
  readonly interval: Duration;
  /** Longest `for` of any alert: longer ones are shortened to it. At least two intervals (the rules' validation says why). */
  readonly alertFor: Duration;
  /** Alertmanager's group_wait and group_interval, for every severity. */
  readonly groupWait: Duration;
  readonly groupInterval: Duration;
}

/** For the end-to-end test: everything within a few seconds. */
export const TEST_TIMINGS: LocalTimings = {
  interval: Duration.seconds(1),
  alertFor: Duration.seconds(2),
  groupWait: Duration.seconds(1),
  groupInterval: Duration.seconds(1),
};

/** For `npm run demo`: alerts fire within a minute of a scenario switch. */
export const DEMO_TIMINGS: LocalTimings = {
  interval: Duration.seconds(5),
  alertFor: Duration.seconds(15),
  groupWait: Duration.seconds(5),
  groupInterval: Duration.seconds(30),
};

export interface LocalStackOptions {
  /** The configuration to synthesize. @default environmentConfig('dev') */
  readonly config?: StackConfig;
  /** Scenario the demo exporter starts in. @default 'healthy' */
  readonly scenario?: ScenarioName;
  /** Pods per application service, each a scrape target (see DemoExporterOptions.replicas). @default one each */
  readonly replicas?: Readonly<Record<string, number>>;
  /** Shorter timings; undefined keeps those of `config` (alerts then take their real `for`). @default undefined */
  readonly timings?: LocalTimings;
  /** Working directory (dist/, data, secrets); removed by stop() when it was created here. @default a new temporary directory */
  readonly dir?: string;
}

const HOST = '127.0.0.1';

/** The configuration actually synthesized: `config` with local endpoints and, if given, shorter timings. */
export function localStackConfig(config: StackConfig, receiverUrl: string, timings?: LocalTimings): StackConfig {
  const alertmanager = {
    ...config.alertmanager,
    pagerdutyUrl: `${receiverUrl}/pagerduty`,
    heartbeatUrl: `${receiverUrl}/heartbeat`,
    // No SMTP server runs here (prod's email receiver would only fail, and raise AlertmanagerNotificationsFailing).
    email: undefined,
  };
  if (!timings) return { ...config, alertmanager };
  const min = (a: Duration, b: Duration): Duration => (a.compare(b) <= 0 ? a : b);
  const alerts: Record<string, AlertOverride> = { ...config.alerts };
  for (const alert of ruleGroups(ruleContextOf(config)).flatMap((g) => g.alerts)) {
    alerts[alert.name] = { ...alerts[alert.name], for: min(alerts[alert.name]?.for ?? alert.for, timings.alertFor) };
  }
  const fast = { groupWait: timings.groupWait, groupInterval: timings.groupInterval };
  return {
    ...config,
    prometheus: {
      ...config.prometheus,
      scrapeInterval: timings.interval,
      scrapeTimeout: min(config.prometheus?.scrapeTimeout ?? timings.interval, timings.interval),
      evaluationInterval: timings.interval,
    },
    alertmanager: { ...alertmanager, timings: { critical: fast, warning: fast, info: fast, default: fast } },
    alerts,
  };
}

/** The path of a server binary: an environment variable, else the first of `names` on PATH. */
function binary(envVar: string, names: string[], pkg: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of names) {
      const p = path.join(dir, name);
      if (fs.existsSync(p)) return p;
    }
  }
  throw new Error(`${names.join(' or ')} is not on PATH: install Debian's package ${pkg} (apt-get install ${pkg}) or set ${envVar}`);
}

export class LocalStack {
  private stopped = false;

  private constructor(
    /** The directory holding dist/, the servers' data and the stand-in secrets. */
    readonly dir: string,
    private readonly ownsDir: boolean,
    /** The synthesized dist/ the servers run. */
    readonly distDir: string,
    readonly exporter: DemoExporter,
    readonly receiver: NotificationReceiver,
    /** One Prometheus per replica of the configuration, and their URLs. */
    readonly prometheus: readonly Server[],
    readonly prometheusUrls: readonly string[],
    /** One Alertmanager per replica of the configuration (a gossip cluster when several), and their URLs. */
    readonly alertmanager: readonly Server[],
    readonly alertmanagerUrls: readonly string[],
    /** The synthesized dashboards, by file name. */
    readonly dashboards: Readonly<Record<string, any>>,
    /** The interval Prometheus scrapes and evaluates at. */
    readonly interval: Duration,
    /** The files the servers run, for a test that injects a fault and reloads: each Prometheus's prometheus.yml, */
    readonly prometheusConfigFiles: readonly string[],
    /** the directory of the rule files (every `*.yml` in it is loaded), */
    readonly rulesDir: string,
    /**
     * and each Alertmanager's alertmanager.yml: byte-identical copies, one per replica, so that a test
     * can make one member's configuration differ (its hash, alertmanager_config_hash, then differs).
     */
    readonly alertmanagerConfigFiles: readonly string[],
  ) {}

  /** The first Alertmanager's alertmanager.yml (the only one without a cluster). */
  get alertmanagerConfigFile(): string {
    return this.alertmanagerConfigFiles[0];
  }

  /** The first Prometheus. */
  get prometheusUrl(): string {
    return this.prometheusUrls[0];
  }

  /** The first Alertmanager. */
  get alertmanagerUrl(): string {
    return this.alertmanagerUrls[0];
  }

  /**
   * Synthesizes, starts everything, and resolves when every server is ready; on failure stops what
   * it started. As many Prometheus and Alertmanager servers run as the configuration has replicas.
   */
  static async start(options: LocalStackOptions = {}): Promise<LocalStack> {
    // A free port is found by binding and closing it: another stack starting beside this one, or an
    // outgoing connection, may take it before the server binds it (seen with several e2e files at once).
    for (let attempt = 1; ; attempt++) {
      try {
        return await LocalStack.startOnce(options);
      } catch (err) {
        if (attempt >= 3 || !/address already in use/.test(String(err))) throw err;
      }
    }
  }

  private static async startOnce(options: LocalStackOptions): Promise<LocalStack> {
    const prometheusBin = binary('KNOWTON_PROMETHEUS_BIN', ['prometheus'], 'prometheus');
    const alertmanagerBin = binary('KNOWTON_ALERTMANAGER_BIN', ['prometheus-alertmanager', 'alertmanager'], 'prometheus-alertmanager');
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'knowton-local-'));
    const started: Array<{ stop(): Promise<void> }> = [];
    try {
      const receiver = await NotificationReceiver.start(HOST);
      started.push(receiver);
      const base = options.config ?? environmentConfig('dev');
      const config = localStackConfig(base, receiver.url, options.timings);
      const distDir = path.join(dir, 'dist');
      synthesize(config, distDir);
      const objects = loadObjects(distDir);
      const namespace = config.namespace ?? 'knowton-dev';
      const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

      const exporter = await DemoExporter.start({ scenario: options.scenario, namespace, replicas: options.replicas });
      started.push(exporter);

      // Alertmanager, with the receivers' credential files pointing at the stand-in.
      const amDir = path.join(dir, 'alertmanager');
      const secrets = path.join(amDir, 'secrets');
      fs.mkdirSync(secrets, { recursive: true });
      // Every Slack webhook key, whichever slackMode the profile has: all post to the one stand-in.
      for (const key of [SECRET_KEYS.slackWebhookUrl, ...SLACK_CHANNEL_KEYS.map(slackChannelSecretKey)]) {
        fs.writeFileSync(path.join(secrets, key), `${receiver.url}/slack\n`);
      }
      fs.writeFileSync(path.join(secrets, SECRET_KEYS.pagerdutyRoutingKey), 'local-routing-key\n');
      const amConfig = writeAlertmanagerFiles(objects, amDir, secrets);
      const amReplicas = range(config.alertmanager?.replicas ?? 1);
      const amPorts = await Promise.all(amReplicas.map(() => freePort(HOST)));
      const meshPorts = await Promise.all(amReplicas.map(() => freePort(HOST)));
      const amAddresses = amPorts.map((port) => `${HOST}:${port}`);
      const alertmanagerUrls = amAddresses.map((a) => `http://${a}`);
      const alertmanagerConfigFiles = amReplicas.map((i) => {
        const file = path.join(amDir, `alertmanager-${i}.yml`);
        fs.copyFileSync(amConfig, file);
        return file;
      });
      const alertmanager = amReplicas.map((i) => {
        const server = new Server(alertmanagerBin, [
          `--config.file=${alertmanagerConfigFiles[i]}`,
          `--storage.path=${path.join(amDir, `data-${i}`)}`,
          `--web.listen-address=${amAddresses[i]}`,
          `--web.external-url=${alertmanagerUrls[0]}`,
          // A gossip cluster as in the StatefulSet, or none for one replica.
          ...(amReplicas.length > 1
            ? [
                `--cluster.listen-address=${HOST}:${meshPorts[i]}`,
                `--cluster.advertise-address=${HOST}:${meshPorts[i]}`,
                ...meshPorts.map((p) => `--cluster.peer=${HOST}:${p}`),
                // How long a replica waits per position for another's notification (15s by default).
                ...(options.timings ? [`--cluster.peer-timeout=${options.timings.groupWait.toPromDuration()}`] : []),
                // A member is ready once the gossip has settled: the peer count checked every ten gossip
                // intervals (200ms by default), stable four times in a row, about 9s. Gossip every 50ms
                // settles it in about 2s.
                ...(options.timings ? ['--cluster.gossip-interval=50ms'] : []),
              ]
            : ['--cluster.listen-address=']),
        ]);
        started.push(server);
        return server;
      });

      // Prometheus, scraping the demo exporter and the local Alertmanagers.
      const promDir = path.join(dir, 'prometheus');
      const rulesDir = path.join(promDir, 'rules');
      fs.mkdirSync(rulesDir, { recursive: true });
      const { config: promConfig, rules } = prometheusFiles(objects);
      for (const [f, text] of Object.entries(rules)) fs.writeFileSync(path.join(rulesDir, f), text);
      const promReplicas = range(config.prometheus?.replicas ?? 1);
      const promPorts = await Promise.all(promReplicas.map(() => freePort(HOST)));
      const prometheusUrls = promPorts.map((port) => `http://${HOST}:${port}`);
      const prometheusConfigFiles: string[] = [];
      const prometheus = promReplicas.map((i) => {
        const local = localPrometheusConfig(promConfig, {
          selfAddress: `${HOST}:${promPorts[i]}`,
          rulesDir,
          targets: {
            ...exporter.targets,
            alertmanager: amReplicas.map((j) => ({ targets: [amAddresses[j]], labels: { namespace, pod: `alertmanager-${j}`, node: exporter.node } })),
            // every replica scrapes every replica, as through the headless Service's endpoints
            prometheus: promReplicas.map((j) => ({ targets: [`${HOST}:${promPorts[j]}`], labels: { namespace, pod: `prometheus-${j}`, node: exporter.node } })),
          },
          alertmanagers: amAddresses,
        });
        const mounted = withLocalServiceAccount(local, promDir);
        // The service account's CA bundle, which in a cluster signs the kubelets' certificates, is here
        // the demo cAdvisor's: Prometheus refuses a job whose ca_file is not a certificate.
        for (const job of mounted.scrape_configs) {
          if (job.tls_config?.ca_file) fs.writeFileSync(job.tls_config.ca_file, exporter.caCertificate);
        }
        const configFile = path.join(promDir, `prometheus-${i}.yml`);
        fs.writeFileSync(configFile, stringify(mounted, { lineWidth: 0 }));
        prometheusConfigFiles.push(configFile);
        const server = new Server(
          prometheusBin,
          [
            `--config.file=${configFile}`,
            `--storage.tsdb.path=${path.join(promDir, `data-${i}`)}`,
            `--web.listen-address=${HOST}:${promPorts[i]}`,
            `--web.external-url=${prometheusUrls[i]}`,
            '--web.enable-lifecycle',
            // Prometheus 3 expands ${POD_NAME} in external labels (each replica names itself);
            // Debian's 2.x needs this flag for it.
            ...(JSON.stringify(promConfig.global?.external_labels ?? {}).includes('${') ? ['--enable-feature=expand-external-labels'] : []),
            // Prometheus finds its Alertmanagers a few seconds after it starts evaluating; an alert
            // that fired before is re-sent only after this delay (1m by default).
            ...(options.timings ? [`--rules.alert.resend-delay=${options.timings.interval.toPromDuration()}`] : []),
          ],
          // What the StatefulSet sets from the pod's name.
          { POD_NAME: `prometheus-${i}` },
        );
        started.push(server);
        return server;
      });

      await Promise.all([
        ...alertmanager.map((s, i) => s.ready(`${alertmanagerUrls[i]}/-/ready`)),
        ...prometheus.map((s, i) => s.ready(`${prometheusUrls[i]}/-/ready`)),
      ]);
      const interval = config.prometheus?.scrapeInterval ?? Duration.seconds(15);
      return new LocalStack(dir, ownsDir, distDir, exporter, receiver, prometheus, prometheusUrls, alertmanager, alertmanagerUrls, dashboardModels(distDir), interval, prometheusConfigFiles, rulesDir, alertmanagerConfigFiles);
    } catch (err) {
      for (const s of started.reverse()) await s.stop().catch(() => undefined);
      if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Stops the servers, the exporter and the receiver; removes the working directory it created. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled([...this.prometheus, ...this.alertmanager].map((s) => s.stop()));
    await Promise.allSettled([this.exporter.stop(), this.receiver.stop()]);
    if (this.ownsDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** POST /-/reload to every Prometheus (`which: 'prometheus'`) or Alertmanager; resolves to each answer's status. */
  async reload(which: 'prometheus' | 'alertmanager'): Promise<number[]> {
    const urls = which === 'prometheus' ? this.prometheusUrls : this.alertmanagerUrls;
    return Promise.all(urls.map(async (u) => (await fetch(`${u}/-/reload`, { method: 'POST' })).status));
  }

  /** Runs an instant PromQL query; throws on an error answer. */
  async query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    const res = await fetch(`${this.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as any;
    if (body.status !== 'success') throw new Error(`query ${expr}: ${body.errorType}: ${body.error}`);
    return body.data.resultType === 'vector' ? body.data.result : [{ metric: {}, value: body.data.result }];
  }
}

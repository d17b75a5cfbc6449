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
import { SECRET_KEYS } from '../alertmanager';
import type { AlertOverride } from '../alerting';
import { environmentConfig, StackConfig } from '../config';
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
  };
  if (!timings) return { ...config, alertmanager };
  const min = (a: Duration, b: Duration): Duration => (a.compare(b) <= 0 ? a : b);
  const alerts: Record<string, AlertOverride> = { ...config.alerts };
  for (const alert of ruleGroups().flatMap((g) => g.alerts)) {
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
    readonly prometheus: Server,
    readonly prometheusUrl: string,
    readonly alertmanager: Server,
    readonly alertmanagerUrl: string,
    /** The synthesized dashboards, by file name. */
    readonly dashboards: Readonly<Record<string, any>>,
    /** The interval Prometheus scrapes and evaluates at. */
    readonly interval: Duration,
  ) {}

  /** Synthesizes, starts everything, and resolves when both servers are ready; on failure stops what it started. */
  static async start(options: LocalStackOptions = {}): Promise<LocalStack> {
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

      const exporter = await DemoExporter.start({ scenario: options.scenario, namespace });
      started.push(exporter);

      // Alertmanager, with the receivers' credential files pointing at the stand-in.
      const amDir = path.join(dir, 'alertmanager');
      const secrets = path.join(amDir, 'secrets');
      fs.mkdirSync(secrets, { recursive: true });
      fs.writeFileSync(path.join(secrets, SECRET_KEYS.slackWebhookUrl), `${receiver.url}/slack\n`);
      fs.writeFileSync(path.join(secrets, SECRET_KEYS.pagerdutyRoutingKey), 'local-routing-key\n');
      const amConfig = writeAlertmanagerFiles(objects, amDir, secrets);
      const amPort = await freePort(HOST);
      const alertmanagerUrl = `http://${HOST}:${amPort}`;
      const alertmanager = new Server(alertmanagerBin, [
        `--config.file=${amConfig}`,
        `--storage.path=${path.join(amDir, 'data')}`,
        `--web.listen-address=${HOST}:${amPort}`,
        `--web.external-url=${alertmanagerUrl}`,
        // No gossip: one replica.
        '--cluster.listen-address=',
      ]);
      started.push(alertmanager);

      // Prometheus, scraping the demo exporter and the local Alertmanager.
      const promDir = path.join(dir, 'prometheus');
      const rulesDir = path.join(promDir, 'rules');
      fs.mkdirSync(rulesDir, { recursive: true });
      const { config: promConfig, rules } = prometheusFiles(objects);
      for (const [f, text] of Object.entries(rules)) fs.writeFileSync(path.join(rulesDir, f), text);
      const promPort = await freePort(HOST);
      const prometheusUrl = `http://${HOST}:${promPort}`;
      const local = localPrometheusConfig(promConfig, {
        selfAddress: `${HOST}:${promPort}`,
        rulesDir,
        targets: {
          ...exporter.targets,
          alertmanager: [{ targets: [`${HOST}:${amPort}`], labels: { namespace, pod: 'alertmanager-0', node: exporter.node } }],
        },
        alertmanagers: [`${HOST}:${amPort}`],
      });
      const mounted = withLocalServiceAccount(local, promDir);
      // The service account's CA bundle, which in a cluster signs the kubelets' certificates, is here
      // the demo cAdvisor's: Prometheus refuses a job whose ca_file is not a certificate.
      for (const job of mounted.scrape_configs) {
        if (job.tls_config?.ca_file) fs.writeFileSync(job.tls_config.ca_file, exporter.caCertificate);
      }
      const promConfigFile = path.join(promDir, 'prometheus.yml');
      fs.writeFileSync(promConfigFile, stringify(mounted, { lineWidth: 0 }));
      const prometheus = new Server(prometheusBin, [
        `--config.file=${promConfigFile}`,
        `--storage.tsdb.path=${path.join(promDir, 'data')}`,
        `--web.listen-address=${HOST}:${promPort}`,
        `--web.external-url=${prometheusUrl}`,
        '--web.enable-lifecycle',
        // Prometheus finds its Alertmanagers a few seconds after it starts evaluating; an alert
        // that fired before is re-sent only after this delay (1m by default).
        ...(options.timings ? [`--rules.alert.resend-delay=${options.timings.interval.toPromDuration()}`] : []),
      ]);
      started.push(prometheus);

      await Promise.all([alertmanager.ready(`${alertmanagerUrl}/-/ready`), prometheus.ready(`${prometheusUrl}/-/ready`)]);
      const interval = config.prometheus?.scrapeInterval ?? Duration.seconds(15);
      return new LocalStack(dir, ownsDir, distDir, exporter, receiver, prometheus, prometheusUrl, alertmanager, alertmanagerUrl, dashboardModels(distDir), interval);
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
    await Promise.allSettled([this.prometheus.stop(), this.alertmanager.stop()]);
    await Promise.allSettled([this.exporter.stop(), this.receiver.stop()]);
    if (this.ownsDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs an instant PromQL query; throws on an error answer. */
  async query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    const res = await fetch(`${this.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as any;
    if (body.status !== 'success') throw new Error(`query ${expr}: ${body.errorType}: ${body.error}`);
    return body.data.resultType === 'vector' ? body.data.result : [{ metric: {}, value: body.data.result }];
  }
}

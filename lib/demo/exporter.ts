/**
 * The demo exporter: in-process HTTP servers that look, to a Prometheus scraping them, like the
 * KnowTon services and the exporters of a small cluster, with figures driven by a scenario (see
 * scenarios.ts). The services' metrics go through the real instrumentation (createInstruments,
 * metricsHandler, BusinessMetricsExporter); the exporters' metrics are built from the catalog, so
 * names and labels cannot drift from what the rules and dashboards query.
 */
import { createHash } from 'crypto';
import * as http from 'http';
import * as https from 'https';
import { AddressInfo } from 'net';
import { Counter, Gauge, Registry } from 'prom-client';
import { cadvisor, CADVISOR, KUBE_STATE_METRICS, kubeStateMetrics, KUBELET, kubelet, Metric, NODE_EXPORTER, nodeExporter, postgres, POSTGRES_EXPORTER } from '../catalog';
import { APP_JOB } from '../components/prometheus-config';
import { BusinessCollectors, BusinessMetricsExporter, createInstruments, Instruments, metricsHandler, Timeframe } from '../instrumentation';
import { Duration, Ratio, Seconds, Units } from '../units';
import type { StaticConfig } from './dist';
import { checkScenario, CONTAINER_LIMITS, Scenario, SCENARIO_NAMES, ScenarioName, SCENARIOS, ServiceTraffic } from './scenarios';
import { selfSignedCertificate } from './tls';

export interface DemoExporterOptions {
  /** The scenario to start in. @default 'healthy' */
  readonly scenario?: ScenarioName;
  /** Namespace of the application pods, and of kube-state-metrics and postgres-exporter. @default 'knowton-dev' */
  readonly namespace?: string;
  /** The application services (job `knowton-<service>`). @default ['backend', 'ai-service'] */
  readonly services?: readonly string[];
  /**
   * Pods per service, each its own scrape target, sharing the service's HTTP traffic; every pod of
   * the backend runs the business metrics exporter against the one database, like real replicas.
   * @default 1 for every service
   */
  readonly replicas?: Readonly<Record<string, number>>;
  /** Name of the node every pod runs on. @default 'worker-1' */
  readonly node?: string;
  /** How often traffic is simulated. @default Duration.millis(200) */
  readonly tickInterval?: Duration;
  /** Interval of the backend's BusinessMetricsExporter. @default Duration.seconds(1) */
  readonly businessInterval?: Duration;
  /** Address every server listens on. @default '127.0.0.1' */
  readonly host?: string;
}

/** One scrape endpoint of the demo, for callers that scrape it directly (tests). */
export interface DemoEndpoint {
  /** The job_name of the synthesized prometheus.yml that scrapes it. */
  readonly jobName: string;
  /** Full URL, scheme and path included. */
  readonly url: string;
  /** The labels the scrape adds (those of its static config). */
  readonly labels: Readonly<Record<string, string>>;
}

const SEC = Units.SECONDS;
const RATIO = Units.RATIO;
const PER_SECOND = Units.PER_SECOND;

/** A pod of the demo cluster, named the way a Deployment names it. */
interface Pod {
  readonly service: string;
  readonly name: string;
  readonly uid: string;
  readonly image: string;
  /** cAdvisor's cgroup path and container id. */
  readonly cgroup: string;
  readonly containerId: string;
}

const CATEGORIES = ['music', 'art', 'video'] as const;
const CREATORS = ['0x5a1f', '0x9c3e', '0x2b7d', '0xe41a'] as const;
const PAIRS = ['KNOW/USDC', 'KNOW/ETH'] as const;
const NETWORK = 'arbitrum';
const TX_OPERATIONS = ['mint', 'transfer'] as const;
const AI_OPERATIONS = ['fingerprinting', 'valuation', 'recommendation'] as const;
const DATABASES: Readonly<Record<string, string>> = { knowton: '16384', postgres: '13757' };
const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
const ROUTES: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  backend: [
    ['GET', '/api/v1/nfts'],
    ['GET', '/api/v1/nfts/:id'],
    ['POST', '/api/v1/nfts'],
    ['GET', '/api/v1/marketplace/listings'],
    ['POST', '/api/v1/auth/login'],
  ],
  'ai-service': [
    ['POST', '/api/v1/fingerprint'],
    ['POST', '/api/v1/valuation'],
    ['GET', '/api/v1/recommendations'],
  ],
  default: [
    ['GET', '/api/v1/status'],
    ['POST', '/api/v1/events'],
  ],
};
/**
 * After a stall of the event loop (a debugger, a suspended laptop), at most this much time is
 * simulated at once, so one tick cannot produce thousands of histogram observations.
 */
const MAX_TICK_SECONDS = 2;
const GIB = 1024 ** 3;
/** Longer than the local stack's 1 s scrape interval: see simulateBackend. */
const MINT_WARMUP_MS = 1500;
/** How often the figures of the demo's database change (see collectors()). */
const DATABASE_REFRESH_MS = 5000;
/** How often a crash-looping container restarts: often enough that a few seconds' window of a local run sees one. */
const CRASHES_PER_SECOND = 0.5;

const uniform = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
/** ±10 % noise, so graphs do not look flat. */
const jitter = (x: number): number => x * uniform(0.9, 1.1);

/** Deterministic pseudo-random text from `seed`, in `alphabet`. */
function stableId(seed: string, length: number, alphabet: string): string {
  const digest = createHash('sha256').update(seed).digest();
  return Array.from({ length }, (_, i) => alphabet[digest[i % digest.length] % alphabet.length]).join('');
}
// The alphabet Kubernetes uses for generated name suffixes.
const KUBE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const HEX = '0123456789abcdef';

function makePod(namespace: string, service: string, replica = 0): Pod {
  // The first replica keeps the name a one-replica run gives.
  const seed = replica === 0 ? `${namespace}/${service}` : `${namespace}/${service}/${replica}`;
  const uidHex = stableId(`uid:${seed}`, 32, HEX);
  const uid = `${uidHex.slice(0, 8)}-${uidHex.slice(8, 12)}-${uidHex.slice(12, 16)}-${uidHex.slice(16, 20)}-${uidHex.slice(20)}`;
  const containerId = stableId(`container:${seed}`, 64, HEX);
  return {
    service,
    name: `${service}-${stableId(`rs:${seed}`, 9, KUBE_ALPHABET)}-${stableId(`pod:${seed}`, 5, KUBE_ALPHABET)}`,
    uid,
    image: `ghcr.io/knowton/${service}:1.4.2`,
    cgroup: `/kubepods/burstable/pod${uid}`,
    containerId,
  };
}

/** A prom-client counter or gauge with exactly a catalog metric's name, help and own labels. */
function gaugeOf(m: Metric, registry: Registry): Gauge<string> {
  return new Gauge({ name: m.name, help: m.help, labelNames: [...m.ownLabels], registers: [registry] });
}
function counterOf(m: Metric, registry: Registry): Counter<string> {
  return new Counter({ name: m.name, help: m.help, labelNames: [...m.ownLabels], registers: [registry] });
}

/** Turns a rate into whole events per tick, carrying the fractions over so that slow rates still happen. */
class EventClock {
  // A random phase, so that slow rates do not all wait a full period for their first event.
  private carry = Math.random();
  events(perSecond: number, dt: number): number {
    this.carry += jitter(perSecond) * dt;
    const n = Math.floor(this.carry);
    this.carry -= n;
    return n;
  }
}

/**
 * Chooses `share` of a stream of events, evenly spaced rather than at random: the rules read ratios
 * over 5-minute windows, and in the first seconds of a run one unlucky failure out of a handful of
 * events (1 of 2 blockchain transactions) would look like an incident.
 */
class Proportion {
  private acc = 0;
  next(share: number): boolean {
    this.acc += share;
    if (this.acc < 1) return false;
    this.acc -= 1;
    return true;
  }
}

/** One application service: its own registry from the real instrumentation, and its traffic clocks. */
interface App {
  readonly pod: Pod;
  /** This pod's share of its service's traffic: 1 / the service's replicas. */
  readonly share: number;
  readonly instruments: Instruments;
  readonly requests: EventClock;
  readonly mints: EventClock;
  readonly transactions: EventClock;
  readonly aiJobs: EventClock;
  readonly cache: EventClock;
  readonly kafka: EventClock;
}

type AnyServer = http.Server | https.Server;

export class DemoExporter {
  /** Starts every server and the simulation; resolves when all listen. */
  static async start(options: DemoExporterOptions = {}): Promise<DemoExporter> {
    const exporter = new DemoExporter(options);
    try {
      await exporter.listen();
    } catch (err) {
      await exporter.stop();
      throw err;
    }
    return exporter;
  }

  readonly namespace: string;
  readonly node: string;
  readonly services: readonly string[];
  readonly host: string;
  /** Static scrape targets per job_name of the synthesized prometheus.yml (APP_JOB, kubelet-cadvisor, kubelet, kube-state-metrics, node-exporter, postgres-exporter). */
  readonly targets: Readonly<Record<string, StaticConfig[]>> = {};
  /** Every scrape endpoint, with its job name and labels. */
  readonly endpoints: DemoEndpoint[] = [];
  /** URL of the control endpoint: GET gives the scenarios, POST or PUT (body or ?name=) switches. */
  get controlUrl(): string {
    return this.control_;
  }
  /**
   * PEM of the self-signed certificate of the HTTPS cAdvisor and kubelet endpoints. Prometheus refuses to create
   * a scrape pool whose tls_config.ca_file is not a valid PEM, even with insecure_skip_verify: a
   * local run writes this into the ca_file the synthesized job names.
   */
  get caCertificate(): string {
    return this.certificate;
  }

  private current: ScenarioName;
  private control_ = '';
  private certificate = '';
  private readonly tickMs: number;
  private readonly businessInterval: Duration;
  private readonly apps: App[];
  private readonly backend: App;
  private readonly ai: App;
  private readonly servers: AnyServer[] = [];
  private timer?: NodeJS.Timeout;
  private readonly business: BusinessMetricsExporter[] = [];
  private lastTick = Date.now();
  private stopped?: Promise<void>;
  /** NFTs minted since start, added to the platform total the collectors report. */
  private minted = 0;
  /** CPU cores the app containers use, for node-exporter's user time. */
  private nodeCpuShare = 0;
  /** When the mint series were created; undefined until a scenario mints. */
  private mintingSince?: number;

  // kube-state-metrics, cAdvisor, the kubelet, node-exporter and postgres-exporter: one registry each.
  private readonly ksm = new Registry();
  private readonly cadvisorRegistry = new Registry();
  /** The kubelet's own /metrics: the volume stats of Prometheus's claim. */
  private readonly kubeletRegistry = new Registry();
  private readonly node_ = new Registry();
  private readonly pg = new Registry();
  private readonly cpuUsage = counterOf(cadvisor.cpuUsage, this.cadvisorRegistry);
  private readonly memoryWorkingSet = gaugeOf(cadvisor.memoryWorkingSet, this.cadvisorRegistry);
  private readonly nodeCpu = counterOf(nodeExporter.cpuSeconds, this.node_);
  private readonly pgUp = gaugeOf(postgres.up, this.pg);
  private readonly pgBackends = gaugeOf(postgres.backends, this.pg);
  private readonly pgMaxConnections = gaugeOf(postgres.maxConnections, this.pg);
  private readonly nodeMemoryAvailable = gaugeOf(nodeExporter.memoryAvailable, this.node_);
  private readonly nodeFsAvailable = gaugeOf(nodeExporter.filesystemAvailable, this.node_);
  private readonly restarts = counterOf(kubeStateMetrics.containerRestarts, this.ksm);
  private readonly waiting = gaugeOf(kubeStateMetrics.containerWaiting, this.ksm);
  /** Restarts of a crash-looping container: one every few seconds (CrashLoopBackOff's back-off, compressed like the rest). */
  private readonly crashes = new EventClock();

  private constructor(options: DemoExporterOptions) {
    const fail = (field: string, value: unknown, allowed: string): never => {
      throw new Error(`DemoExporter: ${field} must be ${allowed}, got ${JSON.stringify(value)}`);
    };
    this.current = checkScenario(options.scenario ?? 'healthy');
    this.namespace = options.namespace ?? 'knowton-dev';
    this.node = options.node ?? 'worker-1';
    this.host = options.host ?? '127.0.0.1';
    this.services = [...(options.services ?? ['backend', 'ai-service'])];
    const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
    if (!dnsLabel.test(this.namespace)) fail('namespace', this.namespace, 'a DNS label (lowercase letters, digits, -)');
    if (!/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(this.node)) fail('node', this.node, 'a DNS name (lowercase letters, digits, - and .)');
    if (this.services.length === 0) fail('services', this.services, 'a non-empty list of service names');
    for (const s of this.services) if (!dnsLabel.test(s) || s.length > 40) fail('services', s, 'DNS labels of at most 40 characters');
    if (new Set(this.services).size !== this.services.length) fail('services', this.services, 'a list without duplicates');
    this.tickMs = (options.tickInterval ?? Duration.millis(200)).toMillis();
    if (this.tickMs <= 0) fail('tickInterval', `${this.tickMs} ms`, 'a positive duration');
    this.businessInterval = options.businessInterval ?? Duration.seconds(1);
    if (this.businessInterval.toMillis() <= 0) fail('businessInterval', `${this.businessInterval.toMillis()} ms`, 'a positive duration');

    const replicas = options.replicas ?? {};
    for (const [service, n] of Object.entries(replicas)) {
      if (!this.services.includes(service)) fail(`replicas.${service}`, n, `a service of ${JSON.stringify(this.services)}`);
      if (!Number.isInteger(n) || n < 1 || n > 10) fail(`replicas.${service}`, n, 'a whole number from 1 to 10');
    }
    this.apps = this.services.flatMap((service) => Array.from({ length: replicas[service] ?? 1 }, (_, replica) => ({
      pod: makePod(this.namespace, service, replica),
      share: 1 / (replicas[service] ?? 1),
      // The real instrumentation, one registry per service as in separate processes.
      instruments: createInstruments(),
      requests: new EventClock(),
      mints: new EventClock(),
      transactions: new EventClock(),
      aiJobs: new EventClock(),
      cache: new EventClock(),
      kafka: new EventClock(),
    })));
    // The backend mints, talks to the chain, the database and Redis; the ai-service runs the models.
    // With other service names the first one plays both parts, so every metric is still exposed.
    this.backend = this.apps.find((a) => a.pod.service === 'backend') ?? this.apps[0];
    this.ai = this.apps.find((a) => a.pod.service === 'ai-service') ?? this.backend;
    this.initialiseSeries();
    this.refreshGauges();
  }

  get scenario(): ScenarioName {
    return this.current;
  }

  /** Switches the scenario; the next tick and the next scrape follow it. */
  setScenario(name: ScenarioName): void {
    this.current = checkScenario(name, 'DemoExporter.setScenario', 'name');
    this.refreshGauges();
  }

  /** Closes every server, stops the simulation and the BusinessMetricsExporter. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      clearInterval(this.timer);
      await Promise.all(this.business.map((b) => b.stop()));
      await Promise.all(
        this.servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (!s.listening) return resolve();
              s.close(() => resolve());
              // Prometheus keeps its scrape connections open: close them, or close() waits for them.
              s.closeAllConnections();
            }),
        ),
      );
    })();
    return this.stopped;
  }

  private get params(): Scenario {
    return SCENARIOS[this.current];
  }

  private traffic(service: string): ServiceTraffic {
    return this.params.http[service] ?? this.params.http.default;
  }

  private async listen(): Promise<void> {
    const add = (jobName: string, url: string, labels: Record<string, string>): void => {
      const target = new URL(url).host;
      const list = ((this.targets as Record<string, StaticConfig[]>)[jobName] ??= []);
      list.push({ targets: [target], labels });
      this.endpoints.push({ jobName, url, labels });
    };
    for (const app of this.apps) {
      const { service, name } = app.pod;
      const handler = metricsHandler(app.instruments.registry);
      const base = await this.serve((req, res) => {
        // A pod that is down: the connection is dropped, as by a crashed process.
        if (this.params.unavailable.includes(service)) req.socket.destroy();
        else handler(req, res);
      });
      // The labels the relabelling of the knowton-apps job derives from the pod.
      add(APP_JOB, `${base}/metrics`, { job: `knowton-${service}`, service, namespace: this.namespace, pod: name });
    }
    const endpointLabels = (pod: string | undefined, namespace = this.namespace) => ({ namespace, pod: pod ?? '', node: this.node });
    add(KUBE_STATE_METRICS.job, `${await this.serve(this.exporterHandler(KUBE_STATE_METRICS.job, metricsHandler(this.ksm)))}/metrics`, endpointLabels(KUBE_STATE_METRICS.examples?.pod));
    const tls = selfSignedCertificate(this.host);
    this.certificate = tls.cert;
    const cadvisorPath = '/metrics/cadvisor';
    add(CADVISOR.job, `${await this.serve(this.exporterHandler(CADVISOR.job, metricsHandler(this.cadvisorRegistry, { path: cadvisorPath })), tls)}${cadvisorPath}`, { node: this.node });
    add(KUBELET.job, `${await this.serve(this.exporterHandler(KUBELET.job, metricsHandler(this.kubeletRegistry)), tls)}/metrics`, { node: this.node });
    add(NODE_EXPORTER.job, `${await this.serve(this.exporterHandler(NODE_EXPORTER.job, metricsHandler(this.node_)))}/metrics`, endpointLabels(NODE_EXPORTER.examples?.pod, `${this.namespace}-node-exporter`));
    add(POSTGRES_EXPORTER.job, `${await this.serve(this.exporterHandler(POSTGRES_EXPORTER.job, metricsHandler(this.pg)))}/metrics`, endpointLabels(POSTGRES_EXPORTER.examples?.pod));
    this.control_ = `${await this.serve((req, res) => this.control(req, res))}/scenario`;

    // Every backend pod exports the business gauges, each from the one database.
    const collectors = this.collectors();
    for (const app of this.apps.filter((a) => a.pod.service === this.backend.pod.service)) {
      this.business.push(new BusinessMetricsExporter({
        instruments: app.instruments,
        collectors,
        interval: this.businessInterval,
        // Failures are the point of database-down; the errors counter records them, the log need not.
        onError: () => undefined,
      }));
    }
    this.lastTick = Date.now();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
    await Promise.all(this.business.map((b) => b.start()));
  }

  /** An exporter's handler, dropping the connection while the scenario has `job` down. */
  private exporterHandler(job: string, handler: http.RequestListener): http.RequestListener {
    return (req, res) => (this.params.exportersDown.includes(job) ? req.socket.destroy() : handler(req, res));
  }

  /** Listens on a free port of the host; resolves to the base URL. */
  private serve(handler: http.RequestListener, tls?: { key: string; cert: string }): Promise<string> {
    const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.host, () => {
        const { port } = server.address() as AddressInfo;
        const host = this.host.includes(':') ? `[${this.host}]` : this.host;
        resolve(`${tls ? 'https' : 'http'}://${host}:${port}`);
      });
    });
  }

  /** GET: current scenario and the choices; POST or PUT with the name as body or ?name=: switch. */
  private control(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    };
    const state = () => ({
      scenario: this.current,
      scenarios: Object.fromEntries(SCENARIO_NAMES.map((n) => [n, SCENARIOS[n].description])),
    });
    if (url.pathname !== '/scenario') return json(404, { error: 'not found: use /scenario' });
    if (req.method === 'GET') return json(200, state());
    if (req.method !== 'POST' && req.method !== 'PUT') return json(405, { error: 'use GET, POST or PUT' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      // A scenario name is short: anything long is not one.
      if (body.length < 1024) body += chunk;
    });
    req.on('end', () => {
      const name = (url.searchParams.get('name') ?? body).trim();
      try {
        this.setScenario(name as ScenarioName);
      } catch (err) {
        return json(400, { error: (err as Error).message, allowed: SCENARIO_NAMES });
      }
      json(200, state());
    });
  }

  /** Series that exist from the start, like those of the real exporters and of a running service. */
  private initialiseSeries(): void {
    const ksm = {
      limits: gaugeOf(kubeStateMetrics.resourceLimits, this.ksm),
      requests: gaugeOf(kubeStateMetrics.resourceRequests, this.ksm),
      labels: gaugeOf(kubeStateMetrics.podLabels, this.ksm),
      phase: gaugeOf(kubeStateMetrics.podPhase, this.ksm),
      deployment: gaugeOf(kubeStateMetrics.deploymentLabels, this.ksm),
      available: gaugeOf(kubeStateMetrics.deploymentAvailable, this.ksm),
    };
    const limits = CONTAINER_LIMITS;
    for (const { pod, instruments } of this.apps) {
      const c = { namespace: this.namespace, pod: pod.name, uid: pod.uid, container: pod.service };
      this.restarts.inc(c, 0);
      ksm.limits.set({ ...c, node: this.node, resource: 'cpu', unit: 'core' }, limits.cpu.in(Units.CORES));
      ksm.limits.set({ ...c, node: this.node, resource: 'memory', unit: 'byte' }, limits.memory.in(Units.BYTES));
      ksm.requests.set({ ...c, node: this.node, resource: 'cpu', unit: 'core' }, limits.cpuRequest.in(Units.CORES));
      ksm.requests.set({ ...c, node: this.node, resource: 'memory', unit: 'byte' }, limits.memoryRequest.in(Units.BYTES));
      ksm.labels.set({ namespace: this.namespace, pod: pod.name, uid: pod.uid, label_app: pod.service }, 1);
      // One Deployment per service, named and labelled after it, with its one replica available.
      ksm.deployment.set({ namespace: this.namespace, deployment: pod.service, label_app: pod.service }, 1);
      ksm.available.set({ namespace: this.namespace, deployment: pod.service }, this.apps.filter((a) => a.pod.service === pod.service).length);
      // Not waiting: a harmless reason at 0, so the series exists as the catalog declares it.
      this.waiting.set({ ...c, reason: 'ContainerCreating' }, 0);
      for (const phase of PHASES) ksm.phase.set({ namespace: this.namespace, pod: pod.name, uid: pod.uid, phase }, phase === 'Running' ? 1 : 0);
      for (const labels of this.cadvisorLabels(pod)) this.cpuUsage.inc({ ...labels, cpu: 'total' }, 0);

      // Counters whose ratios the rules compute start at zero, so the first failure shows in rate().
      // knowton_nft_mints_total does not: a platform that never minted has no mint series.
      const app = instruments;
      // The server errors too: a healthy service's error ratio is 0, not no data.
      for (const [method, route] of ROUTES[pod.service] ?? ROUTES.default) {
        for (const status of ['500', '503']) app.http.requests.inc({ method, route, status }, 0);
      }
      if (app === this.backend.instruments) {
        for (const operation of TX_OPERATIONS) {
          app.blockchain.transactions.inc({ operation, network: NETWORK }, 0);
          app.blockchain.transactionErrors.inc({ operation, network: NETWORK }, 0);
          app.blockchain.gasFees.inc({ operation, network: NETWORK }, 0);
        }
        for (const result of ['hit', 'miss']) app.data.redisCache.inc({ operation: 'get', result }, 0);
      }
      if (app === this.ai.instruments) {
        for (const status of ['success', 'error']) {
          app.ai.fingerprinting.inc({ status }, 0);
          app.ai.valuation.inc({ status }, 0);
          app.ai.recommendation.inc({ status }, 0);
        }
      }
    }
    for (let cpu = 0; cpu < 2; cpu++) {
      for (const mode of ['idle', 'user', 'system', 'iowait']) this.nodeCpu.inc({ cpu: String(cpu), mode }, 0);
    }
    gaugeOf(nodeExporter.memoryTotal, this.node_).set(8 * GIB);
    const fs = { device: '/dev/nvme0n1p1', fstype: 'ext4', mountpoint: '/' };
    gaugeOf(nodeExporter.filesystemSize, this.node_).set(fs, 100 * GIB);
    this.nodeFsAvailable.set(fs, 62 * GIB);
    const claim = { namespace: this.namespace, persistentvolumeclaim: 'data-prometheus-0' };
    gaugeOf(kubelet.volumeCapacity, this.kubeletRegistry).set(claim, 50 * GIB);
    gaugeOf(kubelet.volumeAvailable, this.kubeletRegistry).set(claim, 41 * GIB);
  }

  /** kube-state-metrics' labels of the pod's one container. */
  private containerLabels(pod: Pod): Record<string, string> {
    return { namespace: this.namespace, pod: pod.name, uid: pod.uid, container: pod.service };
  }

  /** cAdvisor's series of a pod: its container, and the pod-level cgroup (container="") as the real one reports. */
  private cadvisorLabels(pod: Pod): Array<Record<string, string>> {
    const common = { namespace: this.namespace, pod: pod.name };
    return [
      { ...common, container: pod.service, id: `${pod.cgroup}/${pod.containerId}`, image: pod.image, name: pod.containerId },
      { ...common, container: '', id: pod.cgroup, image: '', name: '' },
    ];
  }

  /** Gauges that follow the scenario directly; also run on a switch, so a scrape sees it at once. */
  private refreshGauges(): void {
    const db = this.params.database;
    this.pgUp.set(db.up ? 1 : 0);
    // Like postgres_exporter: without a connection it reports pg_up 0 and none of the server's figures.
    this.pgBackends.reset();
    this.pgMaxConnections.reset();
    if (db.up) {
      for (const [datname, n] of Object.entries(db.backends)) {
        this.pgBackends.set({ datid: DATABASES[datname] ?? '1', datname }, Math.max(0, Math.round(n + uniform(-2, 2))));
      }
      this.pgMaxConnections.set(db.maxConnections);
    }
    let appCpu = 0;
    for (const { pod, instruments } of this.apps) {
      // Like kube-state-metrics, a waiting reason exists only while the container waits for it.
      const crashing = { ...this.containerLabels(pod), reason: 'CrashLoopBackOff' };
      if (this.params.crashLooping.includes(pod.service)) this.waiting.set(crashing, 1);
      else this.waiting.remove(crashing);
      const t = this.traffic(pod.service);
      const memory = jitter(t.memory.in(Units.BYTES));
      for (const labels of this.cadvisorLabels(pod)) this.memoryWorkingSet.set(labels, Math.round(labels.container ? memory : memory * 1.02));
      // Little's law: requests in flight = arrival rate × mean response time.
      const l = t.latency;
      const tail = l.tailShare.in(RATIO);
      const meanLatency = (1 - tail) * mean(l.typical) + tail * mean(l.tail);
      instruments.http.activeConnections.set(Math.round(jitter(t.requests.in(PER_SECOND) * meanLatency) + 2));
      appCpu += t.cpu.in(Units.CORES);
    }
    this.nodeMemoryAvailable.set(Math.round(jitter(5.2 * GIB)));
    this.nodeCpuShare = appCpu;
  }

  private readonly proportions = new Map<string, Proportion>();
  /** Whether the next event of stream `key` is one of the `share` chosen (see Proportion). */
  private chosen(key: string, share: Ratio): boolean {
    let p = this.proportions.get(key);
    if (!p) this.proportions.set(key, (p = new Proportion()));
    return p.next(share.in(RATIO));
  }

  /** Advances every counter by what happened since the last tick. */
  private tick(): void {
    const now = Date.now();
    const dt = Math.min((now - this.lastTick) / 1000, MAX_TICK_SECONDS);
    this.lastTick = now;
    if (dt <= 0) return;
    const p = this.params;
    for (const app of this.apps) this.simulateHttp(app, dt);
    this.simulateBackend(dt, p);
    this.simulateAi(dt, p);
    const restarts = this.crashes.events(CRASHES_PER_SECOND, dt);
    for (const { pod } of this.apps) {
      if (restarts > 0 && p.crashLooping.includes(pod.service)) this.restarts.inc(this.containerLabels(pod), restarts);
      const used = jitter(this.traffic(pod.service).cpu.in(Units.CORES)) * dt;
      for (const labels of this.cadvisorLabels(pod)) this.cpuUsage.inc({ ...labels, cpu: 'total' }, labels.container ? used : used * 1.01);
    }
    // Two CPUs: the apps' load spread over both, plus the system's own.
    const perCpu = Math.min(0.9, this.nodeCpuShare / 2 + 0.05);
    for (let cpu = 0; cpu < 2; cpu++) {
      const shares: Record<string, number> = { user: perCpu * 0.8, system: perCpu * 0.2, iowait: 0.01 };
      shares.idle = 1 - shares.user - shares.system - shares.iowait;
      for (const [mode, share] of Object.entries(shares)) this.nodeCpu.inc({ cpu: String(cpu), mode }, share * dt);
    }
    this.refreshGauges();
  }

  private simulateHttp(app: App, dt: number): void {
    const t = this.traffic(app.pod.service);
    const routes = ROUTES[app.pod.service] ?? ROUTES.default;
    const { http: h, data } = app.instruments;
    const dbUp = this.params.database.up;
    const n = app.requests.events(t.requests.in(PER_SECOND) * app.share, dt);
    for (let i = 0; i < n; i++) {
      const [method, route] = pick(routes);
      const status = this.chosen(`${app.pod.service} 5xx`, t.serverErrors) ? pick(['500', '500', '503']) : method === 'POST' ? '201' : Math.random() < 0.08 ? '404' : '200';
      const l = t.latency;
      const [lo, hi] = Math.random() < l.tailShare.in(RATIO) ? l.tail : l.typical;
      h.requests.inc({ method, route, status });
      h.requestDuration.observe({ method, route, status }, uniform(lo.in(SEC), hi.in(SEC)));
      // The backend queries PostgreSQL for every request; with the database down no query completes.
      if (app === this.backend && dbUp) {
        const [qlo, qhi] = this.params.database.queryDuration;
        const operation = method === 'POST' ? 'insert' : Math.random() < 0.1 ? 'update' : 'select';
        data.queryDuration.observe({ operation }, uniform(qlo.in(SEC), qhi.in(SEC)));
      }
    }
  }

  private simulateBackend(dt: number, p: Scenario): void {
    const { business, blockchain, data } = this.backend.instruments;
    if (p.nftMints.in(PER_SECOND) > 0) {
      // The mint series are created at 0 only once minting starts (an exporter started in
      // minting-stopped has none), and the first mint waits until a scrape has seen the zeros:
      // rate() ignores the increase to a series' first sample, and LowNFTMintingRate would fire.
      if (this.mintingSince === undefined) {
        for (const category of CATEGORIES) for (const creator of CREATORS) business.nftMints.inc({ category, creator }, 0);
        this.mintingSince = Date.now();
      }
      if (Date.now() - this.mintingSince >= MINT_WARMUP_MS) {
        const mints = this.backend.mints.events(p.nftMints.in(PER_SECOND), dt);
        for (let i = 0; i < mints; i++) business.nftMints.inc({ category: pick(CATEGORIES), creator: pick(CREATORS) });
        this.minted += mints;
      }
    }
    const txs = this.backend.transactions.events(p.blockchain.transactions.in(PER_SECOND), dt);
    for (let i = 0; i < txs; i++) {
      const labels = { operation: pick(TX_OPERATIONS), network: NETWORK };
      blockchain.transactions.inc(labels);
      if (p.blockchain.failing.includes(labels.operation) && this.chosen(`${labels.operation} failures`, p.blockchain.failures)) blockchain.transactionErrors.inc(labels);
      blockchain.gasFees.inc(labels, uniform(...p.blockchain.gasUsdPerTransaction));
    }
    const gets = this.backend.cache.events(p.cache.operations.in(PER_SECOND), dt);
    for (let i = 0; i < gets; i++) data.redisCache.inc({ operation: 'get', result: this.chosen('cache hits', p.cache.hits) ? 'hit' : 'miss' });
    this.simulateKafka(this.backend, 'nft-events', dt, p);
  }

  private simulateAi(dt: number, p: Scenario): void {
    const { ai } = this.ai.instruments;
    const counters = { fingerprinting: ai.fingerprinting, valuation: ai.valuation, recommendation: ai.recommendation };
    const jobs = this.ai.aiJobs.events(p.ai.jobs.in(PER_SECOND), dt);
    for (let i = 0; i < jobs; i++) {
      const operation = pick(AI_OPERATIONS);
      ai.processingDuration.observe({ operation }, uniform(p.ai.duration[0].in(SEC), p.ai.duration[1].in(SEC)));
      counters[operation].inc({ status: this.chosen(`${operation} errors`, p.ai.errors) ? 'error' : 'success' });
    }
    if (this.ai !== this.backend) this.simulateKafka(this.ai, 'ai-jobs', dt, p);
  }

  private simulateKafka(app: App, topic: string, dt: number, p: Scenario): void {
    const n = app.kafka.events(p.kafka.messages.in(PER_SECOND), dt);
    for (let i = 0; i < n; i++) app.instruments.data.kafkaMessages.inc({ topic, status: this.chosen(`${topic} errors`, p.kafka.errors) ? 'error' : 'success' });
  }

  /**
   * The backend's database queries, answering with realistic platform figures; all reject while the
   * database is down. The figures change every DATABASE_REFRESH_MS (and at a scenario switch), so
   * that the backend's replicas, asking at different moments, read the same numbers, as from one database.
   */
  private collectors(): BusinessCollectors {
    const answers = new Map<string, { at: string; value: unknown }>();
    const query = async <T>(key: keyof BusinessCollectors, answer: () => T): Promise<T> => {
      if (!this.params.database.up) throw new Error('connect ECONNREFUSED 10.43.0.12:5432');
      const at = `${this.current} ${Math.floor(Date.now() / DATABASE_REFRESH_MS)}`;
      const cached = answers.get(key);
      if (cached?.at === at) return cached.value as T;
      const value = answer();
      answers.set(key, { at, value });
      return value;
    };
    const totalNfts = (): number => 12_000 + this.minted;
    const byTimeframe = <T>(f: (days: number) => T): Record<Timeframe, T> => ({ '24h': f(1), '7d': f(7), '30d': f(30) });
    return {
      totalNfts: () => query('totalNfts', totalNfts),
      activeUsers: () => {
        const day = this.params.activeUsers;
        return query('activeUsers', () => ({ '24h': Math.round(jitter(day)), '7d': Math.round(jitter(day * 4.3)), '30d': Math.round(jitter(day * 11.7)) }));
      },
      tradingVolume: () =>
        query('tradingVolume', () => byTimeframe((days) => Object.fromEntries(PAIRS.map((pair, i) => [pair, Math.round(jitter(days * (i === 0 ? 85_000 : 32_000)))])))),
      royaltyRevenue: () =>
        query('royaltyRevenue', () => [
          ...CREATORS.map((creator, i) => ({ creator, nft: String(40 + i * 7), usd: Math.round(jitter(2_400 / (i + 1))) })),
          { creator: 'other', nft: 'other', usd: Math.round(jitter(9_800)) },
        ]),
      bonds: () => query('bonds', () => ({ active: 37, totalValueLockedUsd: Math.round(jitter(1_850_000)) })),
      nftsByCategory: () => query('nftsByCategory', () => ({ music: Math.round(totalNfts() * 0.45), art: Math.round(totalNfts() * 0.4), video: Math.round(totalNfts() * 0.15) })),
    };
  }
}

function mean(range: readonly [Seconds, Seconds]): number {
  return (range[0].in(SEC) + range[1].in(SEC)) / 2;
}

/**
 * The demo exporter's scenarios: what the simulated platform does, as plain configuration. Each
 * scenario but `healthy` and `many-faults` breaks one thing so that one alert of rules/ fires;
 * `many-faults` breaks several independent things at once, each raising its own alert.
 *
 * Time is compressed for a demo: NFT mints, blockchain transactions and AI jobs happen per second
 * rather than per hour, so that rate() over a few minutes of a local Prometheus sees them.
 */
import { cores, Cores, Bytes, mebibytes, milliseconds, percent, perSecond, Rate, Ratio, seconds, Seconds } from '../units';

export type ScenarioName = 'healthy' | 'error-spike' | 'slow-responses' | 'minting-stopped' | 'database-down' | 'service-down' | 'many-faults';

/** Response times: most requests fall in `typical`, a `tailShare` of them in `tail` (uniformly). */
export interface Latency {
  readonly typical: readonly [Seconds, Seconds];
  readonly tail: readonly [Seconds, Seconds];
  readonly tailShare: Ratio;
}

/** HTTP traffic of one service. */
export interface ServiceTraffic {
  readonly requests: Rate;
  /** Share answered "500" or "503"; the others get "200", "201" or "404". */
  readonly serverErrors: Ratio;
  readonly latency: Latency;
  /** CPU the container uses (its limit is CONTAINER_LIMITS.cpu). */
  readonly cpu: Cores;
  readonly memory: Bytes;
}

export interface Scenario {
  /** One line: what breaks and which alert it should trigger. */
  readonly description: string;
  /** Traffic of every service; a service without an entry gets `default`. */
  readonly http: { readonly default: ServiceTraffic; readonly [service: string]: ServiceTraffic | undefined };
  /** NFT mints over all categories and creators; zero leaves knowton_nft_mints_total without series. */
  readonly nftMints: Rate;
  readonly blockchain: {
    readonly transactions: Rate;
    /** Share of the transactions of `failing` operations that fail. */
    readonly failures: Ratio;
    readonly failing: readonly TransactionOperation[];
    readonly gasUsdPerTransaction: readonly [number, number];
  };
  /** AI jobs (fingerprinting, valuation, recommendation) on the ai-service. */
  readonly ai: { readonly jobs: Rate; readonly errors: Ratio; readonly duration: readonly [Seconds, Seconds] };
  readonly database: {
    /** Whether PostgreSQL answers: false gives pg_up 0, no backends, failing collectors, no query timings. */
    readonly up: boolean;
    /** Connected backends per database (pg_stat_database_numbackends). */
    readonly backends: Readonly<Record<string, number>>;
    readonly maxConnections: number;
    /** Duration of the backend's queries, one per request. */
    readonly queryDuration: readonly [Seconds, Seconds];
  };
  readonly cache: { readonly operations: Rate; readonly hits: Ratio };
  readonly kafka: { readonly messages: Rate; readonly errors: Ratio };
  /** Services whose pod does not answer (its scrape fails, so `up` is 0). */
  readonly unavailable: readonly string[];
  /** Services whose container keeps crashing: kube-state-metrics counts restarts and shows it waiting in CrashLoopBackOff. */
  readonly crashLooping: readonly string[];
  /** Users active over the last 24 hours, as the database reports them (7 and 30 days scale from it). */
  readonly activeUsers: number;
  /** Exporters (by job: node-exporter, kube-state-metrics...) whose endpoint drops every scrape. */
  readonly exportersDown: readonly string[];
}

export type TransactionOperation = 'mint' | 'transfer';

/** Limits and requests every app container declares (kube_pod_container_resource_*). */
export const CONTAINER_LIMITS = {
  cpu: cores(0.5),
  memory: mebibytes(512),
  cpuRequest: cores(0.1),
  memoryRequest: mebibytes(256),
} as const;

const FAST: Latency = { typical: [milliseconds(20), milliseconds(300)], tail: [milliseconds(300), milliseconds(800)], tailShare: percent(3) };
const SLOW: Latency = { typical: [seconds(1.5), seconds(4)], tail: [milliseconds(200), milliseconds(900)], tailShare: percent(10) };

const NORMAL_TRAFFIC: ServiceTraffic = {
  requests: perSecond(20),
  // Within the strictest SLO's budget (backend-availability, 99.9%): a healthy backend at 0.5% burned it at
  // five times its pace, and the SLO tiers fired once a few minutes of data were recorded.
  serverErrors: percent(0.05),
  latency: FAST,
  cpu: cores(0.12),
  memory: mebibytes(180),
};

const HEALTHY: Scenario = {
  description: 'Everything normal: only Watchdog fires.',
  http: { default: NORMAL_TRAFFIC },
  nftMints: perSecond(0.5),
  blockchain: { transactions: perSecond(1), failures: percent(2), failing: ['mint', 'transfer'], gasUsdPerTransaction: [0.05, 0.4] },
  ai: { jobs: perSecond(1), errors: percent(1), duration: [milliseconds(300), seconds(4)] },
  database: { up: true, backends: { knowton: 22, postgres: 3 }, maxConnections: 100, queryDuration: [milliseconds(1), milliseconds(8)] },
  cache: { operations: perSecond(30), hits: percent(90) },
  kafka: { messages: perSecond(5), errors: percent(0.1) },
  unavailable: [],
  crashLooping: [],
  activeUsers: 1200,
  exportersDown: [],
};

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  healthy: HEALTHY,
  'error-spike': {
    ...HEALTHY,
    description: 'The backend answers ~30% of requests with 5xx: HighErrorRate (> 5%) fires.',
    http: { default: NORMAL_TRAFFIC, backend: { ...NORMAL_TRAFFIC, serverErrors: percent(30) } },
  },
  'slow-responses': {
    ...HEALTHY,
    // The backend burns more CPU but stays at 60% of its limit, below HighCPUUsage's 80%, so only
    // the latency alert fires.
    description: 'Backend responses mostly take 1.5-4 s: HighResponseTime (p95 > 1 s) fires.',
    http: { default: NORMAL_TRAFFIC, backend: { ...NORMAL_TRAFFIC, latency: SLOW, cpu: cores(0.3) } },
  },
  'minting-stopped': {
    ...HEALTHY,
    description: 'No NFT is minted any more: LowNFTMintingRate (< 1 per hour) fires.',
    nftMints: perSecond(0),
  },
  'database-down': {
    ...HEALTHY,
    // HTTP traffic is left as it is: the demo isolates the database alerts.
    description: 'PostgreSQL is unreachable: PostgreSQLDown fires, and the business collectors fail (BusinessMetricsExporterFailing).',
    database: { ...HEALTHY.database, up: false },
  },
  'service-down': {
    ...HEALTHY,
    description: 'The ai-service pod stops answering: ServiceDown (critical) fires for it.',
    unavailable: ['ai-service'],
  },
  'many-faults': {
    ...HEALTHY,
    // Faults that share no service, container or label set, so each raises exactly its own alert:
    // the backend's CPU and the ai-service's memory (no latency or error change), failed transfers
    // (mints succeed, so the mint SLO does not burn), a full connection pool with the database up.
    description:
      'Independent faults at once: backend CPU at ~92% of its limit (HighCPUUsage), ai-service memory at ~98% (HighMemoryUsage) and ' +
      'its container crash-looping (PodCrashLooping, ContainerWaiting), 95 connections to PostgreSQL (HighDatabaseConnections), ' +
      '60% of transfers failing (HighTransactionFailureRate), 3 active users (NoActiveUsers), node-exporter unreachable (MonitoringTargetDown).',
    http: {
      default: NORMAL_TRAFFIC,
      backend: { ...NORMAL_TRAFFIC, cpu: cores(0.46) },
      'ai-service': { ...NORMAL_TRAFFIC, memory: mebibytes(500) },
    },
    blockchain: { ...HEALTHY.blockchain, failures: percent(60), failing: ['transfer'] },
    database: { ...HEALTHY.database, backends: { knowton: 92, postgres: 3 } },
    crashLooping: ['ai-service'],
    activeUsers: 3,
    exportersDown: ['node-exporter'],
  },
};

export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as string[]).includes(name);
}

/** Throws naming `who`, the field, the value and the allowed names unless `name` is a scenario. */
export function checkScenario(name: unknown, who = 'DemoExporter', field = 'scenario'): ScenarioName {
  if (typeof name === 'string' && isScenarioName(name)) return name;
  throw new Error(`${who}: ${field} must be one of ${SCENARIO_NAMES.map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(name)}`);
}

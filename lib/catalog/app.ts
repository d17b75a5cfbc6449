import { Units } from '../units';
import { metric, Source } from './metric';

/**
 * The KnowTon services' own metrics: the spec's "Metrics Exported" section. Every application
 * target is scraped as job="knowton-<app>" with labels service, namespace and pod.
 */
export const APP: Source<'job' | 'instance' | 'service' | 'namespace' | 'pod'> = {
  name: 'knowton application',
  job: 'knowton-.+',
  targetLabels: ['job', 'instance', 'service', 'namespace', 'pod'],
};

const { SECONDS, BYTES, COUNT, USD } = Units;

/**
 * The services this catalog's instrumentation covers: the backend (HTTP, business, blockchain and data
 * metrics, the business metrics exporter) and the AI service (its model metrics). Each runs as pods
 * labelled `app=<service>`; an environment expects them unless StackConfig.expectedServices says otherwise.
 */
export const INSTRUMENTED_SERVICES: readonly string[] = ['backend', 'ai-service'];

// Default prom-client buckets: request latency around the 1 s objective is resolved in 0.5 s steps.
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const system = {
  cpuSeconds: metric(APP, { name: 'process_cpu_seconds_total', kind: 'counter', unit: SECONDS, labels: [], help: 'Total user and system CPU time spent in seconds.' }),
  residentMemory: metric(APP, { name: 'process_resident_memory_bytes', kind: 'gauge', unit: BYTES, labels: [], help: 'Resident memory size in bytes.' }),
  heapTotal: metric(APP, { name: 'nodejs_heap_size_total_bytes', kind: 'gauge', unit: BYTES, labels: [], help: 'Process heap size from Node.js in bytes.' }),
  heapUsed: metric(APP, { name: 'nodejs_heap_size_used_bytes', kind: 'gauge', unit: BYTES, labels: [], help: 'Process heap size used from Node.js in bytes.' }),
};

export const http = {
  requests: metric(APP, { name: 'http_requests_total', kind: 'counter', unit: COUNT, labels: ['method', 'route', 'status'], help: 'Total HTTP requests.' }),
  requestDuration: metric(APP, {
    name: 'http_request_duration_seconds',
    kind: 'histogram',
    unit: SECONDS,
    labels: ['method', 'route', 'status'],
    help: 'HTTP request duration in seconds.',
    buckets: HTTP_BUCKETS,
  }),
  activeConnections: metric(APP, { name: 'active_connections', kind: 'gauge', unit: COUNT, labels: [], help: 'Current active connections.' }),
};

// Set by the business metrics exporter of every backend replica from the same database query.
const DATABASE_GAUGE = { sameOnEveryReplica: true } as const;

export const business = {
  nftMints: metric(APP, { name: 'knowton_nft_mints_total', kind: 'counter', unit: COUNT, labels: ['category', 'creator'], help: 'Total NFTs minted.' }),
  totalNfts: metric(APP, { name: 'knowton_total_nfts', kind: 'gauge', unit: COUNT, labels: [], help: 'Total NFTs on the platform.', ...DATABASE_GAUGE }),
  tradingVolume: metric(APP, { name: 'knowton_trading_volume_usd', kind: 'gauge', unit: USD, labels: ['pair', 'timeframe'], help: 'Trading volume in USD over the timeframe.', ...DATABASE_GAUGE }),
  royaltyRevenue: metric(APP, { name: 'knowton_royalty_revenue_usd', kind: 'gauge', unit: USD, labels: ['creator', 'nft'], help: 'Royalty revenue in USD.', ...DATABASE_GAUGE }),
  // A gauge despite its `_total` suffix: the exporter sets it to the number of users active in the timeframe.
  activeUsers: metric(APP, { name: 'knowton_active_users_total', kind: 'gauge', unit: COUNT, labels: ['timeframe'], help: 'Users active in the timeframe (24h, 7d, 30d).', ...DATABASE_GAUGE }),
  activeBonds: metric(APP, { name: 'knowton_active_bonds_total', kind: 'gauge', unit: COUNT, labels: [], help: 'Number of active IP bonds.', ...DATABASE_GAUGE }),
  totalValueLocked: metric(APP, { name: 'knowton_total_value_locked_usd', kind: 'gauge', unit: USD, labels: [], help: 'Total value locked in USD.', ...DATABASE_GAUGE }),
  nftsByCategory: metric(APP, { name: 'knowton_nfts_by_category', kind: 'gauge', unit: COUNT, labels: ['category'], help: 'NFTs on the platform by category.', ...DATABASE_GAUGE }),
};

export const ai = {
  processingDuration: metric(APP, {
    name: 'knowton_ai_processing_duration_seconds',
    kind: 'histogram',
    unit: SECONDS,
    labels: ['operation'],
    help: 'AI processing time in seconds.',
    // Model inference takes seconds to a minute.
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60],
  }),
  fingerprinting: metric(APP, { name: 'knowton_fingerprinting_total', kind: 'counter', unit: COUNT, labels: ['status'], help: 'Fingerprinting operations.' }),
  valuation: metric(APP, { name: 'knowton_valuation_total', kind: 'counter', unit: COUNT, labels: ['status'], help: 'Valuation operations.' }),
  recommendation: metric(APP, { name: 'knowton_recommendation_total', kind: 'counter', unit: COUNT, labels: ['status'], help: 'Recommendation requests.' }),
};

export const blockchain = {
  gasFees: metric(APP, { name: 'knowton_gas_fees_total', kind: 'counter', unit: USD, labels: ['operation', 'network'], help: 'Gas fees spent, in USD.' }),
  transactionErrors: metric(APP, { name: 'knowton_transaction_errors_total', kind: 'counter', unit: COUNT, labels: ['operation', 'network'], help: 'Blockchain transactions that failed.' }),
  // Not in the spec: the denominator of the transaction failure rate.
  transactions: metric(APP, { name: 'knowton_transactions_total', kind: 'counter', unit: COUNT, labels: ['operation', 'network'], help: 'Blockchain transactions submitted, failed ones included.' }),
};

export const data = {
  queryDuration: metric(APP, {
    name: 'db_query_duration_seconds',
    kind: 'histogram',
    unit: SECONDS,
    labels: ['operation'],
    help: 'Database query duration in seconds.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  }),
  redisCache: metric(APP, { name: 'redis_cache_total', kind: 'counter', unit: COUNT, labels: ['operation', 'result'], help: 'Redis cache operations.' }),
  kafkaMessages: metric(APP, { name: 'kafka_messages_total', kind: 'counter', unit: COUNT, labels: ['topic', 'status'], help: 'Kafka messages.' }),
};

export const exporter = {
  // For the metrics exporter service: counts collectors that failed to refresh their metrics.
  errors: metric(APP, { name: 'knowton_metrics_exporter_errors_total', kind: 'counter', unit: COUNT, labels: ['collector'], help: 'Errors of the metrics exporter, by collector.' }),
};

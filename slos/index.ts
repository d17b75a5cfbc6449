// The KnowTon service level objectives (declarations only; lib/slo generates their rules, tests,
// runbooks and dashboard). Labels `service` and `slo` (`<service>-<name>`) on every series and alert.
import { blockchain, http } from '../lib/catalog';
import { badEvents, failedOf, Slo, slowerThan } from '../lib/slo';
import { percent, perHour, seconds } from '../lib/units';

const HTTP_CHECKS = [
  'SLO dashboard: which windows burn, and since when? A fast burn (1h) is an outage, a slow one (3d) a leak.',
  'Service Health dashboard: which routes fail or are slow (http_requests_total by route and status)?',
  'Did a deployment just happen? `kubectl -n <namespace> rollout history deployment/<service>`.',
  'Are its dependencies (PostgreSQL, Redis, Kafka, the blockchain RPC) healthy?',
];

export const backendAvailability = new Slo({
  service: 'backend',
  name: 'availability',
  description: '99.9% of the backend\'s HTTP requests are not answered with a 5xx status',
  objective: percent(99.9),
  sli: badEvents(http.requests, { bad: { status: /5../ }, where: { service: 'backend' } }),
  firstChecks: HTTP_CHECKS,
});

export const aiServiceAvailability = new Slo({
  service: 'ai-service',
  name: 'availability',
  description: '99.5% of the ai-service\'s HTTP requests are not answered with a 5xx status',
  objective: percent(99.5),
  sli: badEvents(http.requests, { bad: { status: /5../ }, where: { service: 'ai-service' } }),
  firstChecks: [...HTTP_CHECKS, 'Model inference: knowton_ai_processing_duration_seconds and the pods\' memory (models that no longer fit).'],
});

export const backendLatency = new Slo({
  service: 'backend',
  name: 'latency',
  description: '99% of the backend\'s HTTP requests are answered within 1 s',
  objective: percent(99),
  sli: slowerThan(http.requestDuration, seconds(1), { where: { service: 'backend' } }),
  firstChecks: [
    'SLO dashboard: which windows burn? Service Health dashboard: which routes are slow (http_request_duration_seconds by route)?',
    'Database: slow queries (db_query_duration_seconds) and the connection count.',
    'CPU throttling or memory pressure of the pods (HighCPUUsage, HighMemoryUsage).',
  ],
});

export const nftMint = new Slo({
  service: 'backend',
  name: 'nft-mint',
  description: '99% of the NFT mint transactions succeed',
  objective: percent(99),
  sli: failedOf(blockchain.transactionErrors, blockchain.transactions, { where: { operation: 'mint' } }),
  // Mints are rarer than requests: a few failed mints an hour are no outage.
  minEventRate: perHour(10),
  firstChecks: [
    'Blockchain RPC: is the node reachable and in sync? knowton_transaction_errors_total by network.',
    'Gas: did fees spike (knowton_gas_fees_total), are transactions underpriced?',
    'The minting wallet: balance and nonce (stuck transactions).',
  ],
});

export function slos(): Slo[] {
  return [backendAvailability, aiServiceAvailability, backendLatency, nftMint];
}


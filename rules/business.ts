// Business: signs that users or the blockchain side stopped working although services are up.
import { AlertRule, RuleGroup } from '../lib/alerting';
import { alerting, blockchain, exporter, business as metrics } from '../lib/catalog';
import { gauge, increase, justEnded, rate, ratio, unless } from '../lib/promql';
import { count, Duration, percent, perHour } from '../lib/units';

const EXPORTER_ERRORS_WINDOW = Duration.minutes(10);

export const business = new RuleGroup({
  name: 'business',
  category: 'business',
  alerts: [
    new AlertRule({
      name: 'LowNFTMintingRate',
      severity: 'warning',
      component: 'nft',
      // orZero: no mint at all leaves no series, and must fire too
      when: rate(metrics.nftMints, { window: Duration.hours(1) })
        .orZero()
        .describedAs('the rate of NFT mints over the last hour')
        .below(perHour(1)),
      for: Duration.hours(2),
      summary: 'Few NFTs are being minted',
      description: 'NFTs are minted at {{ value }} over the last hour (threshold {{ threshold }}).',
      firstChecks: [
        'Check platform health and user activity: are the services up and error-free (Service Health dashboard)?',
        'Do mint transactions fail (HighTransactionFailureRate, knowton_transaction_errors_total{operation="mint"})?',
        'Is the traffic normal for the time of day, or did a release break the mint page?',
      ],
    }),
    new AlertRule({
      name: 'NoActiveUsers',
      severity: 'warning',
      component: 'users',
      // every backend replica exports the same figure from the database: take one
      when: gauge(metrics.activeUsers, { where: { timeframe: '24h' }, aggregate: 'max' }).below(count(10)),
      for: Duration.hours(1),
      summary: 'Almost no active users in the last 24 hours',
      description: 'Only {{ value }} users were active in the last 24 hours (threshold {{ threshold }}).',
      firstChecks: [
        'Investigate user experience issues: can you log in and browse the site yourself?',
        'Is the metrics exporter running (knowton_metrics_exporter_errors_total)? A stale gauge looks like no users.',
        'Frontend errors, CDN or DNS problems, expired TLS certificate?',
      ],
    }),
    new AlertRule({
      name: 'HighTransactionFailureRate',
      severity: 'warning',
      component: 'blockchain',
      when: ratio(
        rate(blockchain.transactionErrors, { window: Duration.minutes(5), by: ['network'] }),
        rate(blockchain.transactions, { window: Duration.minutes(5), by: ['network'] }),
      )
        .describedAs('the share of blockchain transactions that failed on a network, over 5 minutes')
        .above(percent(10)),
      for: Duration.minutes(10),
      summary: 'Many blockchain transactions fail on {{ $labels.network }}',
      description: '{{ value }} of the transactions on {{ $labels.network }} failed in the last 5 minutes (threshold {{ threshold }}).',
      firstChecks: [
        'Check blockchain connectivity: is the RPC endpoint of the network reachable and in sync?',
        'Check gas prices: are transactions underpriced (knowton_gas_fees_total)?',
        'Which operation fails (knowton_transaction_errors_total by operation)? Backend logs give the revert reason.',
      ],
    }),
    new AlertRule({
      name: 'BusinessMetricsExporterFailing',
      severity: 'warning',
      component: 'metrics-exporter',
      // Not while a database outage has just ended: the collectors' failures during it stay in the window
      // for up to 10 minutes after PostgreSQLDown resolves and no longer mutes this alert (rules/inhibitions.ts).
      when: unless(
        increase(exporter.errors, { window: EXPORTER_ERRORS_WINDOW, aggregate: 'sum', by: ['service', 'collector'] }).above(count(3)),
        justEnded(alerting.alerts, 'PostgreSQLDown', EXPORTER_ERRORS_WINDOW),
      ),
      for: Duration.minutes(10),
      summary: 'The business metrics of {{ $labels.service }} are going stale ({{ $labels.collector }})',
      description: 'Collector {{ $labels.collector }} of {{ $labels.service }} failed {{ value }} times in the last 10 minutes; its gauges keep their last value.',
      firstChecks: [
        'Backend logs: the exporter logs every failed collector with its error.',
        'Is the database reachable and fast (PostgreSQLDown, HighDatabaseConnections)?',
        'A collector returning NaN, negative values or too many series is rejected on purpose: check what it returned.',
      ],
    }),
  ],
});

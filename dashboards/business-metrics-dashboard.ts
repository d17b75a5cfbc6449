// Business Metrics: what the platform's users do with it.
import { alertsOf, dashboard, row, stat, timeseries, topk } from '../lib/dashboards';
import { business } from '../lib/catalog';
import { gauge, rate } from '../lib/promql';
import { Duration } from '../lib/units';
import type { RuleGroup } from '../lib/alerting';

const window = Duration.minutes(5); // shown as $__rate_interval

export const businessMetricsDashboard = (groups: readonly RuleGroup[]): object => dashboard({
  uid: 'knowton-business-metrics',
  title: 'KnowTon Business Metrics',
  description: 'NFT minting, trading, revenue, users, bonds and value locked on the KnowTon platform.',
  alerts: alertsOf(groups),
  rows: [
    row('Totals', [
      stat('Total NFTs', gauge(business.totalNfts, { aggregate: 'max' })),
      stat('Active bonds', gauge(business.activeBonds, { aggregate: 'max' })),
      stat('Total value locked', gauge(business.totalValueLocked, { aggregate: 'max' })),
      stat('24h trading volume', gauge(business.tradingVolume, { where: { timeframe: '24h' }, aggregate: 'sum' })),
    ]),
    row('Activity', [
      timeseries('NFT minting rate', { query: rate(business.nftMints, { window, by: ['category'] }), legend: '{{category}}' }),
      timeseries('Active users (24h)', { query: gauge(business.activeUsers, { where: { timeframe: '24h' }, aggregate: 'max' }), legend: 'active users' }),
    ]),
    row('Revenue', [
      timeseries('Trading volume', { query: gauge(business.tradingVolume, { aggregate: 'sum', by: ['timeframe'] }), legend: '{{timeframe}}' }),
      timeseries('Royalty revenue', { query: gauge(business.royaltyRevenue, { aggregate: 'sum' }), legend: 'royalties' }),
    ]),
    row('Content', [
      timeseries('Content distribution by type', { query: gauge(business.nftsByCategory, { aggregate: 'max', by: ['category'] }), legend: '{{category}}' }),
      timeseries('Top 5 NFT categories', { query: topk(5, gauge(business.nftsByCategory)), legend: '{{category}}' }),
    ]),
  ],
});

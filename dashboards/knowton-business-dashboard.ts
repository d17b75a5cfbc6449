// Business: revenue streams, DeFi activity, service request patterns, content uploads by type.
import { alertsOf, dashboard, row, SELECTED_SERVICE, stat, timeseries } from '../lib/dashboards';
import { blockchain, business, http } from '../lib/catalog';
import { gauge, rate } from '../lib/promql';
import { Duration } from '../lib/units';
import type { RuleGroup } from '../lib/alerting';

const window = Duration.minutes(5); // shown as $__rate_interval
const service = SELECTED_SERVICE;

export const businessDashboard = (groups: readonly RuleGroup[]): object => dashboard({
  uid: 'knowton-business',
  title: 'KnowTon Business',
  description: 'Revenue streams, DeFi activity, service request patterns and content uploads.',
  alerts: alertsOf(groups),
  rows: [
    row('Revenue streams', [
      timeseries('Trading volume by pair (24h)', { query: gauge(business.tradingVolume, { where: { timeframe: '24h' }, aggregate: 'sum', by: ['pair'] }), legend: '{{pair}}' }),
      timeseries('Royalty revenue', { query: gauge(business.royaltyRevenue, { aggregate: 'sum' }), legend: 'royalties' }),
    ]),
    row('DeFi activity', [
      stat('Active bonds', gauge(business.activeBonds, { aggregate: 'max' }), { width: 8 }),
      stat('Total value locked', gauge(business.totalValueLocked, { aggregate: 'max' }), { width: 8 }),
      timeseries('Gas fees (USD per second)', { query: rate(blockchain.gasFees, { window, by: ['network'] }), legend: '{{network}}' }, { width: 8, unit: 'currencyUSD' }),
    ]),
    row('Service request patterns', [
      timeseries('Requests by service', { query: rate(http.requests, { window, where: { service }, by: ['service'] }), legend: '{{service}}' }),
      timeseries('Requests by method', { query: rate(http.requests, { window, where: { service }, by: ['method'] }), legend: '{{method}}' }),
    ]),
    row('Content', [
      timeseries('Content uploads by type', { query: rate(business.nftMints, { window, by: ['category'] }), legend: '{{category}}' }, { width: 24 }),
    ]),
  ],
});

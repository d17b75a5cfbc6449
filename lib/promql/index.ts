/**
 * PromQL: typed queries built from catalog metrics (gauge, rate, increase, ratio, share,
 * histogramQuantile), and checkQuery, which parses any query with the official lezer grammar and
 * checks it against the catalog.
 */
export * from './analyze';
export * from './check';
export * from './query';

/**
 * Instrumentation for the KnowTon services, generated from the metric catalog: typed prom-client
 * instruments (createInstruments), the /metrics request handler (metricsHandler) and the business
 * metrics exporter (BusinessMetricsExporter). docs/instrumentation.md is the guide.
 */
export * from './instruments';
export * from './http';
export * from './exporter';
export { Registry } from 'prom-client';
export { Duration } from '../units';

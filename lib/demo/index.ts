/**
 * The stack on one machine: the demo exporter (scenario-driven metrics through the real
 * instrumentation), the local Prometheus and Alertmanager running a synthesized dist/, and a
 * stand-in for the notification receivers. `npm run demo`, the end-to-end test and the benchmark
 * are built on it.
 */
export * from './scenarios';
export * from './exporter';
export * from './local-stack';
export * from './receiver';
export * from './dist';
export * from './processes';

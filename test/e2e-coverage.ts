/**
 * Which end-to-end test file makes each alert fire and resolve on the real Prometheus and
 * Alertmanager, or why none does. test/e2e-coverage.test.ts fails when an alert of ruleGroups() or
 * of the SLO tiers has no row (so a new alert fails until it is covered or excluded with a reason);
 * each e2e file fails unless the alerts it proved are exactly its rows.
 */
import { EVERY_RULE_CONTEXT, ruleGroups } from '../rules';
import { slos } from '../slos';

export type E2eFile =
  | 'e2e.test.ts'
  | 'e2e-services.test.ts'
  | 'e2e-errors.test.ts'
  | 'e2e-faults.test.ts'
  | 'e2e-monitors.test.ts'
  | 'e2e-monitors-reload.test.ts'
  | 'e2e-monitors-alertmanager.test.ts'
  | 'e2e-ha.test.ts'
  | 'e2e-ha-replica.test.ts'
  | 'e2e-ha-cluster.test.ts'
  | 'e2e-ha-cluster-down.test.ts'
  | 'e2e-remote-write.test.ts'
  | 'e2e-remote-write-behind.test.ts';

export type Coverage = { readonly file: E2eFile } | { readonly excluded: string };

const BURN_RATE =
  'multi-window burn rate: it resolves only when its short window (5m, 30m, 2h or 6h) has mostly healthy samples, ' +
  'and tiers are not shortened through StackConfig (an SLO override changes the objective or the budget window, not the tiers)';

export const E2E_COVERAGE: Readonly<Record<string, Coverage>> = {
  // rules/service-health.ts
  ServiceMissing: { file: 'e2e-services.test.ts' },
  ServiceDown: { file: 'e2e-services.test.ts' },
  HighErrorRate: { file: 'e2e-errors.test.ts' },
  HighResponseTime: { file: 'e2e-errors.test.ts' },
  // rules/resources.ts
  HighCPUUsage: { file: 'e2e-faults.test.ts' },
  HighMemoryUsage: { file: 'e2e-faults.test.ts' },
  PodCrashLooping: { file: 'e2e-faults.test.ts' },
  ContainerWaiting: { file: 'e2e-faults.test.ts' },
  // rules/database.ts
  PostgreSQLDown: { file: 'e2e.test.ts' },
  HighDatabaseConnections: { file: 'e2e-faults.test.ts' },
  // rules/business.ts
  LowNFTMintingRate: { file: 'e2e.test.ts' },
  NoActiveUsers: { file: 'e2e-faults.test.ts' },
  HighTransactionFailureRate: { file: 'e2e-faults.test.ts' },
  BusinessMetricsExporterFailing: { file: 'e2e.test.ts' },
  // rules/monitors.ts
  Watchdog: { excluded: 'always fires (no condition to resolve); e2e.test.ts proves it reaches the heartbeat URL only' },
  PrometheusConfigReloadFailed: { file: 'e2e-monitors-reload.test.ts' },
  PrometheusRuleEvaluationFailures: { file: 'e2e-monitors.test.ts' },
  PrometheusNotConnectedToAlertmanagers: { file: 'e2e-monitors.test.ts' },
  PrometheusMissingRuleEvaluations: { file: 'e2e-monitors.test.ts' },
  PrometheusTSDBCompactionsFailing: {
    excluded: 'the head is compacted into a block only once it spans 1.5 times the 2h block range (3 hours of data); no flag of Prometheus 2.42 provokes a compaction in seconds',
  },
  PrometheusWALFailures: { excluded: 'WAL truncation follows a head compaction (3 hours of data, see PrometheusTSDBCompactionsFailing)' },
  PrometheusNotificationsFailing: { file: 'e2e-monitors-alertmanager.test.ts' },
  AlertmanagerNotificationsFailing: { file: 'e2e-monitors-reload.test.ts' },
  AlertmanagerConfigReloadFailed: { file: 'e2e-monitors-reload.test.ts' },
  AlertmanagerDown: { file: 'e2e-monitors-alertmanager.test.ts' },
  MonitoringTargetDown: { file: 'e2e-faults.test.ts' },
  MonitoringTargetMissing: { file: 'e2e-monitors.test.ts' },
  PrometheusVolumeFillingUp: {
    excluded: 'the demo kubelet serves a steady volume with room; the 6h trend needs hours of a falling series; test/monitors.test.ts proves it with promtool',
  },
  PrometheusVolumeFull: { excluded: 'the demo kubelet serves a steady volume with room, and no scenario fills it; test/monitors.test.ts proves it with promtool' },
  PrometheusRemoteWriteFailing: { file: 'e2e-remote-write.test.ts' },
  PrometheusRemoteWriteBehind: { file: 'e2e-remote-write-behind.test.ts' },
  AlertmanagerClusterMembersInconsistent: { file: 'e2e-ha-cluster.test.ts' },
  AlertmanagerClusterDown: { file: 'e2e-ha-cluster-down.test.ts' },
  AlertmanagerMemberDown: { file: 'e2e-ha-cluster-down.test.ts' },
  AlertmanagerConfigInconsistent: { file: 'e2e-ha-cluster.test.ts' },
  // The SLO tiers (slos/): the 1h tier of backend-availability fires in e2e-errors.test.ts's error spike.
  BackendAvailabilityBurnRate1h: { excluded: `${BURN_RATE}; e2e-errors.test.ts proves it fires and pages` },
  BackendAvailabilityBurnRate6h: { excluded: BURN_RATE },
  BackendAvailabilityBurnRate1d: { excluded: BURN_RATE },
  BackendAvailabilityBurnRate3d: { excluded: BURN_RATE },
  AiServiceAvailabilityBurnRate1h: { excluded: BURN_RATE },
  AiServiceAvailabilityBurnRate6h: { excluded: BURN_RATE },
  AiServiceAvailabilityBurnRate1d: { excluded: BURN_RATE },
  AiServiceAvailabilityBurnRate3d: { excluded: BURN_RATE },
  BackendLatencyBurnRate1h: { excluded: BURN_RATE },
  BackendLatencyBurnRate6h: { excluded: BURN_RATE },
  BackendLatencyBurnRate1d: { excluded: BURN_RATE },
  BackendLatencyBurnRate3d: { excluded: BURN_RATE },
  BackendNftMintBurnRate1h: { excluded: BURN_RATE },
  BackendNftMintBurnRate6h: { excluded: BURN_RATE },
  BackendNftMintBurnRate1d: { excluded: BURN_RATE },
  BackendNftMintBurnRate3d: { excluded: BURN_RATE },
};

/** The alerts `file` must prove to fire and resolve. */
export function coveredBy(file: E2eFile): string[] {
  return Object.entries(E2E_COVERAGE)
    .filter(([, c]) => 'file' in c && c.file === file)
    .map(([name]) => name)
    .sort();
}

/** The names of every alert an environment runs: those of rules/ and the SLO tiers. */
export function everyAlert(): string[] {
  // Every optional alert too (remote write, the Alertmanager cluster), as in prod with remote write.
  return [...ruleGroups(EVERY_RULE_CONTEXT).flatMap((g) => g.alerts.map((a) => a.name)), ...slos().flatMap((s) => s.alerts.map((a) => a.name))].sort();
}

// Resources: containers close to their CPU or memory limit, and pods that keep restarting.
import { AlertRule, RecordingRule, RuleGroup } from '../lib/alerting';
import { cadvisor, kubeStateMetrics } from '../lib/catalog';
import { gauge, increase, rate, ratio } from '../lib/promql';
import { count, Duration, percent } from '../lib/units';

const perContainer = ['namespace', 'pod', 'container'] as const;
// cAdvisor also reports pod-level cgroup totals, with an empty container label. The scrape
// configuration drops them already; the matcher keeps the rule right if it stops doing so.
const realContainers = { container: { not: '' } };

// Shared with the Service Health dashboard's CPU and memory panels.
export const cpuOfLimit = new RecordingRule(
  'namespace_pod_container:cpu_usage:ratio_of_limit',
  ratio(
    rate(cadvisor.cpuUsage, { window: Duration.minutes(5), where: realContainers, by: perContainer }),
    gauge(kubeStateMetrics.cpuLimit, { aggregate: 'sum', by: perContainer }),
  ).describedAs('the CPU a container used over 5 minutes, as a share of its CPU limit'),
);
export const memoryOfLimit = new RecordingRule(
  'namespace_pod_container:memory_working_set:ratio_of_limit',
  ratio(
    gauge(cadvisor.memoryWorkingSet, { where: realContainers, aggregate: 'sum', by: perContainer }),
    gauge(kubeStateMetrics.memoryLimit, { aggregate: 'sum', by: perContainer }),
  ).describedAs('the working set memory of a container, as a share of its memory limit'),
);

export const resources = new RuleGroup({
  name: 'resources',
  category: 'resources',
  recordings: [cpuOfLimit, memoryOfLimit],
  alerts: [
    new AlertRule({
      name: 'HighCPUUsage',
      severity: 'warning',
      component: 'kubernetes',
      when: cpuOfLimit.query.above(percent(80)),
      for: Duration.minutes(10),
      summary: 'Container {{ $labels.container }} of {{ $labels.pod }} uses much of its CPU limit',
      description: 'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ value }} of its CPU limit (threshold {{ threshold }}).',
      firstChecks: [
        'Consider scaling or optimization: `kubectl -n <namespace> top pod <pod> --containers`.',
        'Is the load real (request rate on the Service Health dashboard) or a busy loop?',
        'Raise the CPU limit or add replicas if the load is expected.',
      ],
    }),
    new AlertRule({
      name: 'HighMemoryUsage',
      severity: 'warning',
      component: 'kubernetes',
      when: memoryOfLimit.query.above(percent(85)),
      for: Duration.minutes(10),
      summary: 'Container {{ $labels.container }} of {{ $labels.pod }} is close to its memory limit',
      description: 'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ value }} of its memory limit (threshold {{ threshold }}); at 100% it is OOM-killed.',
      firstChecks: [
        'Check for memory leaks: does the working set grow steadily since the last restart?',
        'Node.js heap (nodejs_heap_size_used_bytes) against the container limit.',
        'Scale up: raise the memory limit if the usage is expected.',
      ],
    }),
    new AlertRule({
      name: 'PodCrashLooping',
      severity: 'critical',
      component: 'kubernetes',
      when: increase(kubeStateMetrics.containerRestarts, { window: Duration.minutes(15), aggregate: 'sum', by: perContainer }).above(count(0)),
      for: Duration.minutes(0),
      summary: 'Pod {{ $labels.pod }} is restarting',
      description: 'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ value }} times in the last 15 minutes.',
      firstChecks: [
        'Check pod logs immediately: `kubectl -n <namespace> logs <pod> -c <container> --previous`.',
        '`kubectl -n <namespace> describe pod <pod>`: last state, exit code, OOMKilled?',
        'Failing liveness probe or missing Secret/ConfigMap in the events?',
      ],
    }),
  ],
});

// Resources: containers close to their CPU or memory limit, and pods that keep restarting.
import { AlertRule, RecordingRule, RuleGroup } from '../lib/alerting';
import { cadvisor, kubeStateMetrics } from '../lib/catalog';
import { gauge, increase, rate, ratio } from '../lib/promql';
import { count, Duration, percent } from '../lib/units';
import { DEFAULT_RULE_CONTEXT, namespaceMatcher, RuleContext } from './context';

const perContainer = ['namespace', 'pod', 'container'] as const;
// cAdvisor also reports pod-level cgroup totals, with an empty container label. The scrape
// configuration drops them already; the matcher keeps the rule right if it stops doing so.
const realContainers = { container: { not: '' } };

// Shared with the Service Health dashboard's CPU and memory panels. kube-state-metrics and cAdvisor see
// every namespace: only the watched ones are recorded, so kube-system never reaches an alert or a panel.
export function cpuOfLimitIn(ctx: RuleContext): RecordingRule {
  const where = { namespace: namespaceMatcher(ctx) };
  return new RecordingRule(
    'namespace_pod_container:cpu_usage:ratio_of_limit',
    ratio(
      rate(cadvisor.cpuUsage, { window: Duration.minutes(5), where: { ...realContainers, ...where }, by: perContainer }),
      gauge(kubeStateMetrics.cpuLimit, { where, aggregate: 'sum', by: perContainer }),
    ).describedAs('the CPU a container used over 5 minutes, as a share of its CPU limit'),
  );
}
export function memoryOfLimitIn(ctx: RuleContext): RecordingRule {
  const where = { namespace: namespaceMatcher(ctx) };
  return new RecordingRule(
    'namespace_pod_container:memory_working_set:ratio_of_limit',
    ratio(
      gauge(cadvisor.memoryWorkingSet, { where: { ...realContainers, ...where }, aggregate: 'sum', by: perContainer }),
      gauge(kubeStateMetrics.memoryLimit, { where, aggregate: 'sum', by: perContainer }),
    ).describedAs('the working set memory of a container, as a share of its memory limit'),
  );
}
// dev's, for the dashboards: they read the recorded series, whose name does not depend on the scope.
export const cpuOfLimit = cpuOfLimitIn(DEFAULT_RULE_CONTEXT);
export const memoryOfLimit = memoryOfLimitIn(DEFAULT_RULE_CONTEXT);

// Why a container cannot start; CrashLoopBackOff also shows in PodCrashLooping, but a pod that never
// started has no restarts to count.
const STUCK = /ImagePullBackOff|ErrImagePull|CrashLoopBackOff|CreateContainerConfigError|CreateContainerError|InvalidImageName/;

export function resourceRules(ctx: RuleContext): RuleGroup {
  const namespace = namespaceMatcher(ctx);
  const cpu = cpuOfLimitIn(ctx);
  const memory = memoryOfLimitIn(ctx);
  return new RuleGroup({
  name: 'resources',
  category: 'resources',
  recordings: [cpu, memory],
  alerts: [
    new AlertRule({
      name: 'HighCPUUsage',
      severity: 'warning',
      component: 'kubernetes',
      when: cpu.query.above(percent(80)),
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
      when: memory.query.above(percent(85)),
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
      when: increase(kubeStateMetrics.containerRestarts, { window: Duration.minutes(15), where: { namespace }, aggregate: 'sum', by: perContainer }).above(count(0)),
      for: Duration.minutes(0),
      summary: 'Pod {{ $labels.pod }} is restarting',
      description: 'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} restarted in the last 15 minutes: {{ value }} restarts counted.',
      firstChecks: [
        'Check pod logs immediately: `kubectl -n <namespace> logs <pod> -c <container> --previous`.',
        '`kubectl -n <namespace> describe pod <pod>`: last state, exit code, OOMKilled?',
        'Failing liveness probe or missing Secret/ConfigMap in the events?',
      ],
    }),
    new AlertRule({
      name: 'ContainerWaiting',
      severity: 'warning',
      component: 'kubernetes',
      when: gauge(kubeStateMetrics.containerWaiting, { where: { namespace, reason: STUCK }, aggregate: 'max', by: [...perContainer, 'reason'] })
        .describedAs('1 while a container waits to start for a reason it does not recover from alone')
        .above(count(0)),
      for: Duration.minutes(5),
      summary: 'Container {{ $labels.container }} of {{ $labels.pod }} cannot start: {{ $labels.reason }}',
      description: 'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has been waiting in {{ $labels.reason }} (value {{ value }}).',
      firstChecks: [
        '`kubectl -n <namespace> describe pod <pod>`: the events give the image, pull or configuration error.',
        'ImagePullBackOff/ErrImagePull: does the tag exist, and can the node pull it (imagePullSecrets)?',
        'CreateContainerConfigError: a Secret or ConfigMap key the pod references is missing.',
        'CrashLoopBackOff: `kubectl -n <namespace> logs <pod> -c <container> --previous`.',
      ],
    }),
  ],
  });
}

/** dev's group. */
export const resources = resourceRules(DEFAULT_RULE_CONTEXT);

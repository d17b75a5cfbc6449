/**
 * Issue 15: a service with no running pod pages, and the Kubernetes alerts see only the watched
 * namespaces. Rule groups come from the stack built for a StackConfig (what synth writes), and every
 * case runs on the real promtool, with series that disappear (`_` samples), not only values that drop.
 */
import { buildApp } from '../lib/synth';
import { StackConfig } from '../lib/config';
import { ConfigError } from '../lib/validate';
import { RuleGroup } from '../lib/alerting';
import { AlertCase, runAlertCases, tempDir } from './rule-tools';

function groupsOf(config: StackConfig): readonly RuleGroup[] {
  return buildApp(config, tempDir()).stack.ruleGroups;
}

type Case = AlertCase;

/** Runs the cases against every rule group with promtool. */
const runCases = (groups: readonly RuleGroup[], cases: readonly Case[]) => runAlertCases(groups, cases);

const up = (service: string, pod: string, ns = 'knowton-dev') =>
  `up{job="knowton-${service}", service="${service}", namespace="${ns}", pod="${pod}", instance="10.42.0.1:3000"}`;
const ksm = 'job="kube-state-metrics", instance="10.42.1.7:8080"';
const deployment = (name: string, app: string, ns = 'knowton-dev') => ({
  labels: `kube_deployment_labels{${ksm}, namespace="${ns}", deployment="${name}", label_app="${app}"}`,
  available: `kube_deployment_status_replicas_available{${ksm}, namespace="${ns}", deployment="${name}"}`,
});
const backendDeploy = deployment('knowton-backend', 'backend');
const aiDeploy = deployment('ai-service', 'ai-service');
// Both services healthy throughout; cases override what they break.
const healthy = {
  [up('backend', 'backend-1')]: '1x20',
  [up('ai-service', 'ai-1')]: '1x20',
  [backendDeploy.labels]: '1x20',
  [backendDeploy.available]: '2x20',
  [aiDeploy.labels]: '1x20',
  [aiDeploy.available]: '1x20',
};

describe('ServiceMissing: an expected service without a healthy target pages', () => {
  const groups = groupsOf({ environment: 'dev' });

  test.each<Case>([
    { name: 'all healthy: silent', input: healthy, alertname: 'ServiceMissing', evalTime: '15m', fires: [] },
    {
      name: 'scaled to 0: the target disappears and no replica is available',
      input: { ...healthy, [up('backend', 'backend-1')]: '1x5 _x15', [backendDeploy.available]: '2x5 0x15' },
      alertname: 'ServiceMissing', evalTime: '15m', fires: [{ service: 'backend' }],
    },
    {
      name: 'pods Pending (never scraped): no up series at all, the Deployment shows 0 available',
      input: { ...healthy, [up('backend', 'backend-1')]: '_x20', [backendDeploy.available]: '0x20' },
      alertname: 'ServiceMissing', evalTime: '10m', fires: [{ service: 'backend' }],
    },
    {
      name: 'the target is gone while kube-state-metrics still counts a replica (scrape path alone)',
      input: { ...healthy, [up('ai-service', 'ai-1')]: '1x5 _x15' },
      alertname: 'ServiceMissing', evalTime: '15m', fires: [{ service: 'ai-service' }],
    },
    {
      name: 'a pod still scraped but the Deployment has no available replica (kube-state-metrics path alone)',
      input: { ...healthy, [backendDeploy.available]: '2x5 0x15' },
      alertname: 'ServiceMissing', evalTime: '15m', fires: [{ service: 'backend' }],
    },
    {
      name: 'not for 2 minutes yet: silent',
      input: { ...healthy, [up('backend', 'backend-1')]: '1x10 _x10' },
      alertname: 'ServiceMissing', evalTime: '12m', fires: [],
    },
    {
      name: 'one of two replicas gone: the other is healthy, silent',
      input: { ...healthy, [up('backend', 'backend-1')]: '1x5 _x15', [up('backend', 'backend-2')]: '1x20' },
      alertname: 'ServiceMissing', evalTime: '15m', fires: [],
    },
    {
      name: 'a service nobody expects disappears: silent',
      input: { ...healthy, [up('batch', 'batch-1')]: '1x5 _x15', ...Object.fromEntries(Object.entries(deployment('batch', 'batch')).map(([k, v]) => [v, k === 'labels' ? '1x20' : '1x5 0x15'])) },
      alertname: 'ServiceMissing', evalTime: '15m', fires: [],
    },
    {
      name: 'a Deployment scaled to 0 in kube-system with the same app label: silent',
      input: { ...healthy, [deployment('backend', 'backend', 'kube-system').labels]: '1x20', [deployment('backend', 'backend', 'kube-system').available]: '0x20' },
      alertname: 'ServiceMissing', evalTime: '15m', fires: [],
    },
  ])('$name', (c) => {
    const r = runCases(groups, [c]);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  test('the expected services are a StackConfig setting: a service that is not expected never pages', () => {
    const onlyAi = groupsOf({ environment: 'dev', expectedServices: ['ai-service'] });
    const backendGone = { ...healthy, [up('backend', 'backend-1')]: '1x5 _x15', [backendDeploy.available]: '2x5 0x15' };
    expect(runCases(onlyAi, [{ name: 'backend not expected', input: backendGone, alertname: 'ServiceMissing', evalTime: '15m', fires: [] }]).status).toBe(0);
    // and the same input pages with the default list: the case above cannot pass by accident
    const r = runCases(onlyAi, [{ name: 'backend not expected', input: backendGone, alertname: 'ServiceMissing', evalTime: '15m', fires: [{ service: 'backend' }] }]);
    expect(r.output).toContain('FAILED');
  });

  test.each<[unknown, string]>([
    [[], 'expectedServices'],
    [['backend', 'backend'], 'expectedServices'],
    [['Backend'], 'expectedServices[0]'],
  ])('expectedServices %j is refused naming %s', (value, field) => {
    let err: unknown;
    try {
      groupsOf({ environment: 'dev', expectedServices: value as string[] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(field);
  });
});

describe('ContainerWaiting: containers that cannot start', () => {
  const groups = groupsOf({ environment: 'dev' });
  const waiting = (reason: string, ns = 'knowton-dev') =>
    `kube_pod_container_status_waiting_reason{${ksm}, namespace="${ns}", pod="backend-2", uid="u1", container="backend", reason="${reason}"}`;

  test.each<Case>([
    { name: 'ImagePullBackOff for 5 minutes fires', input: { [waiting('ImagePullBackOff')]: '0x3 1x15' }, alertname: 'ContainerWaiting', evalTime: '12m',
      fires: [{ namespace: 'knowton-dev', pod: 'backend-2', container: 'backend', reason: 'ImagePullBackOff' }] },
    { name: 'CreateContainerConfigError fires', input: { [waiting('CreateContainerConfigError')]: '1x15' }, alertname: 'ContainerWaiting', evalTime: '10m',
      fires: [{ namespace: 'knowton-dev', pod: 'backend-2', container: 'backend', reason: 'CreateContainerConfigError' }] },
    { name: 'ContainerCreating is normal: silent', input: { [waiting('ContainerCreating')]: '1x15' }, alertname: 'ContainerWaiting', evalTime: '10m', fires: [] },
    { name: 'kube-system stays silent', input: { [waiting('CrashLoopBackOff', 'kube-system')]: '1x15' }, alertname: 'ContainerWaiting', evalTime: '10m', fires: [] },
  ])('$name', (c) => {
    const r = runCases(groups, [c]);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });
});

describe('kube-state-metrics and cAdvisor alerts see only the watched namespaces', () => {
  const restarts = (ns: string) =>
    `kube_pod_container_status_restarts_total{${ksm}, namespace="${ns}", pod="p-1", uid="u1", container="c"}`;
  const cpu = (ns: string) => [
    `container_cpu_usage_seconds_total{job="kubelet-cadvisor", instance="n1", node="n1", namespace="${ns}", pod="p-1", container="c", cpu="total"}`,
    `kube_pod_container_resource_limits{${ksm}, namespace="${ns}", pod="p-1", uid="u1", container="c", node="n1", resource="cpu", unit="core"}`,
  ];
  const memory = (ns: string) => [
    `container_memory_working_set_bytes{job="kubelet-cadvisor", instance="n1", node="n1", namespace="${ns}", pod="p-1", container="c"}`,
    `kube_pod_container_resource_limits{${ksm}, namespace="${ns}", pod="p-1", uid="u1", container="c", node="n1", resource="memory", unit="byte"}`,
  ];
  const where = (ns: string) => ({ namespace: ns, pod: 'p-1', container: 'c' });
  // A restart, a container at 95% of its CPU limit (0.95 cores of 1) and one at 95% of its memory limit.
  const incidents = (ns: string): Record<string, string> => ({
    [restarts(ns)]: '0x15 1x15',
    [cpu(ns)[0]]: '0+57x30',
    [cpu(ns)[1]]: '1x30',
    [memory(ns)[0]]: '950x30',
    [memory(ns)[1]]: '1000x30',
  });
  const alerts = ['PodCrashLooping', 'HighCPUUsage', 'HighMemoryUsage'];

  test.each(alerts)('%s: one incident in kube-system stays silent, the same in knowton-dev fires', (alertname) => {
    const groups = groupsOf({ environment: 'dev' });
    const r = runCases(groups, [
      { name: `${alertname} kube-system`, input: incidents('kube-system'), alertname, evalTime: '25m', fires: [] },
      { name: `${alertname} knowton-dev`, input: incidents('knowton-dev'), alertname, evalTime: '25m', fires: [where('knowton-dev')] },
    ]);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  test('the scope follows StackConfig.watchedNamespaces', () => {
    const groups = groupsOf({ environment: 'dev', watchedNamespaces: ['knowton-batch'] });
    const r = runCases(groups, [
      { name: 'watched', input: incidents('knowton-batch'), alertname: 'PodCrashLooping', evalTime: '25m', fires: [where('knowton-batch')] },
      { name: 'kube-system', input: incidents('kube-system'), alertname: 'PodCrashLooping', evalTime: '25m', fires: [] },
    ]);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });
});

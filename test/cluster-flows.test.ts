/**
 * Flows a real cluster needs beyond the stack's own: cert-manager's HTTP-01 solver pods reachable by the
 * ingress controller, DNS through NodeLocal DNSCache where it is installed; and node-exporter's priority class
 * as a setting, off by default (GKE refuses system-node-critical outside kube-system).
 */
import { K8sObject, findObject, loadObjects, synthTo } from './helpers';
import { StackConfig, environmentConfig } from '../lib/config';
import { Pod, allowed, allowedToAddress, inCidr, stackPods } from './netpol';

const dev = environmentConfig('dev');
const ingressNginx: Pod = { name: 'ingress-nginx', namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
const solver = (ns: string): Pod => ({ name: 'cm-acme-http-solver-x7k2p', namespace: ns, labels: { 'acme.cert-manager.io/http01-solver': 'true', 'acme.cert-manager.io/http-domain': '1' } });

test('the evaluator reads CIDRs right', () => {
  expect(inCidr('169.254.20.10', '169.254.20.10/32')).toBe(true);
  expect(inCidr('169.254.20.11', '169.254.20.10/32')).toBe(false);
  expect(inCidr('10.1.2.3', '0.0.0.0/0')).toBe(true);
  expect(inCidr('10.1.2.3', '10.0.0.0/8')).toBe(true);
  expect(inCidr('11.1.2.3', '10.0.0.0/8')).toBe(false);
});

describe("cert-manager's HTTP-01 solver (ingress.clusterIssuer)", () => {
  const issuer = { ingress: { ...dev.ingress, clusterIssuer: 'letsencrypt' } };

  test('in a dedicated namespace, whose default deny covers every pod, the ingress controller reaches the solver on 8089', () => {
    const objects = loadObjects(synthTo({ ...dev, ...issuer, namespace: 'knowton-monitoring', namespaceMode: 'dedicated' }));
    expect(allowed(objects, ingressNginx, solver('knowton-monitoring'), 8089)).toBe(true);
    expect(allowed(objects, ingressNginx, solver('knowton-monitoring'), 8080)).toBe(false);
  });

  test("in the shared namespace it passes the applications' own default deny too", () => {
    const objects = loadObjects(synthTo({ ...dev, ...issuer }));
    const appsDenyAll: K8sObject = {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'apps-default-deny', namespace: 'knowton-dev' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    };
    expect(allowed([...objects, appsDenyAll], ingressNginx, solver('knowton-dev'), 8089)).toBe(true);
    const policy = findObject(objects, 'NetworkPolicy', 'cm-acme-http-solver');
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.egress).toBeUndefined();
  });

  test('without a ClusterIssuer there is no solver policy', () => {
    expect(loadObjects(synthTo(dev)).some((o) => o.metadata.name === 'cm-acme-http-solver')).toBe(false);
  });
});

describe('NodeLocal DNSCache (network.nodeLocalDns)', () => {
  test('every pod of the stack may ask it, on UDP and TCP 53', () => {
    const objects = loadObjects(synthTo({ ...dev, network: { nodeLocalDns: '169.254.20.10' } }));
    const pods = stackPods(objects).filter((p) => p.name !== 'node-exporter');
    expect(pods.length).toBe(5);
    for (const p of pods) {
      for (const protocol of ['UDP', 'TCP']) expect([p.name, protocol, allowedToAddress(objects, p, '169.254.20.10', 53, protocol)]).toEqual([p.name, protocol, true]);
    }
  });

  test('not without the setting (the address is outside the pod network, and DNS is allowed only to the cluster DNS pods)', () => {
    const objects = loadObjects(synthTo(dev));
    expect(allowedToAddress(objects, stackPods(objects).find((p) => p.name === 'grafana')!, '169.254.20.10', 53, 'UDP')).toBe(false);
  });

  test('an address that is not one fails synth', () => {
    expect(() => synthTo({ ...dev, network: { nodeLocalDns: '169.254.20' } }))
      .toThrow('StackConfig: invalid network.nodeLocalDns "169.254.20": an IPv4 address such as 169.254.20.10');
  });
});

describe("node-exporter's priority class", () => {
  test.each(['dev', 'staging', 'prod'])('%s: none by default', (name) => {
    const objects = loadObjects(synthTo(environmentConfig(name)));
    expect(findObject(objects, 'DaemonSet', 'node-exporter').spec.template.spec.priorityClassName).toBeUndefined();
  });

  test('set where the cluster allows it', () => {
    const config: StackConfig = { ...dev, nodeExporter: { priorityClassName: 'system-node-critical' } };
    const objects = loadObjects(synthTo(config));
    expect(findObject(objects, 'DaemonSet', 'node-exporter').spec.template.spec.priorityClassName).toBe('system-node-critical');
    expect(() => synthTo({ ...dev, nodeExporter: { priorityClassName: 'System Critical' } })).toThrow(/node-exporter\/node-exporter: invalid priorityClassName "System Critical"/);
  });
});

/**
 * Example values of every label the catalog declares. Generated promtool tests build their input
 * series from these, so they must look like what the scrape really produces, and values of a
 * label shared by two metrics (namespace, pod, container) agree so that the two sides of a join
 * match. The first value is used unless a selector requires another (status=~"5.." takes "500").
 */
export const LABEL_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  // target labels set by the scrape configuration
  job: ['knowton-backend', 'kube-state-metrics', 'kubelet-cadvisor', 'node-exporter', 'postgres-exporter', 'prometheus', 'alertmanager'],
  instance: ['10.42.0.15:3000'],
  service: ['backend', 'ai-service'],
  namespace: ['knowton-dev'],
  pod: ['backend-7d4b9c6f5-x2x7q'],
  // application labels
  method: ['GET', 'POST'],
  route: ['/api/v1/nfts'],
  status: ['200', '500', '404', 'success', 'error'],
  category: ['music', 'art'],
  creator: ['0x5a1f'],
  pair: ['KNOW/USDC'],
  timeframe: ['24h', '7d', '30d'],
  nft: ['42'],
  operation: ['mint', 'transfer'],
  network: ['arbitrum'],
  collector: ['nfts'],
  result: ['hit', 'miss'],
  topic: ['nft-events'],
  // kube-state-metrics and cAdvisor
  container: ['backend', ''],
  uid: ['6f1c2d8e-0b7a-4c1e-9d55-3a1f0e2b7c41'],
  node: ['worker-1'],
  resource: ['cpu', 'memory'],
  unit: ['core', 'byte'],
  phase: ['Running', 'Pending'],
  label_app: ['backend'],
  deployment: ['backend'],
  reason: ['CrashLoopBackOff', 'ImagePullBackOff'],
  id: ['/kubepods/burstable/pod6f1c2d8e/1b2c'],
  image: ['ghcr.io/knowton/backend:1.4.2'],
  name: ['1b2c3d4e5f60'],
  // the kubelet's volume stats
  persistentvolumeclaim: ['data-prometheus-0'],
  // Prometheus's remote write queues
  remote_name: ['mimir'],
  url: ['https://mimir.example.org/api/v1/push'],
  // node-exporter
  cpu: ['0', 'total'],
  mode: ['idle', 'user'],
  device: ['/dev/nvme0n1p1'],
  fstype: ['ext4'],
  mountpoint: ['/'],
  // postgres-exporter
  datid: ['16384'],
  datname: ['knowton'],
  // prometheus and alertmanager
  rule_group: ['/etc/prometheus/rules/service-health.rules.yml;service-health'],
  // ALERTS: Prometheus's series of its own alerting rules
  alertname: ['PostgreSQLDown'],
  alertstate: ['firing', 'pending'],
  alertmanager: ['http://alertmanager-service:9093/api/v2/alerts'],
  integration: ['slack', 'email'],
};

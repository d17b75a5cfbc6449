import { createHash } from 'crypto';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';

/** CPU and memory for one container, as Kubernetes quantities. */
export interface ResourceSpec {
  /** Requested CPU, e.g. `100m`. */
  readonly cpuRequest: string;
  /** CPU limit, e.g. `500m`. */
  readonly cpuLimit: string;
  /** Requested memory, e.g. `256Mi`. */
  readonly memoryRequest: string;
  /** Memory limit, e.g. `512Mi`. */
  readonly memoryLimit: string;
}

/** The recommended Kubernetes labels, shared by every object of one component. */
export function componentLabels(name: string, component: string, version: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'knowton-monitoring',
    'app.kubernetes.io/version': version,
    'app.kubernetes.io/managed-by': 'cdk8s',
  };
}

/** The labels a selector may use: they must never change across upgrades, so no version. */
export function selectorLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'knowton-monitoring' };
}

/**
 * What every object of a component shares: its labels (version from the image tag), the pod
 * selector, and metadata in its namespace (`null` for a cluster-scoped object).
 */
export function componentIdentity(name: string, component: string, image: string, namespace: string) {
  const labels = componentLabels(name, component, imageTag(image));
  return {
    labels,
    selector: selectorLabels(name),
    meta: (n: string, ns: string | null = namespace) => ({ name: n, namespace: ns ?? undefined, labels }),
  };
}

/** The tag of an image reference (`repo:tag` -> `tag`), used as the version label. */
export function imageTag(image: string): string {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? image.slice(at + 1) : '';
}

export function resources(spec: ResourceSpec): k8s.ResourceRequirements {
  return {
    requests: { cpu: k8s.Quantity.fromString(spec.cpuRequest), memory: k8s.Quantity.fromString(spec.memoryRequest) },
    limits: { cpu: k8s.Quantity.fromString(spec.cpuLimit), memory: k8s.Quantity.fromString(spec.memoryLimit) },
  };
}

/** Unprivileged user and group of the upstream images (`nobody`). */
export const NOBODY = 65534;

/** The container security context the `restricted` Pod Security Standard asks for. */
export function restrictedContainerSecurity(uid: number = NOBODY): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Pod-level security context: non-root, and volumes writable by the unprivileged group. */
export function restrictedPodSecurity(uid: number = NOBODY): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** sha256 of a value's JSON, for pod annotations that roll the pods when their configuration changes. */
export function checksum(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** Prefer one replica per node, so losing a node loses at most one replica. */
export function spreadOverNodes(selector: Record<string, string>): k8s.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
      ],
    },
  };
}

/** The `data` volume claim of a StatefulSet. */
export function dataVolumeClaim(selector: Record<string, string>, size: string, storageClassName?: string): k8s.KubePersistentVolumeClaimProps {
  return {
    metadata: { name: 'data', labels: selector },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(storageClassName ? { storageClassName } : {}),
      resources: { requests: { storage: k8s.Quantity.fromString(size) } },
    },
  };
}

/**
 * prometheus-operator's config-reloader as a sidecar: it watches the mounted ConfigMaps, which the
 * kubelet updates in place, and POSTs `reloadUrl`; a config the server refuses leaves the old one running.
 */
export function configReloaderContainer(props: {
  image: string;
  resources: ResourceSpec;
  reloadUrl: string;
  watch: string[];
  mounts: k8s.VolumeMount[];
}): k8s.Container {
  return {
    name: 'config-reloader',
    image: props.image,
    args: ['--listen-address=:8081', `--reload-url=${props.reloadUrl}`, ...props.watch],
    ports: [containerPort('reloader-web', 8081)],
    resources: resources(props.resources),
    securityContext: restrictedContainerSecurity(),
    volumeMounts: props.mounts,
  };
}

/** A TCP port for container specs. */
export function containerPort(name: string, port: number): k8s.ContainerPort {
  return { name, containerPort: port, protocol: 'TCP' };
}

/** An HTTP GET probe on a named port. */
export function httpProbe(path: string, port: string, periodSeconds = 10, failureThreshold = 3): k8s.Probe {
  return {
    httpGet: { path, port: k8s.IntOrString.fromString(port) },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  };
}

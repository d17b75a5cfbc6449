import { createHash } from 'crypto';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { check, checkKeys, checkQuantity, keysOf } from '../validate';

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
export const RESOURCE_SPEC_KEYS = keysOf<ResourceSpec>()(['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit']);

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

/**
 * A container's requests and limits, checked: four positive quantities (`2 cores`, `-1Gi` and `lots`
 * are refused here rather than by the API server), each request at most its limit.
 */
export function resources(spec: ResourceSpec, where: string, field: string): k8s.ResourceRequirements {
  checkKeys(`${where} ${field}`, spec, RESOURCE_SPEC_KEYS);
  const q = Object.fromEntries(RESOURCE_SPEC_KEYS.map((k) => [k, checkQuantity(where, `${field}.${k}`, spec?.[k])]));
  check(q.cpuRequest <= q.cpuLimit, where, `${field}.cpuRequest`, spec.cpuRequest, `at most cpuLimit (${spec.cpuLimit})`);
  check(q.memoryRequest <= q.memoryLimit, where, `${field}.memoryRequest`, spec.memoryRequest, `at most memoryLimit (${spec.memoryLimit})`);
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
export function dataVolumeClaim(selector: Record<string, string>, size: string, storageClassName?: string, where = 'dataVolumeClaim'): k8s.KubePersistentVolumeClaimProps {
  if (storageClassName !== undefined) {
    check(typeof storageClassName === 'string' && storageClassName.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(storageClassName),
      where, 'storageClassName', storageClassName, 'the name of a StorageClass: a lowercase DNS subdomain such as gp3 or premium-rwo');
  }
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
  where: string;
  field: string;
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
    resources: resources(props.resources, props.where, props.field),
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

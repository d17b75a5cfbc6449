import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { check, checkBoolean, checkDnsLabel, checkKeys, checkString, checkUrl, keysOf } from '../validate';
import { componentLabels } from './common';

/** One path of an Ingress rule (networking.k8s.io/v1 HTTPIngressPath, without the backend). */
export interface IngressPath {
  readonly path: string;
  /** `ImplementationSpecific` only for paths that `Exact` and `Prefix` may not hold (see STRICT_PATH). */
  readonly pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
}

/**
 * What ingress-nginx admits in an `Exact` or `Prefix` path (`strict-validate-path-type`, on by default since
 * 1.12; 1.12.0-1.12.5 and 1.13.0-1.13.1 refuse even a dot): a path such as `/favicon.ico` must be
 * `ImplementationSpecific`, which ingress-nginx (without the use-regex annotation) serves as a plain string prefix.
 */
export const STRICT_PATH = /^\/[A-Za-z0-9/_-]*$/;

const elements = (p: string) => p.split('/').filter((e) => e !== '');

/**
 * Which of `paths` serves `requestPath` under the Ingress v1 rules: `Exact` matches the path as is; `Prefix`
 * matches element by element of the `/`-separated path (`/api/v1/label` matches `/api/v1/label/job/values`, not
 * `/api/v1/labels`; a trailing slash is ignored); `ImplementationSpecific` as ingress-nginx serves it without
 * regexes, a string prefix (`/script.js` also matches `/script.jsx`); the longest matching path wins, `Exact`
 * before the others on a tie. Undefined when none matches (the controller answers 404 without reaching the Service).
 */
export function matchIngressPath(paths: readonly IngressPath[], requestPath: string): IngressPath | undefined {
  const request = elements(requestPath);
  const matches = paths.filter((p) => p.pathType === 'Exact'
    ? p.path === requestPath
    : p.pathType === 'ImplementationSpecific'
      ? requestPath.startsWith(p.path)
      : elements(p.path).every((e, i) => request[i] === e));
  return matches.sort((a, b) => b.path.length - a.path.length || (a.pathType === 'Exact' ? -1 : 0) - (b.pathType === 'Exact' ? -1 : 0))[0];
}

/** The Ingress paths that expose a whole server. */
export const ALL_PATHS: readonly IngressPath[] = [{ path: '/', pathType: 'Prefix' }];

/** One UI exposed through the Ingress. */
export interface ExposedUi {
  /** Sub-domain, e.g. `grafana` for grafana.<domain>. */
  readonly name: string;
  /** Service name and port behind it. */
  readonly serviceName: string;
  readonly servicePort: number;
  /** Whether the UI has no login of its own and must be put behind the Ingress's authentication. */
  readonly needsAuth: boolean;
  /** The paths routed to the Service: what a user of the UI needs. @default ALL_PATHS (`/`, Prefix) */
  readonly paths?: readonly IngressPath[];
  /** Request paths that must not be routed (lifecycle and admin endpoints); a path list that routes one fails synth. @default [] */
  readonly forbiddenPaths?: readonly string[];
}

/** Authentication in front of the UIs that have none of their own. */
export type IngressAuth =
  /** ingress-nginx basic auth from an htpasswd Secret (key `auth`). */
  | { readonly type: 'basic'; readonly secretName: string }
  /** An oauth2-proxy already running for the domain; ingress-nginx asks it on every request. */
  | { readonly type: 'oauth2-proxy'; readonly url: string };

export interface MonitoringIngressProps {
  /** Namespace of the Ingress objects. */
  readonly namespace: string;
  /** Parent domain; hosts are prometheus.<domain>, grafana.<domain>, alertmanager.<domain>. @default 'knowton.io' */
  readonly domain?: string;
  /** IngressClass. @default 'nginx' */
  readonly ingressClassName?: string;
  /** The UIs to expose. */
  readonly uis: readonly ExposedUi[];
  /** Serve TLS on every host; turning it off also needs allowInsecure. @default true */
  readonly tls?: boolean;
  /** Explicit consent to plain-HTTP hosts (only for a throw-away cluster). @default false */
  readonly allowInsecure?: boolean;
  /** cert-manager ClusterIssuer that issues the hosts' certificates. @default none (the TLS Secrets are made by hand) */
  readonly clusterIssuer?: string;
  /** Authentication for Prometheus and Alertmanager. @default basic auth from Secret 'monitoring-basic-auth' */
  readonly auth?: IngressAuth;
}

/** The UIs the stack exposes, each on `<name>.<domain>`. */
export const UI_NAMES = ['prometheus', 'grafana', 'alertmanager'] as const;
export const INGRESS_KEYS = keysOf<MonitoringIngressProps>()(['namespace', 'domain', 'ingressClassName', 'uis', 'tls', 'allowInsecure', 'clusterIssuer', 'auth']);
/** Keys of each kind of IngressAuth. */
export const INGRESS_AUTH_KEYS = {
  basic: keysOf<Extract<IngressAuth, { type: 'basic' }>>()(['type', 'secretName']),
  'oauth2-proxy': keysOf<Extract<IngressAuth, { type: 'oauth2-proxy' }>>()(['type', 'url']),
};

export const INGRESS_DEFAULTS = {
  domain: 'knowton.io',
  ingressClassName: 'nginx',
  auth: { type: 'basic', secretName: 'monitoring-basic-auth' } as IngressAuth,
};

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;

/**
 * networking.k8s.io/v1 Ingress objects for the UIs: one per host, TLS on each, and authentication in
 * front of Prometheus and Alertmanager (which have no login); Grafana uses its own login.
 */
export class MonitoringIngress extends Construct {
  /** Public URL of each UI by name, e.g. `grafana` -> `https://grafana.knowton.io`. */
  readonly urls: Record<string, string> = {};
  /** Secrets the operator must create: TLS certificates (unless cert-manager) and the auth Secret. */
  readonly requiredSecrets: string[] = [];

  constructor(scope: Construct, id: string, props: MonitoringIngressProps) {
    super(scope, id);
    const where = this.node.path;
    const domain = props.domain ?? INGRESS_DEFAULTS.domain;
    const ingressClassName = props.ingressClassName ?? INGRESS_DEFAULTS.ingressClassName;
    const tls = props.tls ?? true;
    const auth = props.auth ?? INGRESS_DEFAULTS.auth;
    checkKeys(where, props, INGRESS_KEYS);
    for (const field of ['tls', 'allowInsecure'] as const) checkBoolean(where, field, props[field]);
    checkString(where, 'domain', domain, 'a lowercase DNS name such as knowton.io', DNS_NAME);
    checkDnsLabel(where, 'ingressClassName', ingressClassName);
    check(tls || props.allowInsecure === true, where, 'tls', tls,
      'true; plain-HTTP hosts expose credentials and need allowInsecure: true as well');
    check(auth?.type === 'basic' || auth?.type === 'oauth2-proxy', where, 'auth.type', auth?.type, 'basic or oauth2-proxy');
    checkKeys(`${where} auth`, auth, INGRESS_AUTH_KEYS[auth.type]);
    if (auth.type === 'basic') {
      check(typeof auth.secretName === 'string' && auth.secretName.length > 0, where, 'auth.secretName', auth.secretName, 'the name of an htpasswd Secret (key `auth`)');
      checkDnsLabel(where, 'auth.secretName', auth.secretName);
    } else {
      checkUrl(where, 'auth.url', auth.url, { https: true, example: 'https://oauth2.knowton.io (the oauth2-proxy)' });
    }
    if (props.clusterIssuer !== undefined) checkDnsLabel(where, 'clusterIssuer', props.clusterIssuer);

    const labels = componentLabels('ingress', 'ingress', 'v1');
    for (const ui of props.uis) {
      const host = `${ui.name}.${domain}`;
      check(DNS_NAME.test(host), where, `uis.${ui.name}`, host, 'a DNS name');
      const paths = ui.paths ?? ALL_PATHS;
      for (const p of paths) {
        check(p.path.startsWith('/') && ['Exact', 'Prefix', 'ImplementationSpecific'].includes(p.pathType), where, `uis.${ui.name}.paths`, p,
          'a path starting with / and pathType Exact, Prefix or ImplementationSpecific');
        check(p.pathType === 'ImplementationSpecific' || STRICT_PATH.test(p.path), where, `uis.${ui.name}.paths`, p,
          `an Exact or Prefix path of letters, digits, /, _ and - only (ingress-nginx refuses others, e.g. a dot, in them): pathType ImplementationSpecific for ${p.path}`);
      }
      for (const f of ui.forbiddenPaths ?? []) {
        const hit = matchIngressPath(paths, f);
        check(hit === undefined, where, `uis.${ui.name}.paths`, hit, `paths that do not route ${f} (a lifecycle or admin endpoint, never for the UI's users)`);
      }
      const tlsSecret = `${ui.name}-tls`;
      const annotations: Record<string, string> = {};
      if (tls) annotations['nginx.ingress.kubernetes.io/force-ssl-redirect'] = 'true';
      if (props.clusterIssuer) annotations['cert-manager.io/cluster-issuer'] = props.clusterIssuer;
      if (ui.needsAuth) {
        if (auth.type === 'basic') {
          annotations['nginx.ingress.kubernetes.io/auth-type'] = 'basic';
          annotations['nginx.ingress.kubernetes.io/auth-secret'] = auth.secretName;
          annotations['nginx.ingress.kubernetes.io/auth-realm'] = `KnowTon ${ui.name}`;
        } else {
          annotations['nginx.ingress.kubernetes.io/auth-url'] = `${auth.url}/oauth2/auth`;
          annotations['nginx.ingress.kubernetes.io/auth-signin'] = `${auth.url}/oauth2/start?rd=$scheme://$host$escaped_request_uri`;
        }
      }
      new k8s.KubeIngress(this, ui.name, {
        metadata: { name: ui.name, namespace: props.namespace, labels, annotations },
        spec: {
          ingressClassName,
          ...(tls ? { tls: [{ hosts: [host], secretName: tlsSecret }] } : {}),
          rules: [
            {
              host,
              http: {
                paths: paths.map((p) => ({
                  path: p.path,
                  pathType: p.pathType,
                  backend: { service: { name: ui.serviceName, port: { number: ui.servicePort } } },
                })),
              },
            },
          ],
        },
      });
      this.urls[ui.name] = `${tls ? 'https' : 'http'}://${host}`;
      if (tls && !props.clusterIssuer) this.requiredSecrets.push(tlsSecret);
    }
    if (auth.type === 'basic' && props.uis.some((u) => u.needsAuth)) this.requiredSecrets.push(auth.secretName);
  }
}

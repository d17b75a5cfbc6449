/**
 * Bad input fails synth with one message that says where (construct path), what (field),
 * the value given and what is allowed, so it can be fixed without reading the source.
 */
export class ConfigError extends Error {
  constructor(
    readonly where: string,
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${where}: invalid ${field} ${JSON.stringify(value)}: ${allowed}`);
    this.name = 'ConfigError';
  }
}

/** Throws a ConfigError unless `ok`. */
export function check(ok: boolean, where: string, field: string, value: unknown, allowed: string): void {
  if (!ok) throw new ConfigError(where, field, value, allowed);
}

const QUANTITY = /^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/;
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The value of a Kubernetes quantity (`512Mi`, `50Gi`, `250m`), or undefined if it is not one. */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const suffix = m[3] ?? '';
  return Number(m[1]) * (BINARY[suffix] ?? DECIMAL[suffix]);
}

/** Checks a Kubernetes quantity field. */
export function checkQuantity(where: string, field: string, value: string): number {
  const n = parseQuantity(value);
  check(n !== undefined && n > 0, where, field, value, 'a positive Kubernetes quantity such as 512Mi, 50Gi or 250m');
  return n!;
}

/** Checks a DNS-1123 label (namespace and object names). */
export function checkDnsLabel(where: string, field: string, value: string): void {
  check(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) && value.length <= 63,
    where,
    field,
    value,
    'a DNS-1123 label: 1-63 lowercase letters, digits or -, starting and ending with a letter or digit',
  );
}

/** Checks an image reference pinned to a tag or digest other than `latest`. */
export function checkImage(where: string, field: string, value: string): void {
  const tag = /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(value.split('/').pop() ?? '');
  check(
    /@sha256:[0-9a-f]{64}$/.test(value) || (tag !== null && tag[1] !== 'latest'),
    where,
    field,
    value,
    'an image pinned to a released tag (repo:vX.Y.Z) or a digest, never untagged or :latest',
  );
}

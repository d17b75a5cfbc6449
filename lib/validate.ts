import { Duration } from './units';

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
  const m = typeof text === 'string' ? QUANTITY.exec(text) : null;
  if (!m) return undefined;
  const suffix = m[3] ?? '';
  return Number(m[1]) * (BINARY[suffix] ?? DECIMAL[suffix]);
}

/** Checks a DNS-1123 label (namespace and object names). */
export function checkDnsLabel(where: string, field: string, value: string): void {
  check(
    typeof value === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) && value.length <= 63,
    where,
    field,
    value,
    'a DNS-1123 label: 1-63 lowercase letters, digits or -, starting and ending with a letter or digit',
  );
}

/** Checks an image reference pinned to a tag or digest other than `latest`. */
export function checkImage(where: string, field: string, value: string): void {
  const tag = typeof value === 'string' ? /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(value.split('/').pop() ?? '') : null;
  check(
    (typeof value === 'string' && /@sha256:[0-9a-f]{64}$/.test(value)) || (tag !== null && tag[1] !== 'latest'),
    where,
    field,
    value,
    'an image pinned to a released tag (repo:vX.Y.Z) or a digest, never untagged or :latest',
  );
}

// ---- Shared checkers for what Prometheus, Alertmanager and Kubernetes would refuse later ----

/**
 * The keys of a props interface as a run-time list, for unknown-key checks. Compiles only when the
 * list holds every key of `T` and nothing else, so the list cannot drift from the interface:
 * `export const KEYS = keysOf<PrometheusProps>()(['namespace', 'replicas', ...]);`
 */
export function keysOf<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { readonly missingKeys: Exclude<keyof T, K[number]> }),
  ): readonly (keyof T & string)[] => keys;
}

/** Edit distance, to suggest the key a misspelt one meant. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Checks that `value` is a plain object whose keys are all in `keys`: a misspelt setting
 * (`retension`) would otherwise be silently ignored, since synth transpiles without type checking.
 */
export function checkKeys(where: string, value: unknown, keys: readonly string[]): void {
  if (value === undefined) return;
  check(value !== null && typeof value === 'object' && !Array.isArray(value), where, 'settings', value, `an object with keys among ${keys.join(', ')}`);
  for (const key of Object.keys(value as object)) {
    if (keys.includes(key)) continue;
    const near = keys.filter((k) => distance(k.toLowerCase(), key.toLowerCase()) <= Math.max(1, Math.floor(key.length / 4)));
    throw new ConfigError(where, 'key', key, `unknown key${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}: one of ${keys.join(', ')}`);
  }
}

/**
 * Checks a boolean setting. Synth transpiles without type checking, and JavaScript reads `"false"` and
 * `"no"` as true and `0` as false: a setting written as a string would turn its feature on. Unset passes
 * (the default applies).
 */
export function checkBoolean(where: string, field: string, value: unknown): void {
  check(value === undefined || typeof value === 'boolean', where, field, value, 'true or false (a boolean, not a string or number)');
}

/**
 * Checks a list of strings: `'knowton-dev'` is not `['knowton-dev']` (it would be read letter by letter),
 * and `[1]` or `[['a']]` are not strings. `what` names the entries. Unset passes (the default applies).
 */
export function checkStringList(where: string, field: string, value: unknown, what: string): void {
  if (value === undefined) return;
  check(Array.isArray(value), where, field, value,
    `a list of ${what}${typeof value === 'string' ? ` (a list even for one: [${JSON.stringify(value)}])` : ''}`);
  (value as unknown[]).forEach((v, i) => check(typeof v === 'string', where, `${field}[${i}]`, v, `a string: one of the ${what}`));
}

/**
 * Checks a string setting, and that it matches `pattern` when given: a RegExp's `test` would turn
 * `['#alerts']` or `5` into text and pass them, and the YAML would carry a list or a number.
 */
export function checkString(where: string, field: string, value: unknown, allowed: string, pattern?: RegExp): void {
  check(typeof value === 'string' && (pattern === undefined || pattern.test(value)), where, field, value, allowed);
}

/** Largest duration Prometheus and Alertmanager parse: Go's time.Duration is int64 nanoseconds (about 292 years). */
export const MAX_DURATION_MS = Math.floor((2 ** 63 - 1) / 1e6);

/** Checks a Duration field: really a Duration (not `'30d'` or `30`), at least `min`, and within Prometheus's range. */
export function checkDuration(where: string, field: string, value: unknown, min?: Duration, minText?: string): Duration {
  check(value instanceof Duration, where, field, String(value), 'a Duration such as Duration.minutes(5) or Duration.parse(\'5m\')');
  const d = value as Duration;
  check(d.toMillis() <= MAX_DURATION_MS, where, field, String(d), 'at most 292 years (the largest duration Prometheus and Alertmanager parse)');
  if (min) check(d.compare(min) >= 0, where, field, String(d), minText ?? `a Duration of at least ${min}`);
  return d;
}

/** Kubernetes label keys: an optional DNS prefix and /, then at most 63 letters, digits, -, _ or . (starting and ending with a letter or digit). */
export const KUBERNETES_LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Prometheus label names. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Checks a Prometheus label name; `external` also refuses the `__` prefix Prometheus reserves. */
export function checkLabelName(where: string, field: string, value: unknown, external = false): void {
  check(typeof value === 'string' && LABEL_NAME.test(value) && !(external && value.startsWith('__')), where, field, value,
    `a Prometheus label name: a letter or _, then letters, digits or _ ([a-zA-Z_][a-zA-Z0-9_]*)${external ? ', not starting with __ (reserved)' : ''}`);
}

/** Checks a label set such as external labels: valid names, string values. */
export function checkLabels(where: string, field: string, labels: unknown, external = false): void {
  if (labels === undefined) return;
  check(labels !== null && typeof labels === 'object' && !Array.isArray(labels), where, field, labels, 'an object of label names to string values');
  for (const [name, v] of Object.entries(labels as object)) {
    checkLabelName(where, `${field} name`, name, external);
    check(typeof v === 'string', where, `${field}.${name}`, v, 'a string value');
  }
}

/** The problem RE2 (Go's regexp, used by Prometheus and Alertmanager) has with a JavaScript regex source, if any. */
export function re2Problem(source: string): string | undefined {
  // What RE2 lacks first, for a clearer message than JavaScript's syntax error; then JavaScript's own
  // check, since the fixtures of generated tests match these regexes in JavaScript.
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      if (/[1-9]/.test(n)) return `backreference \\${n} (RE2 has none)`;
      if (n === 'k' && source[i + 2] === '<') return 'named backreference \\k<...> (RE2 has none)';
      if (n === 'u') return 'the \\u escape (RE2 has none: write \\x{263a})';
      i++;
    } else if (c === '[') {
      // a character class: skip to its unescaped end
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
    } else if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2);
      if (/^(=|!|<=|<!)/.test(rest)) return `lookaround (?${/^(<?[=!])/.exec(rest)![1]} (RE2 has no lookahead or lookbehind)`;
      if (rest.startsWith('>')) return 'atomic group (?> (RE2 has none)';
      if (/^P?</.test(rest)) return 'a named group (RE2 before Go 1.22, as in promtool 2.42, refuses (?<name>; JavaScript refuses (?P<name>): use (?:...)';
      if (/^[imsU-]+[):]/.test(rest)) {
        return 'inline flags such as (?i) (RE2 accepts them, but the generated tests match these regexes in JavaScript, which does not): spell out both cases, [Kk]nowton';
      }
    } else if ('*+?}'.includes(c) && source[i + 1] === '+') {
      return `possessive quantifier ${c}+ (RE2 has none)`;
    }
  }
  try {
    new RegExp(source);
  } catch (e) {
    return `not a valid regular expression (${(e as Error).message})`;
  }
  return undefined;
}

/** Checks a regular expression for a label matcher as RE2 accepts it. */
export function checkRegex(where: string, field: string, source: string): void {
  const problem = re2Problem(source);
  check(problem === undefined, where, field, source, `a regular expression RE2 accepts (Prometheus and Alertmanager use Go's regexp): ${problem}`);
}

/** Checks a Kubernetes quantity field. */
export function checkQuantity(where: string, field: string, value: string): number {
  const n = typeof value === 'string' ? parseQuantity(value) : undefined;
  check(n !== undefined && n > 0, where, field, value, 'a positive Kubernetes quantity such as 512Mi, 50Gi or 250m');
  return n!;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIpv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || (text.match(/::/g) ?? []).length > 1) return false;
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = [...(head ? head.split(':') : []), ...(tail ? tail.split(':') : [])];
  // an embedded IPv4 address (::ffff:10.0.0.1) counts as two groups
  const last = groups[groups.length - 1] ?? '';
  const v4 = IPV4.test(last);
  const hex = v4 ? groups.slice(0, -1) : groups;
  if (!hex.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = hex.length + (v4 ? 2 : 0);
  return tail === undefined ? count === 8 : count < 8;
}

/** Checks a CIDR (IPv4 or IPv6) with its prefix length in range, as a NetworkPolicy ipBlock needs. */
export function checkCidr(where: string, field: string, value: unknown): void {
  const m = typeof value === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(value) : null;
  const max = m && IPV4.test(m[1]) ? 32 : m && isIpv6(m[1]) ? 128 : undefined;
  check(m !== null && max !== undefined && Number(m[2]) <= max, where, field, value,
    'a CIDR such as 10.0.0.0/8 or fd00::/8 (IPv4 prefix 0-32, IPv6 prefix 0-128)');
}

/** Checks a TCP/UDP port number. */
export function checkPort(where: string, field: string, value: unknown): void {
  check(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535, where, field, value, 'a port: an integer from 1 to 65535');
}

/** Checks a URL by parsing it, naming the field (a bare `Invalid URL` names nothing). */
export function checkUrl(where: string, field: string, value: unknown, opts: { https?: boolean; path?: boolean; example?: string } = {}): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' && !/\s/.test(value) ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  const schemes = opts.https ? ['https:'] : ['http:', 'https:'];
  const ok = url !== undefined && schemes.includes(url.protocol) && url.hostname !== '' && (!opts.path || url.pathname.length > 1);
  check(ok, where, field, value,
    `an absolute ${opts.https ? 'https://' : 'http:// or https://'} URL${opts.path ? ' with a path' : ''}${opts.example ? `, e.g. ${opts.example}` : ''}`);
  return url!;
}

/** Query parameters that carry a credential: `access_token`, `api_key`, `X-Amz-Signature`, InfluxDB's `p`, ... */
const SECRET_PARAM = /token|key|secret|pass|pwd|auth|sig|cred|session|^p$/i;

/**
 * Checks that a URL written into a ConfigMap carries no credential: no `user:password@` and no query parameter
 * named like a token or password. Such a URL lands in dist/, in git and in every diff; `instead` names the
 * Secret-based setting that keeps the credential out of them.
 */
export function checkNoCredentialsInUrl(where: string, field: string, url: URL, instead: string): void {
  const params = [...new Set(url.searchParams.keys())].filter((k) => SECRET_PARAM.test(k));
  const what = url.username || url.password ? 'a user or password before the host' : params.length > 0 ? `the query parameter ${params[0]}` : undefined;
  if (what === undefined) return;
  // The message shows the URL with the secrets masked: it goes to CI logs.
  const shown = new URL(url.href);
  // A token is often given as the user alone (https://<token>@host): mask both.
  if (shown.username) shown.username = '***';
  if (shown.password) shown.password = '***';
  params.forEach((k) => shown.searchParams.set(k, '***'));
  throw new ConfigError(where, field, shown.href,
    `a URL without credentials (it has ${what}): the URL is written into a ConfigMap, so into dist/ and git; ${instead}`);
}

/** Checks an absolute path in a container: starts with /, no empty, `.` or `..` segments (Kubernetes refuses `..`), not / itself. */
export function checkAbsolutePath(where: string, field: string, value: unknown): void {
  const segments = typeof value === 'string' ? value.replace(/\/$/, '').split('/').slice(1) : [];
  check(typeof value === 'string' && value.startsWith('/') && segments.length > 0 && segments.every((s) => s !== '' && s !== '.' && s !== '..'),
    where, field, value, 'an absolute path such as /etc/alertmanager/config (no empty, . or .. segments, not / itself)');
}

/**
 * Checks the mount paths of one container, as `[field, path]` pairs (a fixed path's field names it): each
 * an absolute path, and none the same as or inside another. Kubernetes refuses one path mounted twice in a
 * container; a mount inside another hides the files there, or cannot be created in a read-only volume.
 */
export function checkMountPaths(where: string, mounts: ReadonlyArray<readonly [string, string]>): void {
  mounts.forEach(([field, p]) => checkAbsolutePath(where, field, p));
  const norm = (p: string) => `${p.replace(/\/$/, '')}/`;
  mounts.forEach(([field, p], i) => {
    for (const [otherField, other] of mounts.slice(0, i)) {
      check(!norm(p).startsWith(norm(other)) && !norm(other).startsWith(norm(p)), where, field, p,
        `a path apart from ${otherField} (${other}), neither the same nor one inside the other: they are mounted in one container, where ` +
        'Kubernetes refuses a path mounted twice and a mount inside another hides its files');
    }
  });
}

/** Namespaces the cluster owns: labelling one `restricted` and default-denying it would break the cluster (DNS). */
export const RESERVED_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Checks a namespace the stack creates and locks down: a DNS label, not a system namespace. */
export function checkOwnNamespace(where: string, field: string, value: string): void {
  checkDnsLabel(where, field, value);
  check(!RESERVED_NAMESPACES.includes(value) && !value.startsWith('kube-'), where, field, value,
    `a namespace of its own, not ${RESERVED_NAMESPACES.join(', ')} or another kube-* namespace: the stack labels it and denies all traffic by default`);
}

/** Go text/template built-ins, and the functions Prometheus adds for alert annotations. */
export const PROMETHEUS_TEMPLATE_FUNCTIONS = [
  'and', 'call', 'html', 'index', 'slice', 'js', 'len', 'not', 'or', 'print', 'printf', 'println', 'urlquery', 'eq', 'ge', 'gt', 'le', 'lt', 'ne',
  'query', 'first', 'label', 'value', 'strvalue', 'args', 'reReplaceAll', 'safeHtml', 'match', 'title', 'toUpper', 'toLower',
  'graphLink', 'tableLink', 'sortByLabel', 'humanize', 'humanize1024', 'humanizeDuration', 'humanizePercentage', 'humanizeTimestamp',
  'toTime', 'toDuration', 'now', 'pathPrefix', 'externalURL', 'parseDuration', 'stripPort', 'stripDomain',
];
/** Variables Prometheus defines for alert annotation templates. */
export const PROMETHEUS_TEMPLATE_VARIABLES = ['$', '$labels', '$externalLabels', '$externalURL', '$value'];

const TEMPLATE_KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'block', 'template', 'break', 'continue']);
const OPENERS = new Set(['if', 'range', 'with', 'define', 'block']);

/**
 * The first problem Go's text/template parser would have with `text`, if any: unbalanced `{{ }}`,
 * unterminated strings, unknown functions or variables, an empty command, unbalanced parentheses,
 * or `if`/`range`/`with` without `end`. A subset of the language (what annotations and messages
 * use), strict where it differs: a lone `}}` in the text is refused, though Go would print it.
 */
export function goTemplateProblem(
  text: string,
  opts: { functions?: readonly string[]; variables?: readonly string[] } = {},
): string | undefined {
  const functions = new Set(opts.functions ?? PROMETHEUS_TEMPLATE_FUNCTIONS);
  const variables = new Set(opts.variables ?? PROMETHEUS_TEMPLATE_VARIABLES);
  const blocks: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    const open = text.indexOf('{{', pos);
    const stray = text.indexOf('}}', pos);
    if (stray >= 0 && (open < 0 || stray < open)) return `'}}' at character ${stray + 1} closes no '{{'`;
    if (open < 0) break;
    let i = open + 2;
    if (text.startsWith('- ', i) || text.startsWith('-\t', i) || text.startsWith('-\n', i)) i += 1;
    // a comment: {{/* ... */}}
    if (text.startsWith('/*', i) || text.startsWith(' /*', i)) {
      const end = text.indexOf('*/', i);
      const close = end < 0 ? -1 : text.slice(end + 2).search(/^\s*-?\}\}/) === 0 ? text.indexOf('}}', end) : -1;
      if (close < 0) return `unclosed comment at character ${open + 1}`;
      pos = close + 2;
      continue;
    }
    // tokens up to the closing }}
    const tokens: string[] = [];
    let closed = false;
    while (i < text.length) {
      const c = text[i];
      if (/\s/.test(c)) {
        i++;
      } else if (text.startsWith('-}}', i) && /\s/.test(text[i - 1])) {
        i += 3;
        closed = true;
        break;
      } else if (text.startsWith('}}', i)) {
        i += 2;
        closed = true;
        break;
      } else if (c === '"' || c === '`' || c === "'") {
        let j = i + 1;
        while (j < text.length && text[j] !== c) {
          if (c !== '`' && text[j] === '\n') break;
          j += c !== '`' && text[j] === '\\' ? 2 : 1;
        }
        if (j >= text.length || text[j] !== c) return `unterminated string starting at character ${i + 1}`;
        tokens.push('"');
        i = j + 1;
      } else {
        const m = /^(:=|=|\||\(|\)|,|\$[a-zA-Z0-9_]*(\.[a-zA-Z0-9_]+)*|\.([a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_]*)*)?|[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_]*)*|[-+]?\d[\d.eExX_a-fA-F]*)/.exec(text.slice(i));
        if (!m) return `unexpected '${c}' at character ${i + 1} in action '${text.slice(open, Math.min(text.length, open + 40))}'`;
        tokens.push(m[0]);
        i += m[0].length;
      }
    }
    if (!closed) return `unclosed action '${text.slice(open, Math.min(text.length, open + 40))}': no '}}'`;
    pos = i;
    const action = text.slice(open, i);
    const problem = actionProblem(tokens, action, functions, variables, blocks);
    if (problem) return problem;
  }
  if (blocks.length) return `{{ ${blocks[blocks.length - 1]} }} has no {{ end }}`;
  return undefined;
}

function actionProblem(tokens: string[], action: string, functions: Set<string>, variables: Set<string>, blocks: string[]): string | undefined {
  let t = [...tokens];
  const head = t[0];
  if (head === undefined) return `empty action '${action}'`;
  if (TEMPLATE_KEYWORDS.has(head)) {
    t = t.slice(1);
    if (head === 'end' || head === 'break' || head === 'continue') {
      if (t.length) return `'${action}': ${head} takes nothing`;
      if (head === 'end' && !blocks.pop()) return `'${action}' closes no if, range, with or define`;
      return undefined;
    }
    if (head === 'else') {
      if (!['if', 'range', 'with'].includes(blocks[blocks.length - 1] ?? '')) return `'${action}' is not inside if, range or with`;
      if (!t.length) return undefined;
      if (!['if', 'with'].includes(t[0])) return `'${action}': else is followed by if, with or nothing`;
      t = t.slice(1);
    } else if (head === 'define' || head === 'template' || head === 'block') {
      if (t[0] !== '"') return `'${action}': ${head} needs a quoted template name`;
      t = t.slice(1);
      if (head === 'define') {
        blocks.push(head);
        return t.length ? `'${action}': define takes only a name` : undefined;
      }
      if (!t.length) {
        if (head === 'block') return `'${action}': block needs a pipeline`;
        return undefined;
      }
    }
    if (OPENERS.has(head)) blocks.push(head);
    if (!t.length) return `'${action}': ${head} needs a pipeline`;
  }
  // variable declarations: $x := ..., $i, $p := ...
  const decl = t.findIndex((x) => x === ':=' || x === '=');
  if (decl >= 0) {
    const names = t.slice(0, decl).filter((x) => x !== ',');
    if (!names.length || !names.every((n) => /^\$[a-zA-Z0-9_]*$/.test(n))) return `'${action}': only variables can be assigned`;
    names.forEach((n) => variables.add(n));
    t = t.slice(decl + 1);
  }
  let depth = 0;
  let expectCommand = true;
  for (let k = 0; k < t.length; k++) {
    const x = t[k];
    if (x === '(') {
      depth++;
      expectCommand = true;
    } else if (x === ')') {
      if (expectCommand) return `'${action}': empty command before ')'`;
      if (--depth < 0) return `'${action}': ')' without '('`;
    } else if (x === '|') {
      if (expectCommand) return `'${action}': '|' with no command before it`;
      expectCommand = true;
    } else if (x === ':=' || x === '=' || x === ',') {
      return `'${action}': unexpected '${x}'`;
    } else {
      if (x.startsWith('$')) {
        const name = x.split('.')[0];
        if (!variables.has(name)) return `'${action}': undefined variable ${name} (defined: ${[...variables].join(', ')})`;
      } else if (/^[a-zA-Z_]/.test(x) && !['true', 'false', 'nil'].includes(x)) {
        if (TEMPLATE_KEYWORDS.has(x)) return `'${action}': unexpected keyword ${x}`;
        if (!functions.has(x)) return `'${action}': unknown function ${x}`;
      }
      expectCommand = false;
    }
  }
  if (depth > 0) return `'${action}': unclosed '('`;
  if (expectCommand) return `'${action}': ${t.length ? "'|' with no command after it" : 'no value'}`;
  return undefined;
}

/** Checks a Go template field (an alert annotation, a message template). */
export function checkGoTemplate(where: string, field: string, text: string, opts?: { functions?: readonly string[]; variables?: readonly string[] }): void {
  const problem = typeof text === 'string' ? goTemplateProblem(text, opts) : 'not a string';
  check(problem === undefined, where, field, text, `a Go template Prometheus can parse: ${problem}`);
}

/**
 * What `npm run synth` prints when it fails: the error in one line, then one line saying truthfully
 * what was left on disk. No imports but `path`: main.ts loads this before the stack, whose loading
 * may be what failed.
 */
import * as path from 'path';

/** A folder as the user gave it: `dist/`, or `KNOWTON_OUTDIR=""` for an empty value. */
export function folderLabel(where: string, given: string): string {
  return given.trim() === '' ? `${where}=${JSON.stringify(given)}` : given.endsWith('/') ? given : `${given}/`;
}

/**
 * The lines for stderr: `synth failed: <error>`, then the error's `outputs` (set by synthAll) or else
 * `untouched` (the error came before synthAll began), then, with `debug`, the stack traces.
 */
export function failureLines(err: unknown, untouched: string, debug = false): string[] {
  const lines = [`synth failed: ${oneLine(err)}`, (err as { outputs?: string } | undefined)?.outputs ?? untouched];
  if (debug) for (let e: unknown = err; isError(e); e = e.cause) lines.push(e.stack ?? String(e));
  return lines;
}

/**
 * The error in one line: the message of a ConfigError (`[env] where: invalid field value: allowed`)
 * or a file-system error (errno and path) as is; any other error with its name and where it was
 * thrown, since without the stack trace nothing else would say.
 */
function oneLine(err: unknown): string {
  if (!isError(err)) return String(err);
  // A SynthError's message already names the environment and the error it wraps.
  const origin = (err.name === 'SynthError' && isError(err.cause) ? err.cause : err) as Error & { code?: unknown };
  // A file-system error (an errno code: ENOENT, EBUSY) names its path; other coded errors (ERR_INVALID_URL) get their name and place.
  const known = origin.name === 'ConfigError' || (typeof origin.code === 'string' && /^E[A-Z]+$/.test(origin.code));
  const message = err.name === 'SynthError' || known ? err.message : `${err.name}: ${err.message}`;
  const frame = known ? undefined : origin.stack?.split('\n').map((l) => /\((\/[^)]+)\)$|at (\/\S+)$/.exec(l.trim()))
    .find((m) => m && !(m[1] ?? m[2]).includes('/node_modules/'));
  const where = frame ? ` (at ${path.relative(process.cwd(), frame[1] ?? frame[2])})` : '';
  return `${message}${where}`.replace(/\s*\n\s*/g, ' ');
}

/** An Error, also one from another realm (Node's own errors seen from a jest sandbox fail instanceof). */
export function isError(e: unknown): e is Error {
  return e instanceof Error || (typeof e === 'object' && e !== null && typeof (e as Error).message === 'string' && typeof (e as Error).name === 'string');
}

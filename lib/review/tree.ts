/**
 * dist/ as a set of files, read either from a git revision (`git ls-tree`, `git show`) or from the
 * working tree, and split by environment: the default environment at the top, each other one in
 * dist/<name>/ (what `npm run synth` writes).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** File contents by path relative to dist/ (e.g. `prometheus.k8s.yaml`, `prod/dashboards/x.json`). */
export type DistFiles = ReadonlyMap<string, string>;

/** One environment's files: manifests by file name, dashboards by file name. */
export interface EnvironmentFiles {
  readonly manifests: ReadonlyMap<string, string>;
  readonly dashboards: ReadonlyMap<string, string>;
}

function git(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', args, { cwd, input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** dist/ at a git revision of the repository holding `root` (empty if the revision has no dist/). */
export function distAtRevision(root: string, rev: string, dist = 'dist'): DistFiles {
  const prefix = git(root, ['rev-parse', '--show-prefix']).trim();
  const names = git(root, ['ls-tree', '-r', '-z', '--full-name', '--name-only', rev, '--', `${dist}/`]).split('\0').filter(Boolean);
  // One `git cat-file --batch` for all files: a `git show` each took seconds.
  const out = execFileSync('git', ['cat-file', '--batch'], {
    cwd: root, input: names.map((n) => `${rev}:${n}\n`).join(''), maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'],
  });
  const files = new Map<string, string>();
  let at = 0;
  for (const name of names) {
    const eol = out.indexOf(0x0a, at);
    const [, type, size] = out.subarray(at, eol).toString('utf8').split(' ');
    if (type !== 'blob') throw new Error(`git cat-file: ${rev}:${name} is not a file`);
    files.set(path.posix.relative(`${prefix}${dist}`, name), out.subarray(eol + 1, eol + 1 + Number(size)).toString('utf8'));
    at = eol + 1 + Number(size) + 1;
  }
  return files;
}

/** dist/ in the working tree (empty if there is none). */
export function distInWorkingTree(root: string, dist = 'dist'): DistFiles {
  const files = new Map<string, string>();
  const walk = (dir: string, prefix: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name), `${prefix}${e.name}/`);
      else files.set(`${prefix}${e.name}`, fs.readFileSync(path.join(dir, e.name), 'utf8'));
    }
  };
  if (fs.existsSync(path.join(root, dist))) walk(path.join(root, dist), '');
  return files;
}

/** The files of each environment: `defaultEnvironment` at the top, others in the subdirectories that hold manifests. */
export function byEnvironment(files: DistFiles, defaultEnvironment: string): Map<string, EnvironmentFiles> {
  const envs = new Map<string, { manifests: Map<string, string>; dashboards: Map<string, string> }>();
  const env = (name: string) => {
    if (!envs.has(name)) envs.set(name, { manifests: new Map(), dashboards: new Map() });
    return envs.get(name)!;
  };
  for (const [file, text] of files) {
    const parts = file.split('/');
    const [name, rest] = parts.length > 1 && parts[0] !== 'dashboards' ? [parts[0], parts.slice(1)] : [defaultEnvironment, parts];
    if (rest.length === 1 && /\.ya?ml$/.test(rest[0])) env(name).manifests.set(rest[0], text);
    else if (rest.length === 2 && rest[0] === 'dashboards' && rest[1].endsWith('.json')) env(name).dashboards.set(rest[1], text);
  }
  return envs;
}

/** The base revision for a review: the merge base with main (or origin/main), else HEAD. */
export function defaultBase(root: string): string {
  for (const main of ['main', 'origin/main']) {
    try {
      git(root, ['rev-parse', '--verify', '-q', `${main}^{commit}`]);
      return git(root, ['merge-base', 'HEAD', main]).trim();
    } catch {
      // no such branch: try the next
    }
  }
  return 'HEAD';
}

/** A short name for a revision, for the summary's title. */
export function describeRevision(root: string, rev: string): string {
  try {
    return git(root, ['rev-parse', '--short', `${rev}^{commit}`]).trim();
  } catch {
    throw new Error(`${rev} is not a commit of the repository at ${root}`);
  }
}

/**
 * scripts/ensure-tools.sh (npm test's pretest) on a PATH that lacks the tools: it stops within
 * seconds with one line naming what is missing and the apt-get command, or, as root with apt-get
 * on PATH, installs the packages (a fake apt-get here, which records its arguments).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './helpers';

const SCRIPT = path.join(__dirname, '..', 'scripts', 'ensure-tools.sh');
const BASH = '/bin/bash';

function ensureTools(pathDir: string, env: Record<string, string> = {}): { code: number; stderr: string; ms: number } {
  const start = Date.now();
  // Only the given folder on PATH: none of this machine's tools are visible.
  const r = spawnSync(BASH, [SCRIPT], { env: { PATH: pathDir, ...env }, encoding: 'utf8', timeout: 20000 });
  return { code: r.status ?? -1, stderr: r.stderr, ms: Date.now() - start };
}

function fakeTool(dir: string, name: string): void {
  fs.symlinkSync('/bin/true', path.join(dir, name));
}

test('with no tool on PATH it fails at once, naming every tool and the packages to install', () => {
  const r = ensureTools(tempDir('knowton-path-'));
  expect(r.code).toBe(1);
  expect(r.ms).toBeLessThan(5000);
  expect(r.stderr.trim().split('\n')).toEqual([
    'npm test needs promtool prometheus amtool prometheus-alertmanager openssl on PATH (missing); install them with: '
      + 'sudo apt-get update && sudo apt-get install -y prometheus prometheus-alertmanager openssl',
  ]);
});

test('it names only what is missing', () => {
  const dir = tempDir('knowton-path-');
  for (const t of ['promtool', 'prometheus', 'openssl']) fakeTool(dir, t);
  const r = ensureTools(dir);
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toBe('npm test needs amtool prometheus-alertmanager on PATH (missing); install them with: '
    + 'sudo apt-get update && sudo apt-get install -y prometheus-alertmanager');
});

test('with every tool on PATH it succeeds silently', () => {
  const dir = tempDir('knowton-path-');
  for (const t of ['promtool', 'prometheus', 'amtool', 'prometheus-alertmanager', 'openssl']) fakeTool(dir, t);
  expect(ensureTools(dir)).toMatchObject({ code: 0, stderr: '' });
});

/** An apt-get that logs its arguments and, on install, puts the packages' binaries into its own folder. */
function fakeAptGet(dir: string, log: string, works: boolean): void {
  const script = [
    '#!/bin/bash',
    `echo "$*" >> ${log}`,
    works ? '' : '[ "$1" = install ] && exit 100',
    'if [ "$1" = install ]; then',
    '  for p in "$@"; do case $p in',
    `    prometheus) /bin/ln -s /bin/true ${dir}/promtool; /bin/ln -s /bin/true ${dir}/prometheus;;`,
    `    prometheus-alertmanager) /bin/ln -s /bin/true ${dir}/amtool; /bin/ln -s /bin/true ${dir}/prometheus-alertmanager;;`,
    `    openssl) /bin/ln -s /bin/true ${dir}/openssl;;`,
    '  esac; done',
    'fi',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'apt-get'), `${script}\n`, { mode: 0o755 });
}

// Installing needs root (CI runs as root); elsewhere the tests above cover the message.
const asRoot = process.getuid?.() === 0 ? test : test.skip;

asRoot('as root with apt-get on PATH it runs apt-get update, then installs exactly the missing packages', () => {
  const dir = tempDir('knowton-path-');
  const log = path.join(tempDir('knowton-apt-'), 'apt.log');
  fakeTool(dir, 'openssl');
  fakeAptGet(dir, log, true);
  const r = ensureTools(dir);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('ensure-tools: installing prometheus prometheus-alertmanager (for promtool prometheus amtool prometheus-alertmanager)');
  expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual([
    'update -qq',
    'install -y -qq --no-install-recommends prometheus prometheus-alertmanager',
  ]);
});

asRoot('a failed install ends with the same one-line message; KNOWTON_INSTALL_TOOLS=never does not call apt-get', () => {
  const dir = tempDir('knowton-path-');
  const log = path.join(tempDir('knowton-apt-'), 'apt.log');
  fakeAptGet(dir, log, false);
  const failed = ensureTools(dir);
  expect(failed.code).toBe(1);
  expect(failed.stderr.trim().split('\n').pop()).toMatch(/^npm test needs promtool .* install them with: sudo apt-get update && sudo apt-get install -y prometheus prometheus-alertmanager openssl$/);

  fs.rmSync(log);
  const never = ensureTools(dir, { KNOWTON_INSTALL_TOOLS: 'never' });
  expect(never.code).toBe(1);
  expect(fs.existsSync(log)).toBe(false);
});

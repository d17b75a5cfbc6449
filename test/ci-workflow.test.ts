/**
 * The GitHub Actions workflow cannot run here: its structure is checked instead (the README's two
 * commands, the drift check, the review comment on pull requests, actions pinned by major version),
 * and its drift check's shell is run for real on a temporary repository.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { tempDir } from './helpers';

const ROOT = path.join(__dirname, '..');
const workflow = parse(fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'ci.yml'), 'utf8'));
const steps: Array<{ name?: string; uses?: string; run?: string; if?: string; with?: any; env?: any }> = workflow.jobs.build.steps;
const indexOf = (pred: (s: (typeof steps)[number]) => boolean): number => steps.findIndex(pred);
const runs = (cmd: string) => (s: (typeof steps)[number]) => s.run?.trim() === cmd;

test('it runs on pull requests and pushes to main, allowed to comment', () => {
  expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
  expect(workflow.on.push.branches).toEqual(['main']);
  expect(workflow.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
});

test('every action is pinned by major version; the checkout has the history for the review', () => {
  const uses = steps.filter((s) => s.uses).map((s) => s.uses!);
  expect(uses).toEqual(['actions/checkout@v4', 'actions/setup-node@v4']);
  expect(steps[0].with['fetch-depth']).toBe(0);
  expect(steps[1].with['node-version']).toBe(20);
});

test("it runs the README's two commands, in order, after installing the tools as root", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /## Set-up on a fresh machine[\s\S]*?```bash\n([\s\S]*?)```/.exec(readme)![1];
  const commands = block.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  expect(commands).toEqual(['npm ci && npm run synth', 'npm test']);
  const tools = indexOf(runs('sudo bash scripts/ensure-tools.sh'));
  const synth = indexOf(runs(commands[0]));
  const test = indexOf(runs(commands[1]));
  expect(tools).toBeGreaterThan(0);
  expect(synth).toBeGreaterThan(tools);
  expect(test).toBeGreaterThan(synth);
  expect(steps[test]).toEqual({ name: 'npm test', run: 'npm test' });
});

test('the review summary is made against the base branch and posted on the pull request', () => {
  const diff = indexOf((s) => s.run?.includes('npm run -s diff') ?? false);
  const post = indexOf((s) => s.run?.includes('gh pr comment') ?? false);
  expect(diff).toBeGreaterThan(indexOf(runs('npm ci && npm run synth')));
  expect(steps[diff].run).toContain('npm run -s diff -- "origin/$BASE_REF" > review.md');
  expect(steps[diff].env).toEqual({ BASE_REF: '${{ github.base_ref }}' });
  expect(steps[diff].if).toBe("github.event_name == 'pull_request'");
  expect(post).toBeGreaterThan(diff);
  expect(steps[post].if).toContain("github.event_name == 'pull_request'");
  expect(steps[post].env.GH_TOKEN).toBe('${{ github.token }}');
  expect(steps[post].run).toContain('--body-file review.md');
});

describe('the drift check', () => {
  const drift = steps.find((s) => s.name === 'dist/ and docs/ are what a fresh synth writes')!;
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  const check = () => spawnSync('bash', ['-e', '-c', drift.run!], { cwd: repo, encoding: 'utf8' });

  beforeAll(() => {
    repo = tempDir('knowton-drift-');
    git('init', '-q');
    fs.mkdirSync(path.join(repo, 'dist'));
    fs.writeFileSync(path.join(repo, 'dist', 'a.k8s.yaml'), 'kind: ConfigMap\n');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'dist');
  });

  test('passes when dist/ is as committed, fails and names the file when it is not', () => {
    expect(drift.run).toBeDefined();
    expect(check().status).toBe(0);
    fs.writeFileSync(path.join(repo, 'dist', 'a.k8s.yaml'), 'kind: Secret\n');
    const r = check();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dist/ or docs/ differs from a fresh synth');
    expect(r.stderr).toContain('dist/a.k8s.yaml');
  });
});

/**
 * ts-jest only transpiles (tsconfig's isolatedModules); test/typecheck.test.ts type-checks the project
 * with tsc, in parallel with the other files.
 *
 * Groups (test/groups/groups.json): jest gives every test file a module registry and a VM context of
 * its own, so each file loads cdk8s and the stack again and runs them in a JIT that starts cold. The files
 * whose time is their own Node code run in four groups instead: test/groups/<group>.test.ts requires the
 * group's files, each inside a `describe` named after it (its hooks stay scoped to it). The files a group requires do not run
 * on their own, unless jest's command line selects them (`npx jest security`, `npm test -- test/security.test.ts`):
 * then they run alone, as they were written to. A file
 * left out of every group runs on its own, as the end-to-end files (which wait on servers), the SLO and
 * synth-safety files (whose time is in promtool and in child processes), yaml.test (it mocks a module),
 * foundation.test (its snapshots are stored per file) and the type check do.
 */
const fs = require('fs');
const path = require('path');

const groupsDir = path.join(__dirname, 'test', 'groups');

/**
 * Every test file of a group (test/groups/groups.json), with its group. A file in two groups or not
 * there, or a group without its jest file (test/groups/<group>.test.ts) or the reverse, is an error.
 */
function groupedFiles() {
  const groups = JSON.parse(fs.readFileSync(path.join(groupsDir, 'groups.json'), 'utf8'));
  const jestFiles = fs.readdirSync(groupsDir).filter((f) => f.endsWith('.test.ts')).map((f) => f.slice(0, -'.test.ts'.length));
  for (const name of jestFiles) if (!(name in groups)) throw new Error(`jest.config.js: test/groups/${name}.test.ts has no group "${name}" in test/groups/groups.json`);
  const grouped = new Map();
  for (const [group, names] of Object.entries(groups)) {
    if (!jestFiles.includes(group)) throw new Error(`jest.config.js: group "${group}" of test/groups/groups.json has no test/groups/${group}.test.ts to run it`);
    for (const name of names) {
      const file = path.join(__dirname, 'test', `${name}.test.ts`);
      if (!fs.existsSync(file)) throw new Error(`jest.config.js: group "${group}" of test/groups/groups.json names ${name}, and test/${name}.test.ts does not exist`);
      if (grouped.has(file)) throw new Error(`jest.config.js: test/${name}.test.ts is in two groups of test/groups/groups.json, "${grouped.get(file)}" and "${group}"`);
      grouped.set(file, group);
    }
  }
  return grouped;
}

// jest's options that take the next argument as their value (the others are flags or `--option=value`).
const TAKES_VALUE = new Set(['-c', '--config', '-t', '--testNamePattern', '-w', '--maxWorkers', '--outputFile', '--testTimeout', '--shard', '--seed', '--reporters', '--rootDir', '--selectProjects', '--testPathPattern']);

/** The path patterns of jest's command line (`npx jest security`, `npm test -- test/security.test.ts`). */
function pathPatterns(argv) {
  const patterns = [];
  for (let i = 0; i < argv.length; i++) {
    if (TAKES_VALUE.has(argv[i])) i++;
    else if (!argv[i].startsWith('-')) patterns.push(argv[i]);
  }
  return patterns;
}

/** Whether a path pattern of the command line selects `file`, as jest matches them (a regular expression, or the path). */
function selects(pattern, file) {
  if (path.resolve(pattern) === file) return true;
  try {
    return new RegExp(pattern, 'i').test(file);
  } catch {
    return false;
  }
}

const patterns = pathPatterns(process.argv.slice(2));
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...[...groupedFiles().keys()].filter((f) => !patterns.some((p) => selects(p, f))).map((f) => `^${escape(f)}$`)],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  testTimeout: 60000,
  // The end-to-end files mostly wait on real servers (Prometheus, Alertmanager): with more workers than
  // cores their waiting overlaps the CPU-bound files. On 2 cores, 3 workers took 202 s, 6 took 148 s and
  // 8 took 135 s, by then bound by the CPU (240-260 s of it); 6 leaves the e2e files' timings more room.
  maxWorkers: 6,
  // Without an earlier run's timings, the files that wait on real servers start first.
  testSequencer: '<rootDir>/scripts/jest-sequencer.js',
};

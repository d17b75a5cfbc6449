/**
 * The whole project type-checks (`tsc --noEmit`, incremental: its state is kept in node_modules/.cache).
 * jest only transpiles (ts-jest with isolatedModules), and so does synth (esbuild): this is the type
 * check of `npm test`, one test file among the others so that it runs while they do.
 */
import { spawn } from 'child_process';
import * as path from 'path';

test('tsc --noEmit reports no error', async () => {
  const root = path.resolve(__dirname, '..');
  const tsc = require.resolve('typescript/bin/tsc');
  const args = [tsc, '--noEmit', '--incremental', '--tsBuildInfoFile', path.join(root, 'node_modules', '.cache', 'tsc-noemit.tsbuildinfo')];
  const { status, output } = await new Promise<{ status: number | null; output: string }>((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd: root });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ status: code, output }));
  });
  expect(output).toBe('');
  expect(status).toBe(0);
}, 180_000);

/** The README tells a new user the truth: every Secret the manifests refer to, created with the right command. */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { environmentConfig } from '../lib/config';
import { MonitoringStack } from '../lib/stack';
import { loadObjects, synthTo } from './helpers';

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

test('the README creates every Secret the manifests refer to', () => {
  const objects = loadObjects(synthTo());
  const referenced = new Set<string>();
  JSON.stringify(objects, (key, value) => {
    if ((key === 'secretName' || (key === 'secretKeyRef')) && value) referenced.add(typeof value === 'string' ? value : value.name);
    if (key === 'nginx.ingress.kubernetes.io/auth-secret') referenced.add(value);
    return value;
  });
  expect(referenced.size).toBeGreaterThan(4);
  for (const name of referenced) {
    expect([name, readme.includes(`create secret generic ${name} `) || readme.includes(`create secret tls ${name} `)]).toEqual([name, true]);
  }
});

test("the README's Alertmanager Secret command is the one the construct prints", () => {
  const stack = new MonitoringStack(new App(), environmentConfig('dev'));
  expect(readme).toContain(stack.alertmanager.secretCommand);
});

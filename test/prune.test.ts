/**
 * `kubectl apply --prune` is safe on the stack: every object of every environment carries the
 * part-of and environment labels (on its metadata, not on pod templates or selectors), and the
 * README's prune command selects by them and allowlists every kind the stack emits but Namespace.
 */
import * as fs from 'fs';
import * as path from 'path';
import { environmentConfig, standaloneEnvironmentNames } from '../lib/config';
import { ENVIRONMENT_LABEL, PART_OF, PART_OF_LABEL, pruneAllowlist, pruneCommand, pruneSelector } from '../lib/prune';
import { buildApp } from '../lib/synth';
import { K8sObject } from './helpers';

const names = standaloneEnvironmentNames();
/** Each environment's objects, built in memory (what synth writes, without the disk). */
const objectsOf: Record<string, K8sObject[]> = Object.fromEntries(names.map((name) => {
  const { app } = buildApp(environmentConfig(name), '/nonexistent');
  return [name, app.charts.flatMap((c) => c.toJson()) as K8sObject[]];
}));
const all = names.flatMap((n) => objectsOf[n]);

/** The namespace the stack shares with the applications (the default namespaceMode): never the stack's to prune or delete. */
const sharedNamespace = (name: string) => environmentConfig(name).namespace ?? 'knowton-dev';
const isShared = (name: string, o: K8sObject) => o.kind === 'Namespace' && o.metadata.name === sharedNamespace(name);

test.each(names)('every object of %s but the shared namespace carries the part-of and environment labels', (name) => {
  const unlabelled = objectsOf[name]
    .filter((o) => !isShared(name, o))
    .filter((o) => o.metadata.labels?.[PART_OF_LABEL] !== PART_OF || o.metadata.labels?.[ENVIRONMENT_LABEL] !== name)
    .map((o) => `${o.kind}/${o.metadata.name}`);
  expect(objectsOf[name].length).toBeGreaterThan(40);
  expect(unlabelled).toEqual([]);
});

test.each(names)('the namespace %s shares with the applications carries neither label, so no selector of the stack picks it', (name) => {
  const [ns] = objectsOf[name].filter((o) => isShared(name, o));
  expect(ns).toBeDefined();
  expect([ns.metadata.labels?.[PART_OF_LABEL], ns.metadata.labels?.[ENVIRONMENT_LABEL]]).toEqual([undefined, undefined]);
});

test('pod templates and selectors do not carry the environment label (selectors are immutable)', () => {
  const workloads = all.filter((o) => o.spec?.template);
  expect(workloads.length).toBeGreaterThan(0);
  for (const w of workloads) {
    expect([w.kind, w.metadata.name, w.spec.template.metadata.labels[ENVIRONMENT_LABEL]]).toEqual([w.kind, w.metadata.name, undefined]);
    expect([w.kind, w.metadata.name, w.spec.selector.matchLabels[ENVIRONMENT_LABEL]]).toEqual([w.kind, w.metadata.name, undefined]);
  }
});

test('the selector of one environment matches none of the others', () => {
  const [key, value] = pruneSelector('staging').split(',')[1].split('=');
  expect(all.filter((o) => o.metadata.labels?.[key] === value)).toEqual(objectsOf.staging.filter((o) => !isShared('staging', o)));
});

test('the allowlist names every kind the stack emits, Namespace excepted', () => {
  const allowlist = pruneAllowlist(all);
  expect(allowlist).toContain('core/v1/ConfigMap');
  expect(allowlist).toContain('apps/v1/StatefulSet');
  expect(allowlist).toContain('policy/v1/PodDisruptionBudget'); // prod only
  expect(allowlist.some((g) => g.endsWith('/Namespace'))).toBe(false);
  const kinds = new Set(all.map((o) => o.kind));
  kinds.delete('Namespace');
  expect(allowlist.map((g) => g.split('/')[2]).sort()).toEqual([...kinds].sort());
});

test('the README documents the prune command for each environment directory', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  expect(readme).toContain(pruneCommand('dist', 'dev', all));
  expect(readme).toContain(`kubectl apply -f dist/prod --prune -l ${pruneSelector('prod')}`);
});

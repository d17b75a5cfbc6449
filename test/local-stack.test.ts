/**
 * The local stack's lifecycle: whatever happens, the servers it starts are stopped and the ports
 * and files it took are given back.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { parse } from 'yaml';
import { alertmanagerFiles, dashboardModels, K8sObject, loadObjects, LocalStack, localStackConfig, prometheusFiles, TEST_TIMINGS } from '../lib/demo';
import { environmentConfig } from '../lib/config';
import { Duration } from '../lib/units';
import { ephemeralPorts, listensOn, serverPorts } from '../lib/demo/processes';
import { freePort, run, Server, synthTo, tempDir } from './helpers';

/** Processes whose command line mentions `dir`. */
function processesUsing(dir: string): string {
  return run('pgrep', ['-af', dir]).output.trim();
}

async function refused(url: string): Promise<boolean> {
  return fetch(url).then(() => false, () => true);
}

test('stop() ends Prometheus, Alertmanager, the exporter and the receiver, and removes its directory', async () => {
  const stack = await LocalStack.start({ timings: TEST_TIMINGS });
  expect(processesUsing(stack.dir)).not.toBe('');
  const urls = [stack.prometheusUrl, stack.alertmanagerUrl, stack.exporter.controlUrl, `${stack.receiver.url}/slack`];
  await stack.stop();
  await stack.stop(); // idempotent
  expect(processesUsing(stack.dir)).toBe('');
  for (const url of urls) expect(await refused(url)).toBe(true);
  expect(fs.existsSync(stack.dir)).toBe(false);
}, 30000);

test('a server that does not start fails the start with its output, and what had started is stopped', async () => {
  const dir = tempDir('knowton-local-fail-');
  process.env.KNOWTON_PROMETHEUS_BIN = '/bin/false';
  try {
    await expect(LocalStack.start({ dir, timings: TEST_TIMINGS })).rejects.toThrow(/\/bin\/false exited with code 1 before answering/);
  } finally {
    delete process.env.KNOWTON_PROMETHEUS_BIN;
  }
  expect(processesUsing(dir)).toBe('');
  // A directory it was given is left for inspection.
  expect(fs.existsSync(path.join(dir, 'alertmanager', 'alertmanager.yml'))).toBe(true);
}, 30000);

test('a missing server binary is named, with the package that brings it', async () => {
  process.env.KNOWTON_ALERTMANAGER_BIN = '';
  const PATH = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    await expect(LocalStack.start()).rejects.toThrow(/prometheus is not on PATH: install Debian's package prometheus/);
  } finally {
    process.env.PATH = PATH;
    delete process.env.KNOWTON_ALERTMANAGER_BIN;
  }
});

describe('localStackConfig', () => {
  const dev = environmentConfig('dev');

  test('points PagerDuty and the heartbeat at the receiver, leaves email out, and changes nothing else without timings', () => {
    const c = localStackConfig(dev, 'http://127.0.0.1:1');
    expect(c).toEqual({ ...dev, alertmanager: { pagerdutyUrl: 'http://127.0.0.1:1/pagerduty', heartbeatUrl: 'http://127.0.0.1:1/heartbeat' } });
    const prod = environmentConfig('prod');
    expect(prod.alertmanager?.email).toBeDefined();
    expect(localStackConfig(prod, 'http://127.0.0.1:1').alertmanager?.email).toBeUndefined();
    expect(localStackConfig(prod, 'http://127.0.0.1:1').alertmanager).toEqual({
      ...prod.alertmanager,
      email: undefined,
      pagerdutyUrl: 'http://127.0.0.1:1/pagerduty',
      heartbeatUrl: 'http://127.0.0.1:1/heartbeat',
    });
  });

  test('with timings, caps every `for` and keeps the shorter ones and the thresholds of the profile', () => {
    const prod = environmentConfig('prod');
    const c = localStackConfig(prod, 'http://127.0.0.1:1', TEST_TIMINGS);
    expect(c.alerts!.PostgreSQLDown.for!.toString()).toBe('2s');
    expect(c.alerts!.Watchdog.for!.toString()).toBe(Duration.seconds(0).toString());
    expect(c.alerts!.HighDatabaseConnections.threshold).toBe(prod.alerts!.HighDatabaseConnections.threshold);
    expect(c.prometheus).toMatchObject({ replicas: 2, scrapeInterval: TEST_TIMINGS.interval, evaluationInterval: TEST_TIMINGS.interval });
  });
});

describe('what the local stack runs is dist/ but for timings and endpoints', () => {
  const committed = path.join(__dirname, '..', 'dist');
  const local = synthTo(localStackConfig(environmentConfig('dev'), 'http://127.0.0.1:1', TEST_TIMINGS));
  const committedObjects = loadObjects(committed);
  const localObjects = loadObjects(local);

  /** A deep copy without the keys `drop` names (at any depth). */
  const without = (x: unknown, drop: (key: string, value: unknown) => boolean): unknown =>
    JSON.parse(JSON.stringify(x), function (this: unknown, key: string, value: unknown) {
      return key !== '' && drop(key, value) ? undefined : value;
    });

  test('the rule files differ only in `for`', () => {
    const rules = (objects: K8sObject[]) =>
      Object.fromEntries(Object.entries(prometheusFiles(objects).rules).map(([f, text]) => [f, without(parse(text), (k) => k === 'for')]));
    expect(rules(localObjects)).toEqual(rules(committedObjects));
    // and `for` did change, so the comparison above is not vacuous
    expect(JSON.stringify(prometheusFiles(localObjects).rules)).not.toEqual(JSON.stringify(prometheusFiles(committedObjects).rules));
  });

  test('prometheus.yml differs only in the scrape and evaluation intervals', () => {
    const intervals = ['scrape_interval', 'scrape_timeout', 'evaluation_interval'];
    const config = (objects: K8sObject[]) => without(prometheusFiles(objects).config, (k) => intervals.includes(k));
    expect(config(localObjects)).toEqual(config(committedObjects));
  });

  test('alertmanager.yml differs only in group timings, the PagerDuty endpoint and the heartbeat receiver', () => {
    const normalized = (objects: K8sObject[]) => {
      const am = parse(alertmanagerFiles(objects)['alertmanager.yml']);
      // The Watchdog's route goes to the local heartbeat stand-in instead of the `null` receiver.
      am.route.routes = am.route.routes.filter((r: any) => !r.matchers?.includes('alertname="Watchdog"'));
      am.receivers = am.receivers.filter((r: any) => !['heartbeat', 'null'].includes(r.name));
      return without(am, (k) => ['group_wait', 'group_interval', 'url'].includes(k));
    };
    expect(normalized(localObjects)).toEqual(normalized(committedObjects));
    expect(alertmanagerFiles(localObjects)['knowton.tmpl']).toBe(alertmanagerFiles(committedObjects)['knowton.tmpl']);
  });

  test('the dashboards are the same', () => {
    expect(dashboardModels(local)).toEqual(dashboardModels(committed));
  });
});

test("a server whose port another process holds is not taken for ready: another stack's server answering there is not its own", async () => {
  // What two stacks starting at once can meet: a port found free, taken before this bind.
  const other = http.createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
  await new Promise((r) => other.once('listening', r));
  const port = (other.address() as AddressInfo).port;
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\n');
  const server = new Server('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`]);
  try {
    await expect(server.ready(`http://127.0.0.1:${port}/-/ready`)).rejects.toThrow(/prometheus exited with code 1 before answering[\s\S]*address already in use/);
  } finally {
    await server.stop();
    other.close();
  }
});

test("the servers' ports lie below the ephemeral range, where no connection or listen(0) of the kernel's can take a stopped server's port before it restarts", async () => {
  const [low] = ephemeralPorts();
  const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
  expect(ports.filter((p) => p >= low || p < 1024)).toEqual([]);
  // A held port is passed over: the first random pick lands on one, the second does not.
  const held = http.createServer().listen(ports[0], '127.0.0.1');
  await new Promise((r) => held.once('listening', r));
  const [from, high] = serverPorts();
  const random = jest.spyOn(Math, 'random').mockReturnValueOnce((ports[0] - from + 0.5) / (high - from + 1));
  try {
    const port = await freePort();
    expect(random).toHaveBeenCalledTimes(2);
    expect(port).not.toBe(ports[0]);
  } finally {
    random.mockRestore();
    held.close();
  }
});

test('listensOn tells a server that holds its port from one that answers on a port another process holds', async () => {
  const held = http.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => held.once('listening', r));
  const port = (held.address() as AddressInfo).port;
  const child = spawn('sleep', ['30']);
  try {
    expect(listensOn(process.pid, port)).toBe(true);
    expect(listensOn(child.pid!, port)).toBe(false);
    expect(listensOn(process.pid, (await freePort()))).toBe(false);
  } finally {
    child.kill();
    held.close();
  }
});

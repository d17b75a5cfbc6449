/**
 * Running the real servers on this machine: a child process that is always stopped, free ports on
 * 127.0.0.1, and polling until something is ready.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';

/** The machine's ephemeral port range (Linux's default where it cannot be read). */
export function ephemeralPorts(): [number, number] {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    // not Linux
  }
  return [32768, 60999];
}

/** The ports freePort picks from: up to 12,000 just below the ephemeral range, none privileged. */
export function serverPorts(): [number, number] {
  const [ephemeralLow] = ephemeralPorts();
  const high = Math.min(ephemeralLow, 65536) - 1;
  const low = Math.max(1024, high - 12000);
  if (high <= low) throw new Error(`freePort: no port range below the ephemeral ports (from ${ephemeralLow})`);
  return [low, high];
}

function listenable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A TCP port on `host` that was free a moment ago, picked at random below the ephemeral range. The
 * kernel hands ephemeral ports to every outgoing connection and to every `listen(0)`: a server that
 * stops and is restarted on its port (its peers and Prometheus know it by that port), or one that
 * binds a moment after the pick, could find such a port taken by a scrape or another test's client.
 * Below the range only another pick like this one can take it.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = serverPorts();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await listenable(port, host)) return port;
  }
  throw new Error(`freePort: no free port on ${host} in ${low}-${high} after 100 tries`);
}

export async function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * Whether process `pid` holds a socket listening on TCP `port` (Linux's /proc/net/tcp{,6} and the
 * process's file descriptors); undefined where /proc cannot tell.
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  const inodes = new Set<string>();
  let read = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    read = true;
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1].split(':')[1], 16) === port) inodes.add(f[9]);
    }
  }
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  if (!read) return undefined;
  return fds.some((fd) => {
    try {
      return inodes.has(/^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
    } catch {
      return false;
    }
  });
}

/** A server process whose output is kept for error messages; stop() always ends it, restart() starts it again. */
export class Server {
  private child!: ChildProcess;
  private output = '';

  constructor(
    readonly cmd: string,
    private readonly args: string[],
    private readonly env: Record<string, string> = {},
  ) {
    this.spawn();
  }

  get proc(): ChildProcess {
    return this.child;
  }

  private spawn(): void {
    const child = spawn(this.cmd, this.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
    // A missing binary is reported by log() and by the readiness wait, not as an unhandled error.
    child.on('error', (err) => (this.output += `${this.cmd}: ${err.message}\n`));
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    this.child = child;
  }

  /** Stops the process if it runs and starts it again with the same arguments (its data directory is kept). */
  async restart(): Promise<void> {
    await this.stop();
    this.spawn();
  }

  log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.proc.pid !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Waits until GET `url` answers 2xx; fails at once, with the process output, if the process exits. */
  async ready(url: string, timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) {
        const how = this.proc.exitCode !== null ? `with code ${this.proc.exitCode}` : `on ${this.proc.signalCode ?? 'a failed start'}`;
        throw new Error(`${this.cmd} exited ${how} before answering ${url}\n--- ${this.cmd} output:\n${this.log()}`);
      }
      const ok = await fetch(url).then((r) => r.ok, () => false);
      // Another server may hold the port (taken between freePort and this bind, by a stack starting at the
      // same time): this process then exits on its bind error, which can take a while on a busy machine.
      // The answer is its own once it holds the listening socket (read from /proc); where /proc cannot
      // tell, once it still runs half a second after answering.
      if (ok) {
        const owns = listensOn(this.proc.pid!, Number(new URL(url).port));
        if (owns === true) return;
        if (owns === undefined) {
          await sleep(500);
          if (this.running) return;
          continue;
        }
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${this.cmd} to answer ${url}\n--- ${this.cmd} output:\n${this.log()}`);
      await sleep(200);
    }
  }
}

export async function getJson(url: string, init?: RequestInit): Promise<any> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

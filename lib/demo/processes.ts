/**
 * Running the real servers on this machine: a child process that is always stopped, free ports on
 * 127.0.0.1, and polling until something is ready.
 */
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
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
      // same time): this process then exits on its bind error, within moments. Still running, it is its own.
      if (ok) {
        await sleep(500);
        if (this.running) return;
        continue;
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

/**
 * A local HTTP server standing in for Slack, PagerDuty and the heartbeat service, so that what
 * Alertmanager sends can be read on the wire. The credential files of a local run point here.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export type Via = 'slack' | 'pagerduty' | 'heartbeat';

export interface Notification {
  /** Which stand-in it reached. */
  readonly via: Via;
  readonly status: 'firing' | 'resolved';
  /** The Slack channel; undefined for PagerDuty and the heartbeat. */
  readonly channel?: string;
  /** The group's title, as the message shows it (`[dev] [FIRING:1] HighErrorRate (backend) warning`). */
  readonly title: string;
  /**
   * The group's common labels: for Slack and PagerDuty, read back from the message's silence
   * link, which carries them all; for the heartbeat webhook, its commonLabels.
   */
  readonly labels: Readonly<Record<string, string>>;
  readonly body: any;
  readonly receivedAt: Date;
}

/** The label set of a silence link's `filter={name="value",...}`. */
export function silenceLinkLabels(url: string): Record<string, string> {
  const filter = new URL(url.replace('/#/', '/')).searchParams.get('filter') ?? '';
  return Object.fromEntries([...filter.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
}

function parse(via: Via, body: any): Omit<Notification, 'receivedAt' | 'body' | 'via'> {
  switch (via) {
    case 'slack': {
      const a = body.attachments?.[0] ?? {};
      const link = /Silence: (\S+)/.exec(a.text ?? '')?.[1] ?? '';
      return { status: /^(\[[a-z0-9-]+\] )?\[RESOLVED/.test(a.title) ? 'resolved' : 'firing', channel: body.channel, title: a.title, labels: link ? silenceLinkLabels(link) : {} };
    }
    case 'pagerduty': {
      const link = body.payload?.custom_details?.silence_url ?? '';
      return { status: body.event_action === 'resolve' ? 'resolved' : 'firing', title: body.payload?.summary ?? '', labels: link ? silenceLinkLabels(link) : {} };
    }
    case 'heartbeat':
      return { status: body.status, title: body.commonLabels?.alertname ?? '', labels: body.commonLabels ?? {} };
  }
}

export class NotificationReceiver {
  /** Everything received, in order (while `failing`, nothing is recorded). */
  readonly received: Notification[] = [];
  /** While true, every notification is answered `failingStatus`. */
  failing = false;
  /**
   * What a failing receiver answers: 500 as in a Slack or PagerDuty outage (Alertmanager retries it
   * until the flush times out, 10s at least, and only then counts a failure), or a 4xx as for a revoked
   * webhook or routing key (Alertmanager gives up and counts the failure at once).
   */
  failingStatus = 500;

  private constructor(
    private readonly server: http.Server,
    /** Base URL: Slack posts to `/slack`, PagerDuty to `/pagerduty`, the heartbeat to `/heartbeat`. */
    readonly url: string,
  ) {}

  static async start(host = '127.0.0.1'): Promise<NotificationReceiver> {
    let self: NotificationReceiver | undefined;
    const server = http.createServer((req, res) => {
      const via = (req.url ?? '').slice(1) as Via;
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        if (!['slack', 'pagerduty', 'heartbeat'].includes(via) || req.method !== 'POST') {
          res.writeHead(404).end();
          return;
        }
        if (self!.failing) {
          res.writeHead(self!.failingStatus).end('stand-in failure');
          return;
        }
        try {
          const body = JSON.parse(text);
          self!.received.push({ via, body, receivedAt: new Date(), ...parse(via, body) });
          // PagerDuty's Events API answers 202; Slack and webhooks accept any 2xx.
          res.writeHead(via === 'pagerduty' ? 202 : 200, { 'content-type': 'application/json' }).end('{"status":"success"}');
        } catch (err) {
          res.writeHead(400).end(String(err));
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    });
    self = new NotificationReceiver(server, `http://${host}:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** Notifications about `alertname` (its group's common label), optionally of one status. */
  about(alertname: string, status?: Notification['status']): Notification[] {
    return this.received.filter((n) => n.labels.alertname === alertname && (!status || n.status === status));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/**
 * A local SMTP server standing in for the mail relay, so that the emails Alertmanager sends can be read:
 * plain SMTP without STARTTLS or AUTH (the receiver's `requireTls: false`, no `authUsername`), enough of
 * RFC 5321 for Go's net/smtp client. Each message is kept with its envelope, headers and text part.
 */
import * as net from 'net';

export interface Mail {
  readonly from: string;
  readonly to: readonly string[];
  /** Header names lower-cased, values unfolded. */
  readonly headers: Readonly<Record<string, string>>;
  /** The text/plain part, quoted-printable decoded. */
  readonly text: string;
  readonly raw: string;
}

function decodeQuotedPrintable(s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** The headers and text/plain part of a MIME message (single part or multipart). */
export function parseMail(raw: string): { headers: Record<string, string>; text: string } {
  const split = (msg: string): [Record<string, string>, string] => {
    const at = msg.search(/\r?\n\r?\n/);
    const head = msg.slice(0, at).replace(/\r?\n[ \t]+/g, ' ');
    const headers = Object.fromEntries(head.split(/\r?\n/).map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
    }));
    return [headers, msg.slice(at).replace(/^\r?\n\r?\n/, '')];
  };
  const [headers, body] = split(raw);
  const decode = (h: Record<string, string>, b: string) => (/quoted-printable/i.test(h['content-transfer-encoding'] ?? '') ? decodeQuotedPrintable(b) : b);
  const boundary = /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1];
  if (!boundary) return { headers, text: decode(headers, body) };
  for (const part of body.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break;
    const [h, b] = split(part.replace(/^\r?\n/, ''));
    if (/text\/plain/i.test(h['content-type'] ?? '')) return { headers, text: decode(h, b.replace(/\r?\n$/, '')) };
  }
  return { headers, text: '' };
}

export class SmtpStandIn {
  readonly mails: Mail[] = [];

  private constructor(private readonly server: net.Server, readonly address: string) {}

  static async start(host = '127.0.0.1'): Promise<SmtpStandIn> {
    let self: SmtpStandIn | undefined;
    const server = net.createServer((socket) => {
      let buffer = '';
      let data: string[] | undefined;
      let from = '';
      let to: string[] = [];
      const reply = (line: string) => socket.write(`${line}\r\n`);
      reply('220 smtp stand-in');
      socket.on('data', (chunk) => {
        buffer += chunk.toString('latin1');
        let nl: number;
        while ((nl = buffer.indexOf('\r\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 2);
          if (data) {
            if (line === '.') {
              const raw = Buffer.from(data.join('\r\n'), 'latin1').toString('utf8');
              self!.mails.push({ from, to, raw, ...parseMail(raw) });
              data = undefined;
              reply('250 OK queued');
            } else {
              data.push(line.startsWith('..') ? line.slice(1) : line);
            }
            continue;
          }
          const verb = line.slice(0, 4).toUpperCase();
          if (verb === 'EHLO') reply('250-smtp stand-in\r\n250 8BITMIME');
          else if (verb === 'HELO') reply('250 smtp stand-in');
          else if (verb === 'MAIL') { from = /<([^>]*)>/.exec(line)?.[1] ?? ''; to = []; reply('250 OK'); }
          else if (verb === 'RCPT') { to.push(/<([^>]*)>/.exec(line)?.[1] ?? ''); reply('250 OK'); }
          else if (verb === 'DATA') { data = []; reply('354 end with .'); }
          else if (verb === 'RSET' || verb === 'NOOP') reply('250 OK');
          else if (verb === 'QUIT') { reply('221 bye'); socket.end(); }
          else reply('502 not implemented');
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    });
    self = new SmtpStandIn(server, `${host}:${(server.address() as net.AddressInfo).port}`);
    return self;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server.close(r));
  }
}

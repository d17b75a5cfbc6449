/**
 * A throwaway self-signed certificate for 127.0.0.1, so the demo cAdvisor can be scraped over
 * HTTPS like the kubelet (the synthesized job uses scheme https with insecure_skip_verify).
 * Made with the openssl binary at run time: no key material is committed and no npm package needed.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { isIP } from 'net';
import * as os from 'os';
import * as path from 'path';

export interface SelfSignedCertificate {
  /** PEM of the private key and of the certificate. */
  readonly key: string;
  readonly cert: string;
}

/** Creates a key and a one-day certificate for `host` (an IP address or a DNS name) in a temporary directory, then removes it. */
export function selfSignedCertificate(host = '127.0.0.1'): SelfSignedCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowton-demo-tls-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    const r = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${host}`, '-addext', `subjectAltName=${isIP(host) ? 'IP' : 'DNS'}:${host}`, '-days', '1', '-keyout', keyFile, '-out', certFile],
      { encoding: 'utf8' },
    );
    if (r.error) {
      const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(
        missing
          ? 'DemoExporter: the openssl binary is not installed (it makes the self-signed certificate of the HTTPS cAdvisor target); install it, e.g. `apt-get install openssl`'
          : `DemoExporter: running openssl failed: ${r.error.message}`,
      );
    }
    if (r.status !== 0) throw new Error(`DemoExporter: openssl could not create a self-signed certificate (exit ${r.status}): ${r.stderr}`);
    return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

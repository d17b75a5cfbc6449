import { IncomingMessage, ServerResponse } from 'http';
import { Registry } from 'prom-client';

export interface MetricsHandlerOptions {
  /** The path Prometheus scrapes (the pod's `prometheus.io/path` annotation). @default '/metrics' */
  readonly path?: string;
}

/**
 * A request listener for `http.createServer` that serves the registry in the Prometheus text
 * format on GET or HEAD of `path`, and 404 elsewhere. Usable on a dedicated metrics port or in
 * front of the application's own listener.
 */
export function metricsHandler(registry: Registry, options: MetricsHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const path = options.path ?? '/metrics';
  return (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== path) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      // A collect() callback that throws must show as a failed scrape (up == 0), not as partial data.
      (err: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`collecting metrics failed: ${String(err)}\n`);
      },
    );
  };
}

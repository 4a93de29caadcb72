/**
 * A plain static file server for a production build (what a web app serves): files under `root`
 * with the cross-origin isolation headers threaded WASM needs (COOP/COEP, as vite.config.ts sets
 * on its servers), no transforms, no revalidation tricks. 404 for a missing file, 403 outside
 * `root`.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.jsonl': 'application/x-ndjson', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
};

export interface StaticServer { url: string; close(): Promise<void> }

export async function serveStatic(root: string): Promise<StaticServer> {
  const base = resolve(root);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = resolve(base, `.${path}`);
    const send = (code: number, text: string) => { res.writeHead(code, { 'content-type': 'text/plain' }); res.end(text); };
    if (file !== base && !file.startsWith(base + sep)) return send(403, 'forbidden');
    try {
      if (statSync(file).isDirectory()) file = resolve(file, 'index.html');
      const { size } = statSync(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size,
        'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'same-origin',
      });
      createReadStream(file).pipe(res);
    } catch {
      send(404, `not found: ${path}`);
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('static server: no port');
  return { url: `http://127.0.0.1:${addr.port}`, close: () => new Promise((ok) => server.close(() => ok())) };
}

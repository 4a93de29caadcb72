/// <reference types="vitest/config" />
import { createReadStream, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

// Multi-threaded WASM needs cross-origin isolation (SharedArrayBuffer): COOP/COEP on the
// dev and preview servers. In production builds the modulepreload polyfill must stay off,
// or onnxruntime-web's thread workers die.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Dev-server route for local BEIR folders: `/datasets/<name>/<file>` serves files from the
 * datasets folder (env MRR_DATASETS, default ../shared/datasets next to the repo), so the demo
 * can load e.g. `/datasets/cisi` without widening vite's `server.fs.allow`. A missing file is a
 * plain 404 (never the index page), a path outside the folder a 403.
 */
function datasetsRoute(root: string): Plugin {
  const dir = resolve(process.env.MRR_DATASETS ?? resolve(root, '..', 'shared', 'datasets'));
  return {
    name: 'matryoshka-datasets',
    configureServer(server) {
      server.middlewares.use('/datasets', (req, res) => {
        const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
        const file = resolve(dir, `.${path}`);
        const send = (code: number, text: string) => { res.statusCode = code; res.setHeader('content-type', 'text/plain; charset=utf-8'); res.end(text); };
        if (file !== dir && !file.startsWith(dir + sep)) return send(403, `forbidden: ${path} is outside the datasets folder`);
        let size: number;
        try {
          const st = statSync(file);
          if (!st.isFile()) return send(404, `not a file: /datasets${path}`);
          size = st.size;
        } catch {
          return send(404, `not found: /datasets${path} (datasets folder: ${dir})`);
        }
        res.setHeader('content-type', file.endsWith('.jsonl') ? 'application/x-ndjson' : 'application/octet-stream');
        res.setHeader('content-length', size);
        res.setHeader('cross-origin-resource-policy', 'same-origin');
        createReadStream(file).pipe(res);
      });
    },
  };
}

export default defineConfig({
  // /datasets/<name>/corpus.jsonl: local BEIR folders for the demo (datasetsRoute above).
  plugins: [datasetsRoute(fileURLToPath(new URL('.', import.meta.url)))],
  server: { headers: isolation, fs: { allow: ['..'] } },
  preview: { headers: isolation },
  build: { modulePreload: { polyfill: false }, target: 'es2022' },
  worker: { format: 'es' },
  // Scan only this repo's pages: e2e/example-app imports the packed package, not src/.
  optimizeDeps: { exclude: ['onnxruntime-web'], entries: ['index.html', 'bench/browser/index.html', 'e2e/pages/*.html'] },
  // beforeAll hooks load models: on a shared 2-core machine that can take longer than vitest's 10 s default.
  test: { include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});

/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { datasetsRoute } from './demo/datasets-plugin';

// Multi-threaded WASM needs cross-origin isolation (SharedArrayBuffer): COOP/COEP on the
// dev and preview servers. In production builds the modulepreload polyfill must stay off,
// or onnxruntime-web's thread workers die.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // /datasets/<name>/corpus.jsonl: local BEIR folders for the demo (demo/datasets-plugin.ts).
  plugins: [datasetsRoute(fileURLToPath(new URL('.', import.meta.url)))],
  server: { headers: isolation, fs: { allow: ['..'] } },
  preview: { headers: isolation },
  build: { modulePreload: { polyfill: false }, target: 'es2022' },
  worker: { format: 'es' },
  // Scan only this repo's pages: e2e/example-app imports the packed package, not src/.
  optimizeDeps: { exclude: ['onnxruntime-web'], entries: ['index.html', 'bench/browser/index.html', 'e2e/pages/*.html'] },
  test: { include: ['test/**/*.test.ts'], testTimeout: 120_000 },
});

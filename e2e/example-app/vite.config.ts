import { defineConfig } from 'vite';

// What a Vite app needs to use matryoshka-reranker:
// * COOP/COEP headers (cross-origin isolation) so onnxruntime-web can run multi-threaded WASM;
//   set them on your production server too.
// * modulePreload polyfill off: it would be injected into onnxruntime-web's thread workers.
// * ES-module workers (the library's worker is `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`).
// * In dev, keep the library and onnxruntime-web out of dependency pre-bundling, so the worker
//   and the .wasm files are resolved next to their modules.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
  build: { modulePreload: { polyfill: false }, target: 'es2022' },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['matryoshka-reranker', 'onnxruntime-web'] },
});

import { defineConfig } from 'vite';

// Cross-origin isolation lets onnxruntime-web run multi-threaded WASM: send these two headers
// from your production server too.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
  // modulePreload's polyfill would be injected into onnxruntime-web's thread workers.
  build: { modulePreload: { polyfill: false }, target: 'es2022' },
  worker: { format: 'es' },
  // In dev, serve the library and the model package as they are, so their
  // new URL(..., import.meta.url) files (worker, .wasm, model) resolve.
  optimizeDeps: { exclude: ['matryoshka-reranker', '@matryoshka-reranker/minilm-l6-scifact', 'onnxruntime-web'] },
});

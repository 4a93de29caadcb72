// Generated from manifest.json by scripts/model-package.ts: do not edit.
/**
 * The minilm-l6-scifact re-ranking model for matryoshka-reranker, as a map of its files.
 * Each file is written as new URL('./<file>', import.meta.url), so a bundler (Vite, webpack 5,
 * Parcel) emits it with your app and rewrites the URL, and Node reads it from this package.
 *
 *   import model from '@matryoshka-reranker/minilm-l6-scifact';
 *   const rr = await createWorkerReranker({ model });
 */
const files = {
  "manifest.json": new URL("./manifest.json", import.meta.url).href,
  "tokenizer.json": new URL("./tokenizer.json", import.meta.url).href,
  "tokenizer_config.json": new URL("./tokenizer_config.json", import.meta.url).href,
  "embeddings.onnx": new URL("./embeddings.onnx", import.meta.url).href,
  "compress.onnx": new URL("./compress.onnx", import.meta.url).href,
  "adapters.safetensors": new URL("./adapters.safetensors", import.meta.url).href,
  "golden.json": new URL("./golden.json", import.meta.url).href,
  "layer_01.weights": new URL("./layer_01.weights", import.meta.url).href,
  "layer_01.onnx": new URL("./layer_01.onnx", import.meta.url).href,
  "layer_01.plain.onnx": new URL("./layer_01.plain.onnx", import.meta.url).href,
  "layer_02.weights": new URL("./layer_02.weights", import.meta.url).href,
  "layer_02.onnx": new URL("./layer_02.onnx", import.meta.url).href,
  "layer_02.plain.onnx": new URL("./layer_02.plain.onnx", import.meta.url).href,
  "layer_03.weights": new URL("./layer_03.weights", import.meta.url).href,
  "layer_03.onnx": new URL("./layer_03.onnx", import.meta.url).href,
  "layer_03.plain.onnx": new URL("./layer_03.plain.onnx", import.meta.url).href,
  "layer_04.weights": new URL("./layer_04.weights", import.meta.url).href,
  "layer_04.onnx": new URL("./layer_04.onnx", import.meta.url).href,
  "layer_04.plain.onnx": new URL("./layer_04.plain.onnx", import.meta.url).href,
  "layer_05.weights": new URL("./layer_05.weights", import.meta.url).href,
  "layer_05.onnx": new URL("./layer_05.onnx", import.meta.url).href,
  "layer_05.plain.onnx": new URL("./layer_05.plain.onnx", import.meta.url).href,
  "layer_06.weights": new URL("./layer_06.weights", import.meta.url).href,
  "layer_06.onnx": new URL("./layer_06.onnx", import.meta.url).href,
  "layer_06.plain.onnx": new URL("./layer_06.plain.onnx", import.meta.url).href,
};

/** The model for option `model` of createReranker / createWorkerReranker / isCached / clearCache. */
export const model = { name: "@matryoshka-reranker/minilm-l6-scifact", files };
export default model;

/** The names of the bundle's files: copy these to self-host the model, then pass the folder URL as `model`. */
export const fileNames = Object.keys(files);

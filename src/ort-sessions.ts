/**
 * onnxruntime sessions for the bundle's graphs, and the graphs' I/O contract
 * (docs/bundle-format.md): which inputs and outputs each graph must have, which outputs stay on
 * the GPU under WebGPU, and the exit heads. src/staged-sessions.ts builds the sessions as the
 * bundle arrives; src/forward.ts feeds them.
 */
import type * as OrtModule from 'onnxruntime-web';
import type { Ort, OrtSession } from './backend';
import { BackendError, BundleError } from './errors';
import { ADAPTER_TARGETS, type Manifest } from './manifest';
import type { ResolvedBackend } from './types';

/** What a graph must take and give, and which of its outputs stay on the GPU (WebGPU). */
export interface GraphIo {
  inputs: string[];
  outputs: string[];
  gpuOutputs: string[];
  /** onnxruntime's graph optimization level for this graph (default 'all'). */
  optimization?: 'basic' | 'all';
}

/** The LoRA inputs of a layer graph with adapters: `lora_<target>_a` / `_b` per target. */
export const LORA_INPUTS = ADAPTER_TARGETS.flatMap((t) => [`lora_${t}_a`, `lora_${t}_b`]);

/** The embeddings graph: token ids in, hidden states out. */
export const EMBEDDINGS_IO: GraphIo = {
  inputs: ['input_ids', 'token_type_ids', 'position_ids'], outputs: ['hidden'], gpuOutputs: ['hidden'],
  // 'all' spends ~150 ms of every page load on this graph (the 12 MB int8 table) for a lookup
  // that is a sliver of a ranking's time; 'basic' builds it in ~50 ms. (An int8 bundle's 4-bit
  // table, 6 MB, folds ~1.5x slower than the int8 one under 'basic': 135 vs 92 ms, Node WASM.)
  optimization: 'basic',
};

/** The token-merging graph: hidden states, merge weights and groups in, merged states out. */
export const COMPRESS_IO: GraphIo = { inputs: ['hidden', 'weights', 'group', 'slots'], outputs: ['hidden_out'], gpuOutputs: ['hidden_out'] };

/**
 * Layer `layer` (1-based): hidden states and mask in (plus the LoRA inputs unless `plain`, the
 * LoRA-free twin), hidden states and the [CLS] attention out, and `score` at an exit.
 */
export function layerIo(layer: number, manifest: Manifest, plain: boolean): GraphIo {
  return {
    inputs: ['hidden', 'mask', ...(plain ? [] : LORA_INPUTS)],
    outputs: ['hidden_out', 'cls_attn', ...(manifest.exits.includes(layer) ? ['score'] : [])],
    gpuOutputs: ['hidden_out', 'cls_attn'],
  };
}

/**
 * Create one session with `ort`, the onnxruntime-web build its engine's tensors come from
 * (src/backend.ts `ortFor`). On WebGPU, outputs named in `io.gpuOutputs` stay on the GPU
 * (`gpu-buffer`) so hidden states never round-trip through the CPU; the rest come back to
 * the CPU. A file that onnxruntime cannot parse is reported as a BundleError naming it.
 */
export async function createSession(
  ort: Ort, bytes: Uint8Array, file: string, backend: ResolvedBackend, io: Pick<GraphIo, 'gpuOutputs' | 'optimization'>,
  externalData: readonly { path: string; data: Uint8Array }[] = [],
): Promise<OrtSession> {
  const { gpuOutputs, optimization = 'all' } = io;
  const options: OrtModule.InferenceSession.SessionOptions = {
    executionProviders: [backend],
    graphOptimizationLevel: optimization,
    // Errors only: onnxruntime's placement notes (e.g. shape ops kept on the CPU under WebGPU)
    // are expected here and would otherwise reach the console at error level.
    logSeverityLevel: 3,
  };
  if (externalData.length) options.externalData = [...externalData];
  if (backend === 'webgpu' && gpuOutputs.length) {
    options.preferredOutputLocation = Object.fromEntries(gpuOutputs.map((n) => [n, 'gpu-buffer' as const]));
  }
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (backend === 'webgpu' && !/protobuf|parse|invalid model|load model/i.test(msg)) {
      throw new BackendError(`MatryoshkaReranker: WebGPU could not create a session for ${file} (${msg}); use backend "wasm"`, { cause: e });
    }
    const withData = externalData.length ? ` with its weights ${externalData.map((d) => d.path).join(', ')}` : '';
    throw new BundleError(`MatryoshkaReranker: bundle file ${file}${withData} is not a valid ONNX graph for onnxruntime-web (${msg}); re-export the bundle with the trainer`, { cause: e });
  }
}

/** Check a session's input/output names against the bundle contract. */
export function checkSessionIo(session: OrtSession, file: string, inputs: readonly string[], outputs: readonly string[]): void {
  const missIn = inputs.filter((n) => !session.inputNames.includes(n));
  const missOut = outputs.filter((n) => !session.outputNames.includes(n));
  if (missIn.length || missOut.length) {
    throw new BundleError(
      `MatryoshkaReranker: ${file} does not match docs/bundle-format.md: ` +
      (missIn.length ? `missing inputs ${missIn.join(', ')} (has ${session.inputNames.join(', ')}); ` : '') +
      (missOut.length ? `missing outputs ${missOut.join(', ')} (has ${session.outputNames.join(', ')}); ` : '') +
      're-export the bundle with the trainer');
  }
}

/** Layers with an exit head must be exactly the manifest's `exits`. */
export function checkExitHead(s: OrtSession, file: string, layer: number, m: Manifest): void {
  if (!m.exits.includes(layer) && s.outputNames.includes('score')) {
    throw new BundleError(`MatryoshkaReranker: ${file} has an exit head (output "score") but manifest.json "exits" (${m.exits.join(', ')}) does not list layer ${layer}: the manifest does not describe its graphs; re-export the bundle`);
  }
}

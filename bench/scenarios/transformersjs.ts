/**
 * Peer `transformersjs`: the bundle's `hf/` model (the full-depth configuration as one standard
 * ONNX graph, docs/bundle-format.md) run by @huggingface/transformers on the same candidates.
 * Its tokenization is the library's usual pair encoding (`[CLS] q [SEP] p [SEP]`, longest-first
 * truncation to `maxLength`), not the bundle's separate query/passage limits, so scores can
 * differ slightly from the full-depth row.
 */
import { resolve } from 'node:path';
import { rerankAll } from './rerank';
import { errorMessage, type ScenarioContext, type Skipped, type SystemResult } from './scenario';

export interface TransformersJsOptions {
  /** Pairs per forward pass. Default 16 (the engine's default batch size). */
  batchSize?: number;
  /** Longest pair in tokens. Default 256 (61 + 192 + 3, the bundle's limits). */
  maxLength?: number;
}

export const defaultTransformersJsOptions = { batchSize: 16, maxLength: 256 } satisfies TransformersJsOptions;

export interface TransformersJsResult extends SystemResult {
  /** transformers.js device actually used. */
  device: string;
  version: string;
}

interface Logits {
  data: ArrayLike<number>;
}
type Tokenize = (a: string[], o: { text_pair: string[]; padding: boolean; truncation: boolean; max_length: number }) => unknown;
type Classify = ((inputs: unknown) => Promise<{ logits: Logits }>) & { dispose?: () => Promise<unknown> };

export async function runTransformersJs(ctx: ScenarioContext, options: TransformersJsOptions = {}): Promise<TransformersJsResult | Skipped> {
  const opts = { ...defaultTransformersJsOptions, ...options };
  const hfDir = resolve(ctx.args.model, 'hf');
  let lib: typeof import('@huggingface/transformers');
  try {
    lib = await import('@huggingface/transformers');
  } catch (err) {
    return { skipped: `@huggingface/transformers could not be loaded (${errorMessage(err)}); run npm install.` };
  }
  lib.env.allowRemoteModels = false;
  lib.env.allowLocalModels = true;
  lib.env.localModelPath = `${resolve(hfDir, '..')}/`;
  // In Node transformers.js has no WASM device: `cpu` is onnxruntime-node (native code), so on the
  // wasm backend this peer is a stronger baseline than the browser's WASM would be.
  const device = ctx.args.backend === 'webgpu' ? 'webgpu' : 'cpu';
  let tokenizer: Tokenize;
  let model: Classify;
  try {
    tokenizer = (await lib.AutoTokenizer.from_pretrained('hf', { local_files_only: true })) as unknown as Tokenize;
    model = (await lib.AutoModelForSequenceClassification.from_pretrained('hf', { local_files_only: true, dtype: 'fp32', device })) as unknown as Classify;
  } catch (err) {
    return { skipped: `could not load ${hfDir} with transformers.js on ${device} (${errorMessage(err)}). The bundle needs hf/config.json, tokenizer files and onnx/model.onnx.` };
  }
  try {
    const result = await rerankAll(ctx, async (query, passages) => {
      const scores: number[] = [];
      for (let i = 0; i < passages.length; i += opts.batchSize) {
        const batch = passages.slice(i, i + opts.batchSize);
        const inputs = tokenizer(batch.map(() => query), { text_pair: batch, padding: true, truncation: true, max_length: opts.maxLength });
        const { logits } = await model(inputs);
        for (let j = 0; j < batch.length; j++) scores.push(logits.data[j] ?? Number.NEGATIVE_INFINITY);
      }
      return scores;
    }, { label: 'transformersjs' });
    return { ...result, device, version: lib.env.version };
  } finally {
    await model.dispose?.();
  }
}

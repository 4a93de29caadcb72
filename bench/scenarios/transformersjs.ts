/**
 * Peer `transformersjs`: the bundle's `hf/` model (the full-depth configuration as one standard
 * ONNX graph, docs/bundle-format.md) run by @huggingface/transformers on the same candidates and
 * the SAME token ids (our RowTokenizer), so its scores must match the full configuration's. It is
 * measured twice, side by side, sharing one loaded model:
 *  - `input-order`: batches of `batchSize` rows in the caller's order, each padded to its longest
 *    row — how the library is called for re-ranking (tokenizer padding: true). Its time over our
 *    full configuration's is the headline speed ratio (what bucketing saves included).
 *  - `engine-buckets`: the engine's own length-bucketed batches (src/batching.ts), so only the
 *    model run differs: layer-by-layer sessions against one graph.
 * Environment-neutral: the caller picks the device (`cpu` in Node, `wasm`/`webgpu` in a
 * browser) and may configure the library (WASM paths, threads) through `load`.
 */
import { lengthBuckets, paddingTotals } from '../../src/batching';
import { readBundleJson } from '../../src/bundle';
import { parseManifest } from '../../src/manifest';
import { defaultOptions as engineDefaults } from '../../src/options';
import { RowTokenizer, type TokenizedRow } from '../../src/tokenize';
import { medianLatencyRatio } from '../latency';
import { errorMessage, type PreparedSystem, type ScenarioContext, type Skipped, type SystemResult } from './scenario';

export type TransformersLib = typeof import('@huggingface/transformers');

export interface TransformersJsOptions {
  /** transformers.js device. Default: `webgpu` on the webgpu backend, else `cpu` (Node's onnxruntime-node). */
  device?: 'cpu' | 'wasm' | 'webgpu';
  /** The bundle folder as transformers.js should read it (path or URL; the model id is `hf`). Default: the benchmark's model. */
  modelLocation?: string;
  /** Imports and configures the library. Default: a plain dynamic import. */
  load?: () => Promise<TransformersLib>;
  /** Rows per batch. Default: the engine's (src/options.ts). */
  batchSize?: number;
  /** Most padded tokens per batch. Default: the engine's. */
  maxBatchTokens?: number;
  /**
   * Weights transformers.js loads: `fp32` (hf/onnx/model.onnx) or `q8` (hf/onnx/model_quantized.onnx,
   * transformers.js's default on WASM; `mrr.export --precision int8` writes it with its recipe).
   * Default: `fp32`.
   */
  dtype?: PeerDtype;
}

export type PeerDtype = 'fp32' | 'q8';

export const defaultTransformersJsOptions = {
  load: (): Promise<TransformersLib> => import('@huggingface/transformers'),
  batchSize: engineDefaults.batchSize,
  maxBatchTokens: engineDefaults.maxBatchTokens,
  dtype: 'fp32' as PeerDtype,
} satisfies TransformersJsOptions;

/** How the peer's rows are cut into batches (see the file comment). */
export type PeerBatching = 'input-order' | 'engine-buckets';

export interface TransformersJsResult extends SystemResult {
  batching: PeerBatching;
  /** Padded tokens over real tokens over all batches (1 = no padding). */
  paddingOverhead: number;
  /** transformers.js device actually used. */
  device: string;
  /** Weights it ran (absent in reports from before the option: fp32). */
  dtype?: PeerDtype;
  version: string;
  /** Whose token ids: always the engine's (only the model run differs). */
  tokenization: 'engine';
  /** Median over queries of this peer's time over the full configuration's (null: not measured). */
  latencyRatio: number | null;
}

interface Logits {
  data: ArrayLike<number>;
}
type Classify = ((inputs: Record<string, unknown>) => Promise<{ logits: Logits }>) & { dispose?: () => Promise<unknown> };

/** `input_ids`, `attention_mask`, `token_type_ids` (docs/bundle-format.md layout) for some rows. */
function batchInputs(lib: TransformersLib, rows: TokenizedRow[], padId: number): Record<string, InstanceType<TransformersLib['Tensor']>> {
  const width = Math.max(...rows.map((r) => r.ids.length));
  const ids = new BigInt64Array(rows.length * width).fill(BigInt(padId));
  const mask = new BigInt64Array(rows.length * width);
  const types = new BigInt64Array(rows.length * width);
  rows.forEach((r, b) => {
    const at = b * width;
    for (let j = 0; j < r.ids.length; j++) {
      ids[at + j] = BigInt(r.ids[j] ?? padId);
      mask[at + j] = 1n;
      types[at + j] = j >= r.qLen + 2 ? 1n : 0n;
    }
  });
  const dims = [rows.length, width];
  return {
    input_ids: new lib.Tensor('int64', ids, dims),
    attention_mask: new lib.Tensor('int64', mask, dims),
    token_type_ids: new lib.Tensor('int64', types, dims),
  };
}

/** Input-order batches: consecutive rows, `batchSize` (and `maxBatchTokens` of padded tokens) at most. */
export function inputOrderBatches(lengths: readonly number[], limits: { batchSize: number; maxBatchTokens: number }): number[][] {
  const batches: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  lengths.forEach((len, i) => {
    const width = Math.max(longest, len);
    if (cur.length > 0 && (cur.length >= limits.batchSize || width * (cur.length + 1) > limits.maxBatchTokens)) {
      batches.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(i);
    longest = Math.max(longest, len);
  });
  if (cur.length) batches.push(cur);
  return batches;
}

type FinishPeer = (fullPerQueryMs: ReadonlyMap<string, number>) => TransformersJsResult;

/** The peer loaded and ready to be measured (input order first); `finish` takes the full configuration's per-query times. */
export interface PreparedTransformersJs {
  systems: [PreparedSystem<FinishPeer>, PreparedSystem<FinishPeer>];
  dispose(): Promise<void>;
}

export async function prepareTransformersJs(ctx: ScenarioContext, options: TransformersJsOptions = {}): Promise<PreparedTransformersJs | Skipped> {
  const opts = { ...defaultTransformersJsOptions, ...options };
  const device = opts.device ?? (ctx.args.backend === 'webgpu' ? 'webgpu' : 'cpu');
  const location = (opts.modelLocation ?? ctx.args.model).replace(/\/+$/, '');
  let lib: TransformersLib;
  try {
    lib = await opts.load();
  } catch (err) {
    return { skipped: `@huggingface/transformers could not be loaded (${errorMessage(err)}); run npm install.` };
  }
  lib.env.allowRemoteModels = false;
  lib.env.allowLocalModels = true;
  lib.env.localModelPath = `${location}/`;
  let tokenizer: RowTokenizer;
  let padId: number;
  let model: Classify;
  try {
    const manifest = parseManifest(await readBundleJson(ctx.args.model, 'manifest.json'));
    const [tokJson, tokConfig] = await Promise.all([
      readBundleJson(ctx.args.model, manifest.input.tokenizer),
      readBundleJson(ctx.args.model, manifest.input.tokenizerConfig),
    ]);
    tokenizer = new RowTokenizer(tokJson, tokConfig, manifest);
    padId = manifest.input.padTokenId;
    model = (await lib.AutoModelForSequenceClassification.from_pretrained('hf', { local_files_only: true, dtype: opts.dtype, device })) as unknown as Classify;
  } catch (err) {
    const file = opts.dtype === 'q8' ? 'model_quantized.onnx (export with --precision int8)' : 'model.onnx';
    return { skipped: `could not load ${location}/hf with transformers.js on ${device} (${errorMessage(err)}). The bundle needs hf/config.json and hf/onnx/${file}.` };
  }
  const limits = { batchSize: opts.batchSize, maxBatchTokens: opts.maxBatchTokens };
  const system = (batching: PeerBatching): PreparedSystem<FinishPeer> => {
    let real = 0;
    let padded = 0;
    return {
      label: `transformers.js (${device}${opts.dtype === 'fp32' ? '' : `, ${opts.dtype}`}, ${batching})`,
      score: async (query, passages) => {
        const { rows } = tokenizer.rows(query, passages);
        const lengths = rows.map((r) => r.ids.length);
        const batches = batching === 'input-order' ? inputOrderBatches(lengths, limits) : lengthBuckets(lengths, limits);
        const scores = new Array<number>(rows.length).fill(Number.NEGATIVE_INFINITY);
        const totals = paddingTotals(lengths, batches);
        real += totals.real;
        padded += totals.padded;
        for (const batch of batches) {
          const { logits } = await model(batchInputs(lib, batch.map((i) => rows[i]!), padId));
          batch.forEach((row, j) => {
            scores[row] = logits.data[j] ?? Number.NEGATIVE_INFINITY;
          });
        }
        return scores;
      },
      finish: ({ result, perQueryMs }) => (fullPerQueryMs) => ({
        ...result, batching, paddingOverhead: real === 0 ? 1 : padded / real, device, dtype: opts.dtype, version: lib.env.version,
        tokenization: 'engine', latencyRatio: medianLatencyRatio(perQueryMs, fullPerQueryMs),
      }),
    };
  };
  return {
    systems: [system('input-order'), system('engine-buckets')],
    dispose: async () => {
      await model.dispose?.();
    },
  };
}

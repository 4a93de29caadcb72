/**
 * The layer-by-layer forward pass over onnxruntime sessions: embeddings, then the steps of a
 * plan (src/plan.ts): per layer an optional compression of its input and the layer itself
 * (with the step's LoRA factors), reading the exit score on the last step. A batch's state (hidden states,
 * `cls_attn`, per-row lengths) can be paused after any layer, split into rows, and resumed
 * in another batch: that is what progressive re-ranking builds on.
 *
 * On WebGPU `hidden_out` / `cls_attn` stay in GPU buffers between steps; only `score` (and
 * rows kept by a progressive stage) come back to the CPU.
 */
import type { AdapterStore } from './adapters';
import type { MergedLayers } from './int8-merge';
import { type Ort, type OrtSession, type OrtTensor, type TensorMaker, tensorMaker } from './backend';
import { ADAPTER_TARGETS, type Manifest } from './manifest';
import { lengthsMask, mergePlan, rowLength } from './merge-plan';
import type { LayerStep } from './plan';
import type { TokenizedRow } from './tokenize';

export interface Sessions {
  /** The onnxruntime-web build the sessions come from (their input tensors must too). */
  ort: Ort;
  embeddings: OrtSession;
  layers: OrtSession[];
  /** LoRA-free twins of `layers` (same weights), used where a configuration adds no adapter. */
  plainLayers?: OrtSession[];
  /** int8 on WASM: the plain twins with a step's adapters merged into their weights (src/int8-merge.ts). */
  merged?: MergedLayers;
  compress: OrtSession;
}

/** A batch paused after `layer` layers (0 = right after the embeddings). */
export interface BatchState {
  B: number;
  /** Padded length of the batch (it shrinks when compressed). */
  T: number;
  qLens: Int32Array;
  /** Current passage lengths (after any compression). */
  pLens: Int32Array;
  hidden: OrtTensor;
  /** `cls_attn` of the last layer run ([B,T]); null before the first layer and after compressing. */
  clsAttn: OrtTensor | null;
  layer: number;
  /**
   * True after a run whose last layer computed the pooling row only (`Forward.run` without
   * `resumable`): `hidden` is [B,1,H] and the batch can be scored but not resumed or split.
   */
  pooled?: boolean;
}

/** One row of a paused batch, on the CPU, unpadded. */
export interface RowState {
  qLen: number;
  pLen: number;
  layer: number;
  /** [length, H] */
  hidden: Float32Array;
  /** [length] or null */
  clsAttn: Float32Array | null;
}

export class Forward {
  private readonly H: number;
  private readonly numLayers: number;
  private readonly loraTensors = new Map<string, Record<string, OrtTensor>>();
  /**
   * Measured cost of one layer step per padded token (ms), 0 before the first step. It rises
   * at once with a slower step and decays slowly, so it errs on the slow side (src/scoring.ts
   * sizes the steps of abortable calls with it).
   */
  msPerTokenLayer = 0;
  private readonly tensor: TensorMaker;

  constructor(private readonly sessions: Sessions, readonly manifest: Manifest, private readonly adapters: AdapterStore) {
    this.tensor = tensorMaker(sessions.ort);
    this.H = manifest.architecture.hiddenSize;
    this.numLayers = manifest.architecture.numLayers;
  }

  /** Run the embeddings on tokenized rows (right-padded to the longest). */
  async embed(rows: readonly TokenizedRow[]): Promise<BatchState> {
    const B = rows.length;
    const T = Math.max(...rows.map((r) => r.ids.length));
    const pad = BigInt(this.manifest.input.padTokenId);
    const ids = new BigInt64Array(B * T).fill(pad);
    const types = new BigInt64Array(B * T);
    const pos = new BigInt64Array(B * T);
    rows.forEach((r, b) => {
      const o = b * T;
      for (let j = 0; j < r.ids.length; j++) ids[o + j] = BigInt(r.ids[j]!);
      types.fill(1n, o + r.qLen + 2, o + r.ids.length);
      for (let j = 0; j < T; j++) pos[o + j] = BigInt(j);
    });
    const out = await this.sessions.embeddings.run({
      input_ids: this.tensor('int64', ids, [B, T]),
      token_type_ids: this.tensor('int64', types, [B, T]),
      position_ids: this.tensor('int64', pos, [B, T]),
    });
    return {
      B, T,
      qLens: Int32Array.from(rows, (r) => r.qLen),
      pLens: Int32Array.from(rows, (r) => r.pLen),
      hidden: out.hidden!,
      clsAttn: null,
      layer: 0,
    };
  }

  /**
   * The forward pass: run the steps of `steps` (a plan, src/plan.ts) that follow the batch's
   * current layer, in place, and return the exit score [B] of the last step. `beforeLayer`
   * runs before each layer (abortable calls yield and check their signal there). Unless
   * `resumable`, the last layer computes the pooling row only (all its exit head reads; every
   * token is still a key and a value): the batch is then `pooled`.
   */
  async run(state: BatchState, steps: readonly LayerStep[], beforeLayer?: () => Promise<void>, resumable = false): Promise<Float32Array> {
    if (steps.length > this.numLayers) throw new RangeError(`Forward.run: plan of ${steps.length} layers > ${this.numLayers}`);
    if (state.pooled) throw new RangeError('Forward.run: the batch was run to its exit without `resumable`; it cannot go deeper');
    let score: Float32Array | null = null;
    const todo = steps.slice(state.layer);
    for (const [i, step] of todo.entries()) {
      await beforeLayer?.();
      if (step.compress) await this.compress(state, step.compress);
      // the LoRA graph with the step's adapters, the layer's plain twin where none is on, or
      // (int8 on WASM) the plain twin with the adapters merged into its weights
      const lora = this.sessions.layers[step.layer - 1]!;
      const session = step.adapters.length === 0
        ? this.sessions.plainLayers?.[step.layer - 1] ?? lora
        : this.sessions.merged ? await this.sessions.merged.session(step.layer, step.adapters) : lora;
      const pooled = !resumable && i === todo.length - 1;
      const feeds = { hidden: state.hidden, mask: this.mask(state), ...this.keep(session, state.T, pooled), ...(session === lora ? this.lora(step.layer, step.adapters) : {}) };
      const out = await this.timed(state, () => session.run(feeds, this.fetches(session, step)));
      this.advance(state, out.hidden_out!, out.cls_attn!, step.layer);
      if (pooled) state.pooled = true;
      if (step.exits) score = await takeScore(out.score!);
    }
    if (!score) throw new RangeError(`Forward.run: the plan's last step (layer ${steps.length}) does not exit after layer ${state.layer}`);
    return score;
  }

  /** [B,T] attention mask of the batch's current rows. */
  private mask(state: BatchState): OrtTensor {
    const lengths = Int32Array.from(state.qLens, (q, b) => rowLength(q, state.pLens[b]!));
    return this.tensor('float32', lengthsMask(lengths, state.T), [state.B, state.T]);
  }

  /**
   * The `keep` feed of a layer graph: the rows whose output it computes, [0] (the pooling row)
   * or all T. Bundles exported before `keep` have no such input and always compute every row.
   */
  private keep(session: OrtSession, T: number, pooled: boolean): { keep?: OrtTensor } {
    if (!session.inputNames.includes('keep')) return {};
    const rows = pooled ? new BigInt64Array(1) : BigInt64Array.from({ length: T }, (_, j) => BigInt(j));
    return { keep: this.tensor('int64', rows, [rows.length]) };
  }

  /** Outputs to fetch from a layer: `score` too on the step that exits. */
  private fetches(session: OrtSession, step: LayerStep): string[] {
    if (!step.exits) return ['hidden_out', 'cls_attn'];
    if (!session.outputNames.includes('score')) throw new RangeError(`Forward.run: layer ${step.layer} has no exit head`);
    return ['hidden_out', 'cls_attn', 'score'];
  }

  /** Run one layer, updating `msPerTokenLayer`. */
  private async timed(state: BatchState, run: () => Promise<Record<string, OrtTensor>>): Promise<Record<string, OrtTensor>> {
    const t0 = performance.now();
    const out = await run();
    const sample = (performance.now() - t0) / (state.B * state.T);
    this.msPerTokenLayer = sample > this.msPerTokenLayer ? sample : 0.8 * this.msPerTokenLayer + 0.2 * sample;
    return out;
  }

  /** The batch is now after `layer`: its hidden states and `cls_attn` are that layer's outputs. */
  private advance(state: BatchState, hidden: OrtTensor, clsAttn: OrtTensor, layer: number): void {
    disposeTensor(state.hidden);
    disposeTensor(state.clsAttn);
    state.hidden = hidden;
    state.clsAttn = clsAttn;
    state.layer = layer;
  }

  /** Merge the passage tokens of the next layer's input (docs/bundle-format.md, "Compression"). */
  private async compress(state: BatchState, c: NonNullable<LayerStep['compress']>): Promise<void> {
    const { B, T } = state;
    const merge = mergePlan(state.qLens, state.pLens, T, c.ratio);
    let weights: OrtTensor;
    if (c.mode === 'attention') {
      if (!state.clsAttn) throw new RangeError(`Forward.compress: no cls_attn before layer ${state.layer + 1}`);
      weights = state.clsAttn;
    } else {
      weights = this.tensor('float32', new Float32Array(B * T).fill(1), [B, T]);
    }
    const out = await this.sessions.compress.run({
      hidden: state.hidden,
      weights,
      group: this.tensor('float32', merge.group, [B, T]),
      slots: this.tensor('float32', merge.slots, [merge.tOut]),
    });
    disposeTensor(state.hidden);
    disposeTensor(state.clsAttn);
    state.hidden = out.hidden_out!;
    state.clsAttn = null;
    state.T = merge.tOut;
    state.pLens = merge.pLens;
  }

  /** LoRA feeds of `layer` for adapter set `names`, cached per (layer, names). */
  private lora(layer: number, names: readonly string[]): Record<string, OrtTensor> {
    const key = `${layer}:${names.join('+')}`;
    let feeds = this.loraTensors.get(key);
    if (!feeds) {
      const f = this.adapters.layer(layer, names);
      feeds = {};
      for (const t of ADAPTER_TARGETS) {
        feeds[`lora_${t}_a`] = this.tensor('float32', f[t].a.data, f[t].a.dims);
        feeds[`lora_${t}_b`] = this.tensor('float32', f[t].b.data, f[t].b.dims);
      }
      this.loraTensors.set(key, feeds);
    }
    return feeds;
  }

  /** Copy rows `which` (batch positions) of a paused batch to the CPU. */
  async extractRows(state: BatchState, which: readonly number[]): Promise<RowState[]> {
    if (which.length === 0) return [];
    if (state.pooled) throw new RangeError('Forward.extractRows: the batch was run to its exit without `resumable`; its rows cannot be resumed');
    const H = this.H;
    const hidden = (await state.hidden.getData()) as Float32Array;
    const cls = state.clsAttn ? ((await state.clsAttn.getData()) as Float32Array) : null;
    return which.map((b) => {
      const len = rowLength(state.qLens[b]!, state.pLens[b]!);
      return {
        qLen: state.qLens[b]!,
        pLen: state.pLens[b]!,
        layer: state.layer,
        hidden: hidden.slice(b * state.T * H, (b * state.T + len) * H),
        clsAttn: cls ? cls.slice(b * state.T, b * state.T + len) : null,
      };
    });
  }

  /** Re-batch paused rows (all after the same layer) into a new padded batch. */
  fromRows(rows: readonly RowState[]): BatchState {
    const H = this.H;
    const B = rows.length;
    const layer = rows[0]!.layer;
    if (rows.some((r) => r.layer !== layer)) throw new RangeError('Forward.fromRows: rows paused after different layers');
    const T = Math.max(...rows.map((r) => rowLength(r.qLen, r.pLen)));
    const hidden = new Float32Array(B * T * H);
    const withCls = rows.every((r) => r.clsAttn);
    const cls = withCls ? new Float32Array(B * T) : null;
    rows.forEach((r, b) => {
      hidden.set(r.hidden, b * T * H);
      if (cls) cls.set(r.clsAttn!, b * T);
    });
    return {
      B, T,
      qLens: Int32Array.from(rows, (r) => r.qLen),
      pLens: Int32Array.from(rows, (r) => r.pLen),
      hidden: this.tensor('float32', hidden, [B, T, H]),
      clsAttn: cls ? this.tensor('float32', cls, [B, T]) : null,
      layer,
    };
  }

  /** Release a batch's tensors (GPU buffers on WebGPU). */
  release(state: BatchState): void {
    disposeTensor(state.hidden);
    disposeTensor(state.clsAttn);
  }
}

/** The exit score [B] on the CPU (the GPU copy is released). */
async function takeScore(score: OrtTensor): Promise<Float32Array> {
  const data = (await score.getData()) as Float32Array;
  disposeTensor(score);
  return Float32Array.from(data);
}

function disposeTensor(t: OrtTensor | null | undefined): void {
  if (t && t.location === 'gpu-buffer') t.dispose();
}

/**
 * The layer-by-layer forward pass over onnxruntime sessions: embeddings, then per layer an
 * optional compression of its input and the layer itself (with the configuration's LoRA
 * factors), reading the exit score only where asked. A batch's state (hidden states,
 * `cls_attn`, per-row lengths) can be paused after any layer, split into rows, and resumed
 * in another batch: that is what progressive re-ranking builds on.
 *
 * On WebGPU `hidden_out` / `cls_attn` stay in GPU buffers between steps; only `score` (and
 * rows kept by a progressive stage) come back to the CPU.
 */
import type { AdapterStore } from './adapters';
import { type OrtSession, type OrtTensor, tensor } from './backend';
import { adaptersAt, compressesAt, type ResolvedConfig } from './config';
import { ADAPTER_TARGETS, type Manifest } from './manifest';
import { lengthsMask, mergePlan, rowLength } from './merge-plan';
import type { TokenizedRow } from './tokenize';

export interface Sessions {
  embeddings: OrtSession;
  layers: OrtSession[];
  /** LoRA-free twins of `layers` (same weights), used where a configuration adds no adapter. */
  plainLayers?: OrtSession[];
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

  constructor(private readonly sessions: Sessions, private readonly manifest: Manifest, private readonly adapters: AdapterStore) {
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
      input_ids: tensor('int64', ids, [B, T]),
      token_type_ids: tensor('int64', types, [B, T]),
      position_ids: tensor('int64', pos, [B, T]),
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
   * Run layer `state.layer + 1` of configuration `cfg` in place (compressing its input first
   * where `cfg` says so). Returns the exit score [B] when `wantScore`, else null.
   */
  async step(state: BatchState, cfg: ResolvedConfig, wantScore: boolean): Promise<Float32Array | null> {
    const layer = state.layer + 1;
    if (layer > this.numLayers) throw new RangeError(`Forward.step: layer ${layer} > ${this.numLayers}`);
    if (compressesAt(cfg, layer)) await this.compress(state, cfg);
    const { B, T } = state;
    const lengths = Int32Array.from(state.qLens, (q, b) => rowLength(q, state.pLens[b]!));
    const names = adaptersAt(cfg, layer, this.numLayers);
    const plain = names.length === 0 ? this.sessions.plainLayers?.[layer - 1] : undefined;
    const feeds: Record<string, OrtTensor> = {
      hidden: state.hidden,
      mask: tensor('float32', lengthsMask(lengths, T), [B, T]),
      ...(plain ? {} : this.lora(layer, names)),
    };
    const session = plain ?? this.sessions.layers[layer - 1]!;
    const fetches = ['hidden_out', 'cls_attn'];
    if (wantScore) {
      if (!session.outputNames.includes('score')) throw new RangeError(`Forward.step: layer ${layer} has no exit head`);
      fetches.push('score');
    }
    const t0 = performance.now();
    const out = await session.run(feeds, fetches);
    const sample = (performance.now() - t0) / (B * T);
    this.msPerTokenLayer = sample > this.msPerTokenLayer ? sample : 0.8 * this.msPerTokenLayer + 0.2 * sample;
    disposeTensor(state.hidden);
    disposeTensor(state.clsAttn);
    state.hidden = out.hidden_out!;
    state.clsAttn = out.cls_attn!;
    state.layer = layer;
    if (!wantScore) return null;
    const score = out.score!;
    const data = (await score.getData()) as Float32Array;
    disposeTensor(score);
    return Float32Array.from(data);
  }

  private async compress(state: BatchState, cfg: ResolvedConfig): Promise<void> {
    const c = cfg.compress!;
    const { B, T } = state;
    const plan = mergePlan(state.qLens, state.pLens, T, c.ratio);
    let weights: OrtTensor;
    if (c.mode === 'attention') {
      if (!state.clsAttn) throw new RangeError(`Forward.compress: no cls_attn before layer ${state.layer + 1}`);
      weights = state.clsAttn;
    } else {
      weights = tensor('float32', new Float32Array(B * T).fill(1), [B, T]);
    }
    const out = await this.sessions.compress.run({
      hidden: state.hidden,
      weights,
      group: tensor('float32', plan.group, [B, T]),
      slots: tensor('float32', plan.slots, [plan.tOut]),
    });
    disposeTensor(state.hidden);
    disposeTensor(state.clsAttn);
    state.hidden = out.hidden_out!;
    state.clsAttn = null;
    state.T = plan.tOut;
    state.pLens = plan.pLens;
  }

  /** LoRA feeds of `layer` for adapter set `names`, cached per (layer, names). */
  private lora(layer: number, names: string[]): Record<string, OrtTensor> {
    const key = `${layer}:${names.join('+')}`;
    let feeds = this.loraTensors.get(key);
    if (!feeds) {
      const f = this.adapters.layer(layer, names);
      feeds = {};
      for (const t of ADAPTER_TARGETS) {
        feeds[`lora_${t}_a`] = tensor('float32', f[t].a.data, f[t].a.dims);
        feeds[`lora_${t}_b`] = tensor('float32', f[t].b.data, f[t].b.dims);
      }
      this.loraTensors.set(key, feeds);
    }
    return feeds;
  }

  /** Copy rows `which` (batch positions) of a paused batch to the CPU. */
  async extractRows(state: BatchState, which: readonly number[]): Promise<RowState[]> {
    if (which.length === 0) return [];
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
      hidden: tensor('float32', hidden, [B, T, H]),
      clsAttn: cls ? tensor('float32', cls, [B, T]) : null,
      layer,
    };
  }

  /** Release a batch's tensors (GPU buffers on WebGPU). */
  release(state: BatchState): void {
    disposeTensor(state.hidden);
    disposeTensor(state.clsAttn);
  }
}

function disposeTensor(t: OrtTensor | null | undefined): void {
  if (t && t.location === 'gpu-buffer') t.dispose();
}

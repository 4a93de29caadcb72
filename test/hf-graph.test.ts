/**
 * Contract check: the bundle's hf/onnx/model.onnx (the full model as one graph, for
 * @huggingface/transformers) gives the same scores as the runtime's full configuration.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine';
import { TINY, tinyGolden } from './helpers';

describe.skipIf(!existsSync(`${TINY}/hf/onnx/model.onnx`))('hf/ graph', () => {
  it('agrees with configuration d{numLayers} on the golden rows', async () => {
    const engine = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 1 });
    const hf = await ort.InferenceSession.create(new Uint8Array(readFileSync(`${TINY}/hf/onnx/model.onnx`)), { executionProviders: ['wasm'] });
    try {
      const c = tinyGolden().cases[0]!;
      const direct = await engine.rank(c.query, c.passages, { config: 'd4' });
      const rows = engine.encode(c.query, c.passages);
      const B = rows.inputIds.length;
      const T = Math.max(...rows.inputIds.map((r) => r.length));
      const ids = new BigInt64Array(B * T);
      const mask = new BigInt64Array(B * T);
      const types = new BigInt64Array(B * T);
      rows.inputIds.forEach((r, b) => r.forEach((id, j) => {
        ids[b * T + j] = BigInt(id);
        mask[b * T + j] = 1n;
        types[b * T + j] = j >= rows.qLens[b]! + 2 ? 1n : 0n;
      }));
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', ids, [B, T]),
        attention_mask: new ort.Tensor('int64', mask, [B, T]),
        token_type_ids: new ort.Tensor('int64', types, [B, T]),
      };
      const out = await hf.run(Object.fromEntries(Object.entries(feeds).filter(([k]) => hf.inputNames.includes(k))));
      const logits = out.logits!.data as Float32Array;
      for (const x of direct.results) expect(Math.abs(logits[x.index]! - x.score)).toBeLessThan(1e-3);
    } finally {
      await hf.release();
      await engine.dispose();
    }
  });
});

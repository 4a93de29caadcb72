/**
 * onnxruntime-web's settings (`ort.env`) are one per realm and read once: the first engine
 * sets them, a later engine with the same settings (or leaving them out) is fine, and one
 * asking for different ones is refused with an OptionsError that says how to fix it. Runs in
 * its own file: vitest gives each test file a fresh module graph (a fresh `ort.env`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { Engine } from '../src/engine';
import { OptionsError } from '../src/errors';
import { createReranker } from '../src/index';
import { TINY } from './helpers';

let first: Engine;
beforeAll(async () => { first = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 1 }); });
afterAll(() => first?.dispose());

describe('ort.env is configured once per realm', () => {
  it('the first engine sets the thread count', async () => {
    expect(ort.env.wasm.numThreads).toBe(1);
    expect((await first.info()).threads).toBe(1);
  });

  it('a second engine asking for another thread count gets an OptionsError saying how to fix it', async () => {
    const err = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OptionsError);
    expect((err as Error).message).toMatch(/option "numThreads" is 2, but this realm already runs onnxruntime-web with 1 thread/);
    expect((err as Error).message).toMatch(/pass numThreads: 1 or leave it out, or create this reranker in its own worker/);
    await expect(createReranker({ model: TINY, backend: 'wasm', numThreads: 3 })).rejects.toThrow(OptionsError);
    // Nothing changed: the engine in use keeps its setting and keeps ranking.
    expect(ort.env.wasm.numThreads).toBe(1);
    expect((await first.rank('cells', ['a cell', 'a river'])).results).toHaveLength(2);
  });

  it('another .wasm location is refused the same way', async () => {
    await expect(Engine.create({ model: TINY, backend: 'wasm', numThreads: 1, wasmPaths: '/elsewhere/' }))
      .rejects.toThrow(/option "wasmPaths" is "\/elsewhere\/", but this realm already loads onnxruntime-web's \.wasm files from its default location/);
  });

  it('the same settings, or none, are fine (and report the thread count in effect)', async () => {
    const same = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 1 });
    const unset = await Engine.create({ model: TINY, backend: 'wasm' });
    try {
      expect((await same.info()).threads).toBe(1);
      expect((await unset.info()).threads).toBe(1);
      expect((await unset.rank('cells', ['a cell', 'a river'])).results).toHaveLength(2);
    } finally {
      await same.dispose();
      await unset.dispose();
    }
  });
});

/**
 * The forward pass over the tiny bundle's sessions: a plan's last layer computes the pooling row
 * only (`keep` = [0], the exit head reads nothing else), unless the run is `resumable`; the
 * score is the same either way, and a pooled batch refuses to be resumed or split.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdapterStore } from '../src/adapters';
import { ortFor, type OrtSession, type OrtTensor } from '../src/backend';
import { Forward, type Sessions } from '../src/forward';
import { COMPRESS_IO, createSession, EMBEDDINGS_IO, layerIo } from '../src/ort-sessions';
import { plan } from '../src/plan';
import { parseSafetensors } from '../src/safetensors';
import { TINY, tinyGolden, tinyManifest } from './helpers';

const m = tinyManifest();
const read = (f: string) => new Uint8Array(readFileSync(`${TINY}/${f}`));
/** `keep` lengths fed to each layer run, in order. */
const keeps: number[] = [];
let forward: Forward;

/** A session whose runs record the length of their `keep` feed. */
function recorded(s: OrtSession): OrtSession {
  const run = s.run.bind(s);
  return new Proxy(s, {
    get: (t, k) => (k === 'run'
      ? (feeds: Record<string, OrtTensor>, ...rest: never[]) => { keeps.push(feeds.keep ? feeds.keep.dims[0]! : -1); return run(feeds, ...rest); }
      : Reflect.get(t, k)),
  });
}

beforeAll(async () => {
  const ort = await ortFor('wasm');
  const open = (f: string, io: Parameters<typeof createSession>[4], w?: string) =>
    createSession(ort, read(f), f, 'wasm', io, w ? [{ path: w, data: read(w) }] : []);
  const g = m.graphs;
  const layers: OrtSession[] = [];
  const plainLayers: OrtSession[] = [];
  for (let i = 0; i < g.layers.length; i++) {
    layers.push(recorded(await open(g.layers[i]!, layerIo(i + 1, m, false), g.layerWeights?.[i])));
    plainLayers.push(recorded(await open(g.plainLayers![i]!, layerIo(i + 1, m, true), g.layerWeights?.[i])));
  }
  const sessions: Sessions = { ort, embeddings: await open(g.embeddings, EMBEDDINGS_IO), compress: await open(g.compress, COMPRESS_IO), layers, plainLayers };
  forward = new Forward(sessions, m, new AdapterStore(parseSafetensors(read(m.adapters.file), m.adapters.file), m));
});

describe('Forward: the last layer computes the pooling row only', () => {
  const c = tinyGolden().cases[0]!;
  const rows = c.inputIds.map((ids, b) => ({ ids: Int32Array.from(ids), qLen: c.qLens[b]!, pLen: c.pLens[b]!, truncated: c.truncated[b]! }));
  const steps = plan(c.config, m);

  it('feeds keep = all rows before the last layer and [0] on it; same scores as a resumable run', async () => {
    keeps.length = 0;
    const pooledState = await forward.embed(rows);
    const pooled = await forward.run(pooledState, steps);
    const T = pooledState.T;
    expect(keeps).toEqual([...steps.slice(0, -1).map(() => T), 1]);
    expect(pooledState.pooled).toBe(true);
    keeps.length = 0;
    const fullState = await forward.embed(rows);
    const full = await forward.run(fullState, steps, undefined, true);
    expect(keeps).toEqual(steps.map(() => T));
    expect(fullState.pooled).toBeUndefined();
    for (let b = 0; b < rows.length; b++) {
      expect(pooled[b]).toBeCloseTo(full[b]!, 4);
      expect(pooled[b]).toBeCloseTo(c.scores[b]!, 2);
    }
    await expect(forward.extractRows(pooledState, [0])).rejects.toThrow(/cannot be resumed/);
    await expect(forward.run(pooledState, steps)).rejects.toThrow(/cannot go deeper/);
    expect((await forward.extractRows(fullState, [0]))[0]!.layer).toBe(steps.length);
  });
});

/**
 * The worker proxy against the real worker side (src/worker-api.ts) on a MessageChannel, so
 * comlink, error revival, abort, crash recovery and device loss are exercised in Node.
 */
import { expose } from 'comlink';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  AbortError, ConfigError, DeviceLostError, DisposedError, InputError, WorkerCrashedError,
} from '../src/errors';
import { fuseScores } from '../src/fusion';
import type { FatalMessage, WorkerApi } from '../src/protocol';
import { createWorkerApi } from '../src/worker-api';
import { WorkerReranker, type WorkerLike } from '../src/worker-proxy';
import type { LoadProgress } from '../src/types';
import { TINY, tinyGolden } from './helpers';

/** A Worker stand-in: the worker side runs in this thread behind a MessageChannel. */
class FakeWorker extends EventTarget implements WorkerLike {
  private readonly ch = new MessageChannel();
  readonly api: WorkerApi;
  terminated = false;
  constructor() {
    super();
    this.api = createWorkerApi((m) => this.ch.port2.postMessage(m));
    expose(this.api, this.ch.port2 as unknown as Parameters<typeof expose>[1]);
    this.ch.port1.addEventListener('message', (ev) => this.dispatchEvent(new MessageEvent('message', { data: (ev as MessageEvent).data })));
    this.ch.port1.start();
  }
  postMessage(message: unknown, transfer?: Transferable[]): void {
    this.ch.port1.postMessage(message, (transfer ?? []) as never);
  }
  terminate(): void {
    this.terminated = true;
    void this.api.dispose();
    this.ch.port1.close();
  }
  crash(message: string): void {
    this.dispatchEvent(Object.assign(new Event('error'), { message }));
  }
  loseDevice(): void {
    const m: FatalMessage = { type: 'matryoshka-reranker:fatal', error: { name: 'DeviceLostError', message: 'MatryoshkaReranker: the WebGPU device was lost (test)' } };
    this.ch.port2.postMessage(m);
  }
}

const c0 = tinyGolden().cases[0]!;
const workers: FakeWorker[] = [];
const progress: LoadProgress[] = [];
const rr = new WorkerReranker({
  model: TINY, backend: 'wasm', numThreads: 1,
  onProgress: (p) => progress.push(p),
  createWorker: () => { const w = new FakeWorker(); workers.push(w); return w; },
});
afterAll(() => rr.dispose());

describe('worker proxy', () => {
  it('loads, reports progress through the worker, and ranks like the engine', async () => {
    const info = await rr.start();
    expect(info.backend).toBe('wasm');
    expect(info.exits).toEqual([2, 3, 4]);
    expect(progress.length).toBeGreaterThan(0);
    // progressive loading: start() resolves on the shallow layers; progress goes on to the whole bundle
    await vi.waitFor(() => expect(progress[progress.length - 1]!.fraction).toBeCloseTo(1, 6), { timeout: 60_000 });
    const r = await rr.rank(c0.query, c0.passages, { config: c0.config });
    for (const x of r.results) expect(Math.abs(x.score - c0.scores[x.index]!)).toBeLessThan(1e-3);
    // hybrid options cross the worker; the model's own score comes back next to the fused one
    const first = c0.passages.map((_, i) => i);
    const h = await rr.rank(c0.query, c0.passages, { config: c0.config, firstStageScores: first, fusionWeight: 2 });
    expect(h.fusionWeight).toBe(2);
    const want = fuseScores(c0.scores, first, 2);
    for (const x of h.results) {
      expect(Math.abs(x.modelScore! - c0.scores[x.index]!)).toBeLessThan(1e-3);
      expect(Math.abs(x.score - want[x.index]!)).toBeLessThan(1e-2);
    }
  });

  it('revives named errors with their messages', async () => {
    const e1 = await rr.rank('q', ['a'], { config: 'nope' }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ConfigError);
    expect((e1 as Error).message).toMatch(/valid names/);
    await expect(rr.rank('', ['a'])).rejects.toBeInstanceOf(InputError);
  });

  it('queues concurrent calls and forwards onStage callbacks', async () => {
    const stages: number[] = [];
    const [a, b] = await Promise.all([
      rr.rank(c0.query, c0.passages, { config: 'd2' }),
      rr.rankProgressive(c0.query, c0.passages, { stages: [{ depth: 2, keep: 2 }, { depth: 3 }], onStage: (s) => { stages.push(s); } }),
    ]);
    expect(a.results).toHaveLength(4);
    expect(b.stages.map((s) => s.scored)).toEqual([4, 2]);
    expect(stages).toEqual([0, 1]);
  });

  it('aborts: pre-aborted and mid-call', async () => {
    const pre = new AbortController();
    pre.abort();
    await expect(rr.rank('q', ['a'], { signal: pre.signal })).rejects.toBeInstanceOf(AbortError);
    const ctl = new AbortController();
    const p = rr.rank('q', Array.from({ length: 3000 }, (_, i) => `passage ${i}`), { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 20);
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect((await rr.rank('q', ['a'])).results).toHaveLength(1);
  });

  it('a crashed worker rejects pending calls and the next call re-spawns', async () => {
    const before = workers.length;
    const p = rr.rank('q', Array.from({ length: 500 }, (_, i) => `passage ${i}`));
    const p2 = rr.rank('q', ['queued']);
    await new Promise((r) => setTimeout(r, 10));
    workers[workers.length - 1]!.crash('out of memory');
    await expect(p).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(p2).rejects.toThrow(/worker crashed \(out of memory\).*next call starts a new worker/);
    expect(workers[before - 1]!.terminated).toBe(true);
    const r = await rr.rank(c0.query, c0.passages);
    expect(r.results).toHaveLength(4);
    expect(workers.length).toBe(before + 1);
  });

  it('a lost GPU device rejects pending calls with DeviceLostError and recovers', async () => {
    const before = workers.length;
    const p = rr.rank('q', Array.from({ length: 500 }, (_, i) => `passage ${i}`));
    await new Promise((r) => setTimeout(r, 10));
    workers[workers.length - 1]!.loseDevice();
    await expect(p).rejects.toBeInstanceOf(DeviceLostError);
    expect((await rr.rank('q', ['a'])).results).toHaveLength(1);
    expect(workers.length).toBe(before + 1);
  });

  it('load errors reject start() and leave no worker behind', async () => {
    const made: FakeWorker[] = [];
    const bad = new WorkerReranker({ model: '/nonexistent', backend: 'wasm', createWorker: () => { const w = new FakeWorker(); made.push(w); return w; } });
    await expect(bad.start()).rejects.toThrow(/manifest\.json.*file not found/);
    expect(made[0]!.terminated).toBe(true);
    expect(() => new WorkerReranker({ backend: 'wasm' })).toThrow(/option "model" must be provided/);
  });

  it('dispose rejects later calls', async () => {
    const w = new WorkerReranker({ model: TINY, backend: 'wasm', numThreads: 1, createWorker: () => new FakeWorker() });
    await w.start();
    await w.dispose();
    await expect(w.rank('q', ['a'])).rejects.toBeInstanceOf(DisposedError);
  });
});

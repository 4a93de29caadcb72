/**
 * Model parity: for every golden case, the runtime's scores (WASM, Node) match PyTorch within
 * the file's tolerance. A control run with zeroed adapters must fail the same check, so the
 * test can tell a working adapter path from a silently ignored one.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine';
import { BundleError } from '../src/errors';
import { buildSafetensors, parseSafetensors } from '../src/safetensors';
import { readJson, TINY, tinyGolden, type Golden } from './helpers';

const golden: Golden = tinyGolden();

async function maxDiff(engine: Engine, c: Golden['cases'][number]): Promise<number> {
  const r = await engine.rank(c.query, c.passages, { config: c.config });
  expect(r.results).toHaveLength(c.passages.length);
  return Math.max(...r.results.map((x) => Math.abs(x.score - c.scores[x.index]!)));
}

describe('golden parity (WASM)', () => {
  let engine: Engine;
  beforeAll(async () => { engine = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 1 }); });
  afterAll(() => engine?.dispose());

  it(`every case within tolerance ${golden.tolerance}`, async () => {
    let worst = 0;
    for (const c of golden.cases) {
      const d = await maxDiff(engine, c);
      expect(d, JSON.stringify(c.config)).toBeLessThan(golden.tolerance);
      worst = Math.max(worst, d);
    }
    console.log(`parity: ${golden.cases.length} cases, max abs diff ${worst.toExponential(2)}`);
  });

  it('batch composition does not change scores (batchSize 1 vs default)', async () => {
    const one = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 1, batchSize: 1 });
    try {
      const c = golden.cases.find((x) => x.config.compress)!;
      expect(await maxDiff(one, c)).toBeLessThan(golden.tolerance);
    } finally {
      await one.dispose();
    }
  });
});

describe('control: zeroed adapters must break parity', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mrr-zero-'));
    cpSync(TINY, dir, { recursive: true });
    const t = parseSafetensors(new Uint8Array(readFileSync(join(TINY, 'adapters.safetensors'))), 'a');
    const zeros = Object.fromEntries([...t].map(([k, v]) => [k, { shape: v.shape, data: new Float32Array(v.data.length) }]));
    writeFileSync(join(dir, 'adapters.safetensors'), buildSafetensors(zeros));
    // a consistent files table, so that only the canary stands between these adapters and a call
    execFileSync(process.execPath, ['scripts/hash-bundle.mjs', dir]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the load-time canary (golden rows) refuses the bundle', async () => {
    // progressiveLoad: false: createReranker waits for the canary and rejects
    const err = await Engine.create({ model: dir, backend: 'wasm', numThreads: 1, progressiveLoad: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect(String(err)).toMatch(/fails its load-time canary on wasm: configuration d4-c2-r\d.*\|diff\| [\d.e-]+ > 0\.001/);
    // progressive loading (default): the canary runs once every layer is in; then loaded() and every call refuse the bundle
    const early = await Engine.create({ model: dir, backend: 'wasm', numThreads: 1 });
    try {
      const late = await early.loaded().catch((e: unknown) => e);
      expect(late).toBeInstanceOf(BundleError);
      expect(String(late)).toMatch(/fails its load-time canary on wasm: configuration d4-c2-r\d/);
      await expect(early.rank('q', ['p'], { config: 'd2' })).rejects.toBe(late);
    } finally {
      await early.dispose();
    }
  });
});

/** The trained model, when it has been exported (models/ is written by the trainer). */
const REAL = 'models/minilm-l6-scifact';
describe.skipIf(!existsSync(`${REAL}/golden.json`))(`golden parity on ${REAL} (WASM)`, () => {
  it('every case within tolerance', async () => {
    const g = readJson(`${REAL}/golden.json`) as Golden;
    const engine = await Engine.create({ model: REAL, backend: 'wasm', numThreads: 1 });
    try {
      let worst = 0;
      for (const c of g.cases) {
        const d = await maxDiff(engine, c);
        expect(d, JSON.stringify(c.config)).toBeLessThan(g.tolerance);
        worst = Math.max(worst, d);
      }
      console.log(`parity ${REAL}: ${g.cases.length} cases, max abs diff ${worst.toExponential(2)}`);
    } finally {
      await engine.dispose();
    }
  }, 300_000);
});

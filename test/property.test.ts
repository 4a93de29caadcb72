/**
 * Property-based (fast-check): random strings, arrays and options thrown at `rank` and
 * `rankProgressive` of the tiny fixture. Every call either fails with a named error of the
 * caller's fault (OptionsError, ConfigError, InputError) or returns one finite score per passage
 * with indices a permutation of the passages (the best `topK` of them when asked), within a
 * bounded time.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReranker } from '../src/index';
import type { Engine } from '../src/engine';
import { MatryoshkaError } from '../src/errors';
import type { RankedPassage } from '../src/types';
import { TINY, tinyManifest } from './helpers';

const CASE_TIMEOUT_MS = 30_000;
const CALLER_ERRORS = ['OptionsError', 'ConfigError', 'InputError'];

let rr: Engine;
beforeAll(async () => {
  rr = await createReranker({ model: TINY, backend: 'wasm', numThreads: 1 });
}, 120_000);
afterAll(async () => {
  await rr.dispose();
});

const names = tinyManifest().configurations.map((c) => c.name);

// Text of any script: full Unicode, lone surrogates, whitespace-free runs, and now and then long.
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '漢', '/', ' ', '😀', '\u0301', 'ab+/='), fc.integer({ min: 1, max: 6000 })).map(([s, k]) => s.repeat(k)) },
);
const odd = fc.oneof(fc.constant(null), fc.constant(undefined), fc.integer(), fc.double(), fc.boolean(), fc.object({ maxDepth: 1 }), fc.constant([]));
const query = fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: odd });
const passages = fc.oneof(
  { weight: 8, arbitrary: fc.array(text, { maxLength: 12 }) },
  { weight: 1, arbitrary: fc.array(fc.oneof(text, odd), { minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: odd },
);
const number = fc.oneof(fc.integer({ min: -3, max: 20 }), fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 0, -0));
const compress = fc.oneof(
  fc.constant(null),
  fc.record({ layers: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }), ratio: fc.constantFrom(1, 2, 3, 4, 8, 16), mode: fc.constantFrom('attention', 'mean', 'max', undefined) }, { requiredKeys: [] }),
  odd,
);
/** Mostly absent (so that some calls get through), sometimes `arb`. */
const rarely = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const mostlyValid = <T, U>(valid: fc.Arbitrary<T>, any: fc.Arbitrary<U>) => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: any });
const config = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...names) },
  { weight: 1, arbitrary: fc.constantFrom('d9', '') },
  { weight: 2, arbitrary: fc.record({ depth: mostlyValid(fc.constantFrom(2, 3, 4), number), compress }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: odd },
);
const topK = mostlyValid(fc.integer({ min: 1, max: 20 }), number);
const rankOptions = fc.oneof(
  { weight: 8, arbitrary: fc.record({ config: rarely(config), topK: rarely(topK), budgetMs: rarely(number), firstStageScores: rarely(fc.array(fc.double(), { maxLength: 12 })), fusionWeight: rarely(number) }) },
  { weight: 1, arbitrary: odd },
);
const stage = fc.record({ depth: mostlyValid(fc.constantFrom(2, 3, 4), number), keep: mostlyValid(fc.integer({ min: 1, max: 8 }), number) }, { requiredKeys: [] });
const stages = fc.oneof(
  { weight: 4, arbitrary: fc.subarray([2, 3, 4], { minLength: 1 }).chain((ds) => fc.tuple(...ds.map((d) => fc.integer({ min: 1, max: 8 }).map((keep) => ({ depth: d, keep }))))) },
  { weight: 3, arbitrary: fc.array(stage, { maxLength: 4 }) },
  { weight: 1, arbitrary: odd },
);
const progressiveOptions = fc.oneof(
  { weight: 8, arbitrary: fc.record({ stages, compress: rarely(compress), topK: rarely(topK) }) },
  { weight: 1, arbitrary: fc.record({ stages: fc.array(stage, { maxLength: 3 }), firstStageScores: fc.array(fc.double(), { maxLength: 3 }), config }, { requiredKeys: ['stages'] }) },
  { weight: 1, arbitrary: odd },
);

function withTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`hang: no answer in ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS))]);
}

const tally = { ok: 0, errors: 0 };

/** The call's outcome must be a caller's named error or a well-formed ranking. */
async function check(call: () => Promise<{ results: RankedPassage[] }>, input: unknown[], topK: unknown): Promise<void> {
  let out: { results: RankedPassage[] };
  try {
    out = await withTimeout(call());
    tally.ok++;
  } catch (e) {
    tally.errors++;
    expect(e, String(e)).toBeInstanceOf(MatryoshkaError);
    expect(CALLER_ERRORS, String(e)).toContain((e as Error).name);
    expect((e as Error).message).toMatch(/^MatryoshkaReranker: /);
    return;
  }
  const n = input.length;
  const want = typeof topK === 'number' ? Math.min(topK, n) : n;
  expect(out.results).toHaveLength(want);
  const idx = out.results.map((r) => r.index);
  expect(new Set(idx).size).toBe(idx.length);
  for (const r of out.results) {
    expect(Number.isInteger(r.index) && r.index >= 0 && r.index < n).toBe(true);
    expect(Number.isFinite(r.score)).toBe(true);
  }
  if (want === n) expect([...idx].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
}

/** Each public ranking call, with the options arbitrary that fits it. */
const calls: [string, fc.Arbitrary<unknown>, (q: string, ps: string[], opts: unknown) => Promise<{ results: RankedPassage[] }>][] = [
  ['rank', rankOptions, (q, ps, opts) => rr.rank(q, ps, opts as never)],
  ['rankProgressive', progressiveOptions, (q, ps, opts) => rr.rankProgressive(q, ps, opts as never)],
];

describe('property: any input gives a named error or one finite score per passage, no hang', () => {
  for (const [name, options, call] of calls) {
    it(name, async () => {
      Object.assign(tally, { ok: 0, errors: 0 });
      await fc.assert(
        fc.asyncProperty(query, passages, options, async (q, ps, opts) => {
          const topK = typeof opts === 'object' && opts !== null ? (opts as { topK?: unknown }).topK : undefined;
          await check(() => call(q as string, ps as string[], opts), Array.isArray(ps) ? ps : [], topK);
        }),
        { numRuns: 120, interruptAfterTimeLimit: 240_000 },
      );
      console.log(`property ${name}: ${tally.ok} rankings, ${tally.errors} named errors`);
      // not vacuous: a fair share of the random calls gets through to the model
      expect(tally.ok, JSON.stringify(tally)).toBeGreaterThan(20);
    }, 300_000);
  }
});

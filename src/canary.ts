/**
 * The load-time canary: a few rows of the bundle's golden.json are tokenized and scored on the
 * chosen backend, and must match the trainer's PyTorch scores within the golden tolerance
 * (at most 1e-3). It catches what file hashes cannot: graphs listed in the wrong order, a
 * manifest that does not describe its graphs, a backend that computes wrongly. It must stay
 * cheap (under 10% of the load), so it runs one row (the shortest) of two cases that between
 * them run every LoRA graph, the compress graph, the embeddings and both adapter kinds: a
 * compressed full-depth configuration (plain layer 1, LoRA graphs 2..N with `h<r>`) and the
 * shallowest exit (LoRA graphs from layer 1 with `vertical`). The plain twins of layers 2..N
 * share their weights file with the LoRA graphs that run, and their bytes are hashed.
 * An int8 bundle is checked against the scores of what its graphs compute on this backend
 * (src/layer-graphs.ts): its int8 scores on WASM, the float `scores` for its dequantized twins on WebGPU.
 */
import { configName, resolveConfig, type ResolvedConfig } from './config';
import { BundleError, ConfigError } from './errors';
import type { Forward } from './forward';
import { type LayerGraphs, layerGraphs } from './layer-graphs';
import type { Manifest } from './manifest';
import { type LayerStep, plan } from './plan';
import { scoreRows } from './scoring';
import type { RowTokenizer } from './tokenize';
import type { RerankConfig, ResolvedBackend } from './types';

interface GoldenCase {
  config: RerankConfig;
  query: string;
  passages: string[];
  inputIds: number[][];
  scores: number[];
  /** The trainer's plan of `config` (optional: bundles exported before plans have none). */
  plan?: unknown;
}

/** Rows per chosen case (the shortest ones: the canary must stay cheap). */
const ROWS_PER_CASE = 1;
const MAX_TOLERANCE = 1e-3;
/**
 * int8 bundles: the graphs round activations to 8 bits per batch at run time; golden.json's int8
 * scores simulate that one row per batch (as the canary runs), but a value on a rounding boundary
 * can land on either side and the flip compounds over the layers, so the file's
 * `precisions.int8.tolerance` is looser than float's; capped here (still far below what a damaged
 * or misordered graph gives).
 */
const MAX_INT8_TOLERANCE = 0.1;

export interface CanaryReport {
  rows: number;
  cases: string[];
  worstDiff: number;
  ms: number;
}

/** `compute`: what the layer graphs that run compute (src/layer-graphs.ts): int8 graphs are checked against the int8 scores. */
function parseGolden(json: unknown, file: string, compute: LayerGraphs['compute'] = 'float'): { tolerance: number; cases: GoldenCase[] } {
  const bad = (what: string): never => {
    throw new BundleError(`MatryoshkaReranker: ${file}: ${what} (docs/bundle-format.md, "golden.json"); re-export the bundle with the trainer`);
  };
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { cases?: unknown }).cases)) return bad('must be an object with a "cases" array');
  const { tolerance, cases } = json as { tolerance?: unknown; cases: unknown[] };
  cases.forEach((c, i) => {
    const k = c as Partial<GoldenCase>;
    if (typeof c !== 'object' || c === null || typeof k.query !== 'string' || !Array.isArray(k.passages) ||
        !Array.isArray(k.inputIds) || !Array.isArray(k.scores) || k.passages.length !== k.scores.length ||
        k.inputIds.length !== k.scores.length || typeof k.config !== 'object' || k.config === null) {
      bad(`cases[${i}] must have config, query, passages, inputIds and scores (one per passage)`);
    }
    if (k.plan !== undefined && !Array.isArray(k.plan)) bad(`cases[${i}].plan must be an array of layer steps`);
  });
  if (cases.length === 0) bad('"cases" is empty');
  if (compute === 'int8') return int8Golden(json as { precisions?: unknown }, cases as GoldenCase[], bad);
  const tol = typeof tolerance === 'number' && tolerance > 0 ? Math.min(tolerance, MAX_TOLERANCE) : MAX_TOLERANCE;
  return { tolerance: tol, cases: cases as GoldenCase[] };
}

/** An int8 bundle's golden rows: `scoresByPrecision.int8` of every case, within `precisions.int8.tolerance`. */
function int8Golden(json: { precisions?: unknown }, cases: GoldenCase[], bad: (what: string) => never): { tolerance: number; cases: GoldenCase[] } {
  const p = json.precisions as { int8?: { tolerance?: unknown } } | undefined;
  const tolerance = p?.int8?.tolerance;
  if (typeof tolerance !== 'number' || !(tolerance > 0)) bad('manifest.json says "precision": "int8" but "precisions.int8.tolerance" is not a number > 0');
  return {
    tolerance: Math.min(tolerance as number, MAX_INT8_TOLERANCE),
    cases: cases.map((c, i) => {
      const s = (c as GoldenCase & { scoresByPrecision?: { int8?: unknown } }).scoresByPrecision?.int8;
      if (!Array.isArray(s) || s.length !== c.scores.length || s.some((x) => typeof x !== 'number')) {
        bad(`cases[${i}].scoresByPrecision.int8 must hold one number per passage (the bundle is int8)`);
      }
      return { ...c, scores: s as number[] };
    }),
  };
}

/** Choose the cases that together run every graph of the bundle. */
function chooseCases(cases: GoldenCase[], m: Manifest): { c: GoldenCase; i: number; cfg: ResolvedConfig }[] {
  const n = m.architecture.numLayers;
  const resolved = cases.map((c, i) => {
    let cfg: ResolvedConfig;
    try {
      cfg = resolveConfig(c.config, m);
    } catch (e) {
      if (e instanceof ConfigError) {
        throw new BundleError(`MatryoshkaReranker: ${m.golden} cases[${i}] has a configuration this manifest cannot run (${e.message.replace(/^MatryoshkaReranker: /, '')}): manifest.json and ${m.golden} do not belong together; re-export the bundle`);
      }
      throw e;
    }
    const ours = plan(cfg, m);
    if (c.plan !== undefined && !samePlan(c.plan, ours)) {
      throw new BundleError(`MatryoshkaReranker: ${m.golden} cases[${i}] plans configuration ${configName(cfg)} as ${JSON.stringify(c.plan)}, this runtime as ${JSON.stringify(ours)}: the trainer that made the bundle and this runtime disagree on what runs at each layer (docs/bundle-format.md, "Configurations"); re-export the bundle or update the runtime`);
    }
    return { c, i, cfg };
  });
  const shortest = (r: (typeof resolved)[number]) => Math.min(...r.c.inputIds.map((ids) => ids.length));
  const best = (list: typeof resolved, key: (r: (typeof resolved)[number]) => number) => [...list].sort((a, b) => key(a) - key(b) || shortest(a) - shortest(b))[0];
  const full = best(resolved.filter((r) => r.cfg.depth === n && r.cfg.compress), (r) => r.cfg.compress!.layers[0]!) ??
    best(resolved.filter((r) => r.cfg.depth === n), () => 0);
  const shallow = best(resolved.filter((r) => r.cfg.depth < n && !r.cfg.compress), (r) => r.cfg.depth) ??
    best(resolved.filter((r) => r.cfg.depth < n), (r) => r.cfg.depth);
  const picks = [full ?? shallow].filter((r): r is (typeof resolved)[number] => r !== undefined);
  return picks.length ? picks : [resolved[0]!];
}

/** Whether a golden case's `plan` (parsed JSON) lists the same steps as `ours`. */
function samePlan(theirs: unknown, ours: readonly LayerStep[]): boolean {
  const key = (s: LayerStep) => JSON.stringify([s.layer, s.compress?.ratio ?? null, s.compress?.mode ?? null, s.adapters, s.exits]);
  return Array.isArray(theirs) && theirs.length === ours.length &&
    theirs.every((t: unknown, i) => typeof t === 'object' && t !== null && key(t as LayerStep) === key(ours[i]!));
}

/** Graph files a configuration runs on `backend` (for the error message). */
function filesOf(cfg: ResolvedConfig, m: Manifest, backend: ResolvedBackend): string[] {
  const g = m.graphs;
  const lg = layerGraphs(m, backend);
  const out = [g.embeddings];
  for (const { layer, adapters } of plan(cfg, m)) {
    const plain = adapters.length === 0 && lg.plainLayers;
    out.push(plain ? lg.plainLayers![layer - 1]! : lg.layers[layer - 1]!);
    if (g.layerWeights) out.push(g.layerWeights[layer - 1]!);
  }
  if (cfg.compress) out.push(g.compress, m.adapters.file);
  else if (cfg.depth < m.architecture.numLayers) out.push(m.adapters.file);
  return out;
}

/** Run the canary; throws BundleError when a row differs from golden.json. */
export async function runCanary(forward: Forward, tokenizer: RowTokenizer, m: Manifest, golden: unknown, backend: ResolvedBackend, location: string): Promise<CanaryReport> {
  const t0 = performance.now();
  const { tolerance, cases } = parseGolden(golden, m.golden, layerGraphs(m, backend).compute);
  let rows = 0;
  let worstDiff = 0;
  const names: string[] = [];
  for (const { c, i, cfg } of chooseCases(cases, m)) {
    const pick = c.inputIds.map((ids, k) => ({ k, len: ids.length })).sort((a, b) => a.len - b.len || a.k - b.k).slice(0, ROWS_PER_CASE).map((x) => x.k);
    const { rows: tok } = tokenizer.rows(c.query, pick.map((k) => c.passages[k]!));
    tok.forEach((r, j) => {
      if (Array.from(r.ids).join() !== c.inputIds[pick[j]!]!.join()) {
        throw new BundleError(`MatryoshkaReranker: ${m.input.tokenizer} at ${location} does not tokenize ${m.golden} cases[${i}].passages[${pick[j]}] into its inputIds: the tokenizer files are damaged or belong to another model; re-export the bundle`);
      }
    });
    const scores = await scoreRows({ forward, limits: { batchSize: ROWS_PER_CASE, maxBatchTokens: 1 << 30 } }, tok, tok.map((_, j) => j), cfg);
    pick.forEach((k, j) => {
      const want = c.scores[k]!;
      const got = scores[j]!;
      const d = Math.abs(got - want);
      if (!(d <= tolerance)) {
        throw new BundleError(
          `MatryoshkaReranker: the bundle at ${location} fails its load-time canary on ${backend}: configuration ${configName(cfg)}, ` +
          `${m.golden} cases[${i}] passage ${k} scores ${got}, ${m.golden} says ${want} (|diff| ${d} > ${tolerance}). ` +
          `One of the files it ran is damaged, or manifest.json lists them wrongly: ${filesOf(cfg, m, backend).join(', ')}; re-export the bundle with the trainer`);
      }
      worstDiff = Math.max(worstDiff, d);
    });
    rows += pick.length;
    names.push(configName(cfg));
  }
  return { rows, cases: names, worstDiff, ms: performance.now() - t0 };
}

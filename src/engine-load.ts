/**
 * Starting an engine: choose the backend (src/backend-choice.ts), stream the bundle
 * (src/bundle.ts) into sessions built layer by layer (src/staged-sessions.ts), and, for `auto`
 * with a WebGPU adapter, run the canary and the timing probe (src/backend-measure.ts) before
 * trusting WebGPU. Resolves as soon as the shallowest exit can rank; the deeper layers keep
 * arriving. Progress is reported in bytes and by phase, with the backend from the first event.
 */
import { adapterLabel, type BackendChoice, resolveBackend } from './backend-choice';
import { configureOrt } from './backend';
import { canaryCases, DEFAULT_CANARY_TOLERANCE, type GoldenFile, probeRows, runCanary, timeProbe } from './backend-measure';
import { type DownloadProgress, type LoadedBundle, loadBundle, parseJson, readBundleJson } from './bundle';
import { resolveConfig } from './config';
import { BackendError, OptionsError } from './errors';
import { Forward } from './forward';
import { canRunLayers } from './layer-graphs';
import type { Manifest } from './manifest';
import type { ResolvedOptions } from './options';
import { FileStore, StagedSessions } from './staged-sessions';
import { RowTokenizer, type TokenizedRow } from './tokenize';
import type { BackendInfo, BackendMeasurement, LoadProgress } from './types';

export interface EngineParts {
  manifest: Manifest;
  /** Hash of manifest.json. */
  version: string;
  backendInfo: BackendInfo;
  staged: StagedSessions;
  tokenizer: RowTokenizer;
  /** The bundle: resolves once every file was read; its `verified` once every hash matched. */
  bundle: Promise<LoadedBundle>;
  /** Stop downloading (dispose). */
  abort(): void;
}

const limitsOf = (o: ResolvedOptions) => ({ batchSize: o.batchSize, maxBatchTokens: o.maxBatchTokens });

function checkTolerance(v: unknown): number {
  if (v === undefined) return DEFAULT_CANARY_TOLERANCE;
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) {
    throw new OptionsError(`MatryoshkaReranker: option "canaryTolerance" must be a finite number >= 0 (largest |score - golden score|), got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Start an engine. `explicitThreads`: the caller gave `numThreads` (else the thread count
 * already in effect in this realm is taken, if an engine set one: `configureOrt`).
 */
export async function startEngine(opts: ResolvedOptions, { explicitThreads = true }: { explicitThreads?: boolean } = {}): Promise<EngineParts> {
  const tolerance = checkTolerance(opts.canaryTolerance);
  if (opts.allowSoftwareAdapter !== undefined && typeof opts.allowSoftwareAdapter !== 'boolean') {
    throw new OptionsError(`MatryoshkaReranker: option "allowSoftwareAdapter" must be true or false, got ${JSON.stringify(opts.allowSoftwareAdapter)}`);
  }
  let choice = await resolveBackend(opts.backend, undefined, { allowSoftwareAdapter: opts.allowSoftwareAdapter ?? false });
  // onnxruntime's settings are process-wide: the first engine sets them, a later one must agree (OptionsError).
  const { numThreads } = configureOrt({ numThreads: explicitThreads ? opts.numThreads : undefined, wasmPaths: opts.wasmPaths }, opts.numThreads);
  const info = (c: BackendChoice, extra: Partial<BackendInfo> = {}): BackendInfo => ({
    backend: c.backend, reason: c.reason, ...(c.adapter ? { adapter: c.adapter } : {}), ...extra,
    ...((extra.backend ?? c.backend) === 'wasm' ? { threads: numThreads } : {}),
  });
  let backendInfo = info(choice);
  const files = new FileStore();
  const stop = new AbortController();
  let manifest: Manifest | null = null;
  let version = '';
  let download: DownloadProgress | null = null;
  let compiling = '';
  let current: StagedSessions | null = null;

  const emit = (): void => {
    if (!opts.onProgress || !manifest) return;
    const numLayers = manifest.architecture.numLayers;
    const layersReady = Math.max(0, current?.layersReady ?? 0);
    const loaded = download?.bundleLoadedBytes ?? 0;
    const total = download?.bundleTotalBytes ?? 0;
    const phase: LoadProgress['phase'] = layersReady >= numLayers ? 'ready' : total > 0 && loaded >= total ? 'compile' : 'download';
    opts.onProgress({
      phase, file: phase === 'compile' ? compiling : download?.file ?? 'manifest.json',
      loadedBytes: download?.loadedBytes ?? 0, totalBytes: download?.totalBytes ?? 0,
      bundleLoadedBytes: loaded, bundleTotalBytes: total, fraction: download?.fraction ?? 0, fromCache: download?.fromCache ?? false,
      layersReady, numLayers, backend: backendInfo.backend, backendReason: backendInfo.reason,
    });
  };
  const build = (backend: BackendInfo['backend']): StagedSessions => {
    const s: StagedSessions = new StagedSessions(files, manifest!, backend, {
      onCompile: (f) => { if (s === current) { compiling = f; emit(); } },
      onLayer: () => { if (s === current) emit(); },
    });
    return s;
  };

  let gotManifest!: () => void;
  const manifestArrived = new Promise<void>((resolve) => { gotManifest = resolve; });
  const bundle = loadBundle(opts.model, {
    cache: opts.cache, signal: stop.signal,
    // The first event comes with the first bytes (so its fromCache is known).
    onManifest: (m, v) => { manifest = m; version = v; gotManifest(); },
    // only files whose size and SHA-256 matched arrive here (src/bundle.ts)
    onFile: (f, b) => files.put(f, b),
    onProgress: (p) => { download = p; emit(); },
    ...(opts.onCacheError ? { onCacheError: opts.onCacheError } : {}),
  });
  bundle.then((b) => b.verified).catch((e: unknown) => files.fail(e));
  await Promise.race([manifestArrived, bundle]);
  const m = manifest as Manifest | null;
  if (!m) throw new RangeError('startEngine: the bundle loader finished without a manifest');
  if (!canRunLayers(m, choice.backend)) {
    // int8 layer graphs (MatMulInteger) run on WASM's integer kernels; WebGPU's are slow or missing,
    // and this bundle predates the dequantized twins WebGPU runs instead (src/layer-graphs.ts)
    if (!choice.measure) {
      stop.abort();
      const where = typeof opts.model === 'string' ? `at ${opts.model}` : `"${opts.model?.name ?? m.name}" (file map)`;
      throw new BackendError(`MatryoshkaReranker: the bundle ${where} is int8 (manifest "precision": "int8") without dequantized layer graphs (manifest "graphs.dequantized"), so it runs on WASM only; use backend "wasm" or "auto", or re-export it with the current trainer (mrr.export --precision int8 writes them) to run it on WebGPU`);
    }
    choice = { backend: 'wasm', reason: 'int8 bundle (manifest "precision") without dequantized layer graphs ("graphs.dequantized"): its integer kernels run on WASM', measure: false };
    backendInfo = info(choice);
  }
  current = build(choice.backend);
  const minExit = Math.min(...m.exits);
  try {
    if (choice.measure) {
      const picked = await measure(opts, m, files, current, choice, minExit, tolerance, build);
      current = picked.staged;
      backendInfo = info(choice, { backend: picked.staged.backend, reason: picked.reason, measurement: picked.measurement });
      emit();
    }
    await current.whenLayers(opts.progressiveLoad ? minExit : m.architecture.numLayers);
    const tokenizer = new RowTokenizer(
      parseJson(await files.get(m.input.tokenizer), m.input.tokenizer),
      parseJson(await files.get(m.input.tokenizerConfig), m.input.tokenizerConfig), m);
    return { manifest: m, version, backendInfo, staged: current, tokenizer, bundle, abort: () => stop.abort() };
  } catch (e) {
    stop.abort();
    await current.dispose();
    throw e;
  }
}

/** Synthetic rows (a 12-token query, passages of about 100 tokens) when the bundle has no golden file. */
function syntheticRows(m: Manifest, count: number): TokenizedRow[] {
  const { clsTokenId: cls, sepTokenId: sep } = m.input;
  const q = 12;
  const p = Math.min(100, m.input.maxPassageTokens);
  const ids = Int32Array.from([cls, ...Array.from({ length: q }, (_, i) => 2000 + i), sep, ...Array.from({ length: p }, (_, i) => 3000 + (i % 500)), sep]);
  return Array.from({ length: count }, () => ({ ids, qLen: q, pLen: p, truncated: false }));
}

/** `auto` with a WebGPU adapter: canary, then WebGPU against WASM on one probe; the loser is released. */
async function measure(
  opts: ResolvedOptions, m: Manifest, files: FileStore, gpu: StagedSessions, choice: BackendChoice, depth: number, tolerance: number,
  build: (backend: BackendInfo['backend']) => StagedSessions,
): Promise<{ staged: StagedSessions; reason: string; measurement: BackendMeasurement }> {
  const adapter = choice.adapter ? adapterLabel(choice.adapter) : 'WebGPU adapter';
  const limits = limitsOf(opts);
  const golden = m.golden ? ((await readBundleJson(opts.model, m.golden).catch(() => null)) as GoldenFile | null) : null;
  const cases = golden ? canaryCases(golden, m, depth) : [];
  try {
    await gpu.whenLayers(depth);
  } catch (e) {
    if (!(e instanceof BackendError)) throw e;
    return { staged: build('wasm'), reason: `WebGPU could not run this bundle on ${adapter} (${e.message}): using WASM`, measurement: {} };
  }
  const gpuForward = new Forward(gpu.sessions, m, gpu.adapters);
  const measurement: BackendMeasurement = {};
  const toWasm = async (reason: string): Promise<{ staged: StagedSessions; reason: string; measurement: BackendMeasurement }> => {
    await gpu.dispose();
    return { staged: build('wasm'), reason, measurement };
  };
  if (cases.length) {
    try {
      measurement.canary = await runCanary(gpuForward, cases, tolerance, limits);
    } catch (e) {
      return toWasm(`WebGPU failed the canary on ${adapter} (${(e as Error).message}): using WASM`);
    }
    const c = measurement.canary;
    if (!c.passed) {
      return toWasm(`WebGPU canary mismatch on ${adapter}: max |score - golden| = ${c.maxAbsDiff.toPrecision(3)} over ${c.rows} golden rows (tolerance ${c.tolerance}): using WASM`);
    }
  }
  const rows = cases.length ? probeRows(cases, limits.batchSize) : syntheticRows(m, limits.batchSize);
  const cfg = resolveConfig({ depth, compress: null }, m);
  measurement.probe = `${rows.length} ${cases.length ? 'golden' : 'synthetic'} rows at d${depth}`;
  try {
    measurement.webgpuMs = await timeProbe(gpuForward, rows, cfg, limits);
  } catch (e) {
    return toWasm(`WebGPU failed the timing probe on ${adapter} (${(e as Error).message}): using WASM`);
  }
  const wasm = build('wasm');
  try {
    await wasm.whenLayers(depth);
    measurement.wasmMs = await timeProbe(new Forward(wasm.sessions, m, wasm.adapters), rows, cfg, limits);
  } catch (e) {
    await wasm.dispose();
    throw e;
  }
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  const verdict = `${measurement.probe}: WebGPU (${adapter}) ${ms(measurement.webgpuMs)}, WASM ${ms(measurement.wasmMs)}`;
  const canary = measurement.canary ? `, canary passed (max |score - golden| ${measurement.canary.maxAbsDiff.toPrecision(2)})` : ', no golden rows to check';
  if (measurement.webgpuMs <= measurement.wasmMs) {
    await wasm.dispose();
    return { staged: gpu, reason: `measured faster: ${verdict}${canary}`, measurement };
  }
  await gpu.dispose();
  return { staged: wasm, reason: `measured: WASM faster than WebGPU: ${verdict}${canary}`, measurement };
}

/**
 * Bundle loading (docs/bundle-format.md): manifest.json first, then every file it lists, from
 * a URL (fetch, cached with the Cache API in browsers) or a local folder (Node fs). Reports
 * progress per file and names the file in every error.
 */
import { cacheGet, cacheKey, cachePut, hashText, openCache, pruneVersions } from './cache';
import { AbortError, BundleError, throwIfAborted } from './errors';
import { type Manifest, parseManifest } from './manifest';
import { parseSafetensors, type Float32Tensor } from './safetensors';
import type { LoadProgress } from './types';

export interface LoadedBundle {
  /** Where it came from (URL or absolute path), for messages. */
  location: string;
  manifest: Manifest;
  tokenizerJson: unknown;
  tokenizerConfig: unknown;
  graphs: {
    embeddings: Uint8Array; layers: Uint8Array[]; compress: Uint8Array;
    /** LoRA-free twins of `layers`, when the bundle has them. */
    plainLayers?: Uint8Array[];
    /** External-data file of each layer (graphs.layerWeights), when the bundle has them. */
    layerWeights?: Uint8Array[];
  };
  adapters: Map<string, Float32Tensor>;
}

/** Download progress of one bundle (the engine adds the phase and the backend: `LoadProgress`). */
export type DownloadProgress = Pick<LoadProgress, 'file' | 'loadedBytes' | 'totalBytes' | 'bundleLoadedBytes' | 'bundleTotalBytes' | 'fraction' | 'fromCache'>;

export interface LoadOptions {
  cache?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  /** Called once manifest.json is parsed, before any other file (`version`: its hash). */
  onManifest?: (manifest: Manifest, version: string) => void;
  /** Called as each file has fully arrived, in `bundleFiles` order (progressive loading). */
  onFile?: (file: string, bytes: Uint8Array) => void;
  signal?: AbortSignal;
  /** Replace `fetch` (tests, custom auth). */
  fetch?: typeof fetch;
}

/** A bundle file whose transfer has started: its size is known before its bytes. */
export interface OpenedFile {
  /** Size in bytes (0 when the server does not say). */
  size: number;
  fromCache: boolean;
  read(onBytes: (loaded: number, total: number, fromCache: boolean) => void): Promise<Uint8Array>;
}

/** Reads one bundle file, reporting bytes as they arrive. */
export interface BundleSource {
  location: string;
  read(file: string, onBytes: (loaded: number, total: number, fromCache: boolean) => void): Promise<Uint8Array>;
  /** Start the transfer of `file` (sizes of every file are then known before the first body). */
  open(file: string, signal?: AbortSignal): Promise<OpenedFile>;
  /** Called after every file was read (drops cached files of older bundle versions). */
  done?(): Promise<void>;
}

const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const isUrl = (s: string): boolean => /^(https?|blob|data):/i.test(s);

/** Pick the source for `model`: URL -> fetch; `file:` URL or plain path in Node -> fs. */
export async function openSource(model: string, opts: LoadOptions, version?: string): Promise<BundleSource> {
  if (!isUrl(model) && isNode()) {
    let dir = model;
    if (/^file:/i.test(model)) {
      const { fileURLToPath } = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:url');
      dir = fileURLToPath(model);
    }
    return fsSource(dir);
  }
  const base = new URL(model.endsWith('/') ? model : `${model}/`, typeof location !== 'undefined' ? location.href : undefined);
  const useCache = opts.cache !== false && version !== undefined;
  return fetchSource(base.href, opts.fetch ?? fetch, useCache ? await openCache() : null, version ?? '');
}

async function fsSource(dir: string): Promise<BundleSource> {
  const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs/promises');
  const path = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:path');
  const root = path.resolve(dir);
  const fail = (file: string, full: string, e: unknown): never => {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'file not found' : (e as Error).message;
    throw new BundleError(`MatryoshkaReranker: cannot read bundle file ${file} at ${full} (${why}); check that option "model" points to a bundle folder that contains every file listed in manifest.json`);
  };
  const read = async (file: string, onBytes: (loaded: number, total: number, fromCache: boolean) => void): Promise<Uint8Array> => {
    const full = path.join(root, file);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await fs.readFile(full));
    } catch (e) {
      return fail(file, full, e);
    }
    onBytes(bytes.byteLength, bytes.byteLength, false);
    return bytes;
  };
  return {
    location: root,
    read,
    async open(file) {
      const full = path.join(root, file);
      const size = await fs.stat(full).then((st) => st.size, (e: unknown) => fail(file, full, e));
      return { size, fromCache: false, read: (onBytes) => read(file, onBytes) };
    },
  };
}

function fetchSource(base: string, fetchFn: typeof fetch, cache: Cache | null, version: string): BundleSource {
  const open = async (file: string, signal?: AbortSignal): Promise<OpenedFile> => {
    const url = new URL(file, base).href;
    const key = cacheKey(url, version);
    const hit = await cacheGet(cache, key);
    if (hit) {
      const size = Number(hit.headers.get('content-length') ?? 0);
      return {
        size, fromCache: true,
        async read(onBytes) {
          const bytes = new Uint8Array(await hit.arrayBuffer());
          onBytes(bytes.byteLength, bytes.byteLength, true);
          return bytes;
        },
      };
    }
    let res: Response;
    try {
      res = await fetchFn(url, signal ? { signal } : undefined);
    } catch (e) {
      if (signal?.aborted) throw new AbortError('MatryoshkaReranker: loading the bundle was aborted');
      throw new BundleError(`MatryoshkaReranker: cannot fetch bundle file ${file} from ${url} (${(e as Error).message}); check option "model" and that the server is reachable`, { cause: e });
    }
    if (!res.ok) {
      throw new BundleError(`MatryoshkaReranker: bundle file ${file} not found at ${url} (HTTP ${res.status}); check that option "model" is the bundle folder URL and that it contains every file listed in manifest.json`);
    }
    return {
      size: Number(res.headers.get('content-length') ?? 0), fromCache: false,
      async read(onBytes) {
        const bytes = await readBody(res, (n, total) => onBytes(n, total, false));
        await cachePut(cache, key, bytes);
        return bytes;
      },
    };
  };
  return {
    location: base,
    open,
    async read(file, onBytes) {
      return (await open(file)).read(onBytes);
    },
    done: () => pruneVersions(cache, base, version),
  };
}

async function readBody(res: Response, onBytes: (loaded: number, total: number) => void): Promise<Uint8Array> {
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    onBytes(bytes.byteLength, bytes.byteLength);
    return bytes;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onBytes(loaded, Math.max(total, loaded));
  }
  const out = new Uint8Array(loaded);
  let p = 0;
  for (const c of chunks) { out.set(c, p); p += c.byteLength; }
  onBytes(loaded, loaded);
  return out;
}

export function parseJson(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new BundleError(`MatryoshkaReranker: bundle file ${file} is not valid JSON (${(e as Error).message}); re-export the bundle with the trainer`);
  }
}

/**
 * The files the runtime needs, in the order they are fetched: what every configuration needs
 * first (tokenizer, embeddings, compression, adapters), then layer by layer (its weights, its
 * graph, its LoRA-free twin), so the shallow exits can rank before the deep layers arrive.
 */
export function bundleFiles(manifest: Manifest): string[] {
  const g = manifest.graphs;
  const perLayer = g.layers.flatMap((layer, i) => [g.layerWeights?.[i], layer, g.plainLayers?.[i]].filter((f): f is string => !!f));
  return [manifest.input.tokenizer, manifest.input.tokenizerConfig, g.embeddings, g.compress, manifest.adapters.file, ...perLayer];
}

/**
 * Load every file the runtime needs. All transfers start at once (so every size is known and
 * progress `fraction` counts bytes); bodies are read in `bundleFiles` order.
 */
export async function loadBundle(model: string, opts: LoadOptions = {}): Promise<LoadedBundle> {
  // manifest.json is always read fresh: its hash versions the cached copies of the other files.
  const plain = await openSource(model, { ...opts, cache: false });
  const manifestBytes = await plain.read('manifest.json', () => {});
  const manifestText = new TextDecoder().decode(manifestBytes);
  const manifest = parseManifest(parseJson(manifestBytes, 'manifest.json'));
  const version = hashText(manifestText);
  opts.onManifest?.(manifest, version);
  const source = await openSource(model, opts, version);

  const g = manifest.graphs;
  const files = bundleFiles(manifest);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const bytes = new Map<string, Uint8Array>();
  try {
    const opened = files.map((f) => source.open(f, stop.signal));
    opened.forEach((p) => p.catch(() => {})); // awaited below, in order
    const sizes: number[] = [];
    for (const p of opened) sizes.push((await p).size);
    const bundleTotal = sizes.reduce((a, b) => a + b, 0);
    let done = 0;
    for (let i = 0; i < files.length; i++) {
      throwIfAborted(opts.signal);
      const file = files[i]!;
      const data = await (await opened[i]!).read((loaded, total, fromCache) => {
        const sofar = done + loaded;
        const whole = Math.max(bundleTotal, sofar);
        opts.onProgress?.({
          file, loadedBytes: loaded, totalBytes: total, bundleLoadedBytes: sofar, bundleTotalBytes: whole,
          fraction: whole > 0 ? sofar / whole : (i + 1) / files.length, fromCache,
        });
      });
      done += data.byteLength;
      bytes.set(file, data);
      opts.onFile?.(file, data);
    }
  } catch (e) {
    stop.abort();
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (opts.signal?.aborted) throw new AbortError('MatryoshkaReranker: loading the bundle was aborted');
  await source.done?.();
  const get = (f: string) => bytes.get(f)!;
  return {
    location: source.location,
    manifest,
    tokenizerJson: parseJson(get(manifest.input.tokenizer), manifest.input.tokenizer),
    tokenizerConfig: parseJson(get(manifest.input.tokenizerConfig), manifest.input.tokenizerConfig),
    graphs: {
      embeddings: get(g.embeddings), layers: g.layers.map(get), compress: get(g.compress),
      ...(g.plainLayers ? { plainLayers: g.plainLayers.map(get) } : {}),
      ...(g.layerWeights ? { layerWeights: g.layerWeights.map(get) } : {}),
    },
    adapters: parseSafetensors(get(manifest.adapters.file), manifest.adapters.file),
  };
}

/** Read one JSON file of a bundle (e.g. golden.json) with the same rules. */
export async function readBundleJson(model: string, file: string, opts: LoadOptions = {}): Promise<unknown> {
  const source = await openSource(model, { ...opts, cache: false });
  return parseJson(await source.read(file, () => {}), file);
}

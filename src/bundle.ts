/**
 * Bundle loading (docs/bundle-format.md): manifest.json first, then every file it lists, from
 * a folder URL (fetch, cached with the Cache API in browsers), a local folder (Node fs), or a
 * map of file URLs (`ModelFiles`, e.g. the model package's bundler-resolved files). Reports
 * progress per file and names the file in every error.
 */
import { cacheDelete, cacheGet, cacheKey, cachePutAll, hashText, isInlineUrl, openCache, pruneVersions } from './cache';
import { AbortError, BundleError, type StorageFullError, throwIfAborted } from './errors';
import { verifyFile } from './integrity';
import { bundleFiles, type Manifest, parseManifest } from './manifest';
import { parseSafetensors, type Float32Tensor } from './safetensors';
import type { LoadProgress, ModelSource } from './types';

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
  /** golden.json (manifest `golden`): the load-time canary's rows come from it. */
  golden: unknown;
  /**
   * Resolves once every file's SHA-256 matched the manifest (then the fetched files are cached,
   * as one unit, and cached copies of older bundle versions are dropped); rejects with the
   * BundleError of the first damaged file. Sizes are checked as each file is read; the hashes
   * run off the main thread (WebCrypto) while the caller creates sessions, and must be awaited
   * before anything runs.
   */
  verified: Promise<void>;
  /** Time the hashes took, summed over the files (ms; mostly overlapped with other work). */
  hashMs(): number;
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
  /** The bundle loaded but could not be cached (storage full). Default: `console.warn` of its message. */
  onCacheError?: (error: StorageFullError) => void;
}

/** Reads one bundle file, reporting bytes as they arrive. */
export interface BundleSource {
  /** The model's identity (folder URL or path, or the file map's name), for messages and the cache. */
  location: string;
  /**
   * Read `file`. With `check` (size and hash, src/integrity.ts): a cached copy is checked
   * before it is returned, and one that fails is dropped and fetched again once; a fresh copy
   * is passed to `check` as it is returned (the caller awaits that promise) and is queued for
   * the cache, which `done` writes.
   */
  read(file: string, onBytes: (loaded: number, total: number, fromCache: boolean) => void, check?: (bytes: Uint8Array) => Promise<void>, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * Call only after every file was read and passed its check: stores the fetched files in the
   * cache as one unit and drops cached files of older bundle versions. Resolves with the
   * StorageFullError when the bundle did not fit, else null.
   */
  done?(): Promise<StorageFullError | null>;
}

const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const isUrl = (s: string): boolean => /^(https?|blob|data):/i.test(s);
const pageUrl = (): string | undefined => (typeof location !== 'undefined' ? location.href : undefined);

/** Where one bundle file is read from. */
export type FileLocation = { kind: 'url'; url: string } | { kind: 'fs'; path: string };

/** A model's identity and the location of each of its files. */
export interface ModelLocator {
  id: string;
  locate(file: string): FileLocation;
}

/** Resolve a `ModelSource`: URLs (relative to the page) are fetched; in Node, paths and `file:` URLs are read with fs. */
export async function locateModel(model: ModelSource): Promise<ModelLocator> {
  const node = isNode();
  const toFs = async (p: string): Promise<string> => {
    const path = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:path');
    if (!/^file:/i.test(p)) return path.resolve(p);
    const { fileURLToPath } = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:url');
    return fileURLToPath(p);
  };
  if (typeof model === 'string') {
    if (node && !isUrl(model)) {
      const root = await toFs(model);
      const path = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:path');
      return { id: root, locate: (file) => ({ kind: 'fs', path: path.join(root, file) }) };
    }
    const base = new URL(model.endsWith('/') ? model : `${model}/`, pageUrl()).href;
    return { id: base, locate: (file) => ({ kind: 'url', url: new URL(file, base).href }) };
  }
  const where = new Map<string, FileLocation>();
  for (const [file, ref] of Object.entries(model.files)) {
    where.set(file, node && !isUrl(ref) ? { kind: 'fs', path: await toFs(ref) } : { kind: 'url', url: new URL(ref, pageUrl()).href });
  }
  const manifest = where.get('manifest.json');
  const id = model.name ?? (manifest?.kind === 'url' ? manifest.url : manifest?.path) ?? 'model';
  return {
    id,
    locate(file) {
      const w = where.get(file);
      if (!w) {
        throw new BundleError(`MatryoshkaReranker: the file map of model ${id} has no entry for ${file}, which manifest.json lists; add it to "files" (the model package's export lists every file)`);
      }
      return w;
    },
  };
}

/** Open `model` for reading; with `version`, fetched files go through the Cache API (unless `opts.cache` is false). */
export async function openSource(model: ModelSource, opts: LoadOptions, version?: string): Promise<BundleSource> {
  const locator = await locateModel(model);
  const useCache = opts.cache !== false && version !== undefined;
  const cache = useCache ? await openCache() : null;
  const fetchFn = opts.fetch ?? fetch;
  const toStore: [string, string, Uint8Array][] = [];
  return {
    location: locator.id,
    async read(file, onBytes, check, signal) {
      const where = locator.locate(file);
      if (where.kind === 'fs') {
        const bytes = await readFsFile(file, where.path, onBytes);
        void check?.(bytes);
        return bytes;
      }
      const key = cacheKey(where.url, locator.id, version ?? '');
      const cacheable = cache !== null && !isInlineUrl(where.url);
      const hit = cacheable ? await cacheGet(cache, key) : null;
      if (hit) {
        const bytes = new Uint8Array(await hit.arrayBuffer());
        onBytes(bytes.byteLength, bytes.byteLength, true);
        try {
          await check?.(bytes);
          return bytes;
        } catch {
          await cacheDelete(cache, key); // a damaged cached copy: fetch it again below
        }
      }
      const bytes = await fetchFile(file, where.url, fetchFn, (n, total) => onBytes(n, total, false), signal);
      void check?.(bytes);
      if (cacheable) toStore.push([file, key, bytes]); // written by done(), once every check passed
      return bytes;
    },
    async done() {
      if (!cache) return null;
      const full = await cachePutAll(cache, locator.id, toStore.splice(0));
      await pruneVersions(cache, locator.id, full ? '' : (version ?? ''));
      return full;
    },
  };
}

async function readFsFile(file: string, full: string, onBytes: (loaded: number, total: number, fromCache: boolean) => void): Promise<Uint8Array> {
  const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(full));
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'file not found' : (e as Error).message;
    throw new BundleError(`MatryoshkaReranker: cannot read bundle file ${file} at ${full} (${why}); check that option "model" points to a bundle folder that contains every file listed in manifest.json`);
  }
  onBytes(bytes.byteLength, bytes.byteLength, false);
  return bytes;
}

async function fetchFile(file: string, url: string, fetchFn: typeof fetch, onBytes: (loaded: number, total: number) => void, signal?: AbortSignal): Promise<Uint8Array> {
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
  return readBody(res, onBytes);
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

/** manifest.json, always read fresh (never from the cache): its hash versions the cached copies of the other files. */
export async function readManifest(model: ModelSource, opts: LoadOptions = {}): Promise<{ manifest: Manifest; version: string }> {
  const plain = await openSource(model, { ...opts, cache: false });
  const manifestBytes = await plain.read('manifest.json', () => {});
  const manifest = parseManifest(parseJson(manifestBytes, 'manifest.json'));
  return { manifest, version: hashText(new TextDecoder().decode(manifestBytes)) };
}

/**
 * Load every file the runtime needs. Progress `fraction` counts files (JSON files are tiny).
 * Fetched files are cached once every file passed its check (`verified`); a bundle that does not
 * fit in storage goes to `opts.onCacheError` (the load still succeeds).
 */
export async function loadBundle(model: ModelSource, opts: LoadOptions = {}): Promise<LoadedBundle> {
  const { manifest, version } = await readManifest(model, opts);
  opts.onManifest?.(manifest, version);
  const source = await openSource(model, opts, version);

  const g = manifest.graphs;
  const files = [...new Set(bundleFiles(manifest))];
  const bytes = new Map<string, Uint8Array>();
  // the latest check of each file (a cached copy that failed its check is read again)
  const hashes = new Map<string, Promise<void>>();
  let hashMs = 0;
  // Sizes come from the manifest's files table (checked against every file), so progress counts bytes of the whole bundle.
  const bundleTotal = files.reduce((a, f) => a + (manifest.files[f]?.bytes ?? 0), 0);
  let done = 0;
  // onFile gets a file only once its size and SHA-256 matched (in order): nothing is built from an unverified file.
  let handed: Promise<void> = Promise.resolve();
  const onCacheError = opts.onCacheError ?? ((e: StorageFullError) => console.warn(e.message));
  // Cache only a bundle whose every file passed its check, as one unit (source.done).
  const settle = (): Promise<void> => Promise.all(hashes.values()).then(() => source.done?.()).then((full) => { if (full) onCacheError(full); });
  try {
    for (let i = 0; i < files.length; i++) {
      throwIfAborted(opts.signal);
      const file = files[i]!;
      const check = (data: Uint8Array): Promise<void> => {
        const t0 = performance.now();
        const p = verifyFile(file, data, manifest.files[file], source.location).finally(() => { hashMs += performance.now() - t0; });
        p.catch(() => {}); // awaited through `verified`; never an unhandled rejection meanwhile
        hashes.set(file, p);
        return p;
      };
      const data = await source.read(file, (loaded, total, fromCache) => {
        const sofar = done + loaded;
        const whole = Math.max(bundleTotal, sofar);
        opts.onProgress?.({
          file, loadedBytes: loaded, totalBytes: total, bundleLoadedBytes: sofar, bundleTotalBytes: whole,
          fraction: whole > 0 ? sofar / whole : (i + 1) / files.length, fromCache,
        });
      }, check, opts.signal);
      if (data.byteLength !== manifest.files[file]!.bytes) await hashes.get(file); // throws the size error naming the file
      done += data.byteLength;
      bytes.set(file, data);
      if (opts.onFile) {
        const onFile = opts.onFile;
        const hashed = hashes.get(file) ?? Promise.resolve();
        // The last file (the deepest layer) is handed on only once the whole bundle is verified
        // and cached: every layer ready means a checked bundle, already in the cache.
        const last = i === files.length - 1;
        handed = handed.then(() => hashed).then(async () => { if (last) await settle(); onFile(file, data); });
        handed.catch(() => {});
      }
    }
  } catch (e) {
    await handed; // an earlier damaged file is reported first; the verified files before this one are handed on
    throw e;
  }
  if (opts.signal?.aborted) throw new AbortError('MatryoshkaReranker: loading the bundle was aborted');
  const verified = opts.onFile ? handed : settle();
  verified.catch(() => {}); // the caller awaits it later: no unhandled rejection meanwhile
  const get = (f: string) => bytes.get(f)!;
  try {
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
      golden: parseJson(get(manifest.golden), manifest.golden),
      verified,
      hashMs: () => hashMs,
    };
  } catch (e) {
    await verified; // a damaged file is reported as such, before what parsing it made of it
    throw e;
  }
}

/** Read one JSON file of a bundle (e.g. golden.json) with the same rules. */
export async function readBundleJson(model: ModelSource, file: string, opts: LoadOptions = {}): Promise<unknown> {
  const source = await openSource(model, { ...opts, cache: false });
  return parseJson(await source.read(file, () => {}), file);
}

/**
 * Bundle loading (docs/bundle-format.md): manifest.json first, then every file it lists, from
 * a URL (fetch, cached with the Cache API in browsers) or a local folder (Node fs). Reports
 * progress per file and names the file in every error.
 */
import { cacheDelete, cacheGet, cacheKey, cachePut, hashText, openCache, pruneVersions } from './cache';
import { AbortError, BundleError, throwIfAborted } from './errors';
import { verifyFile } from './integrity';
import { bundleFiles, type Manifest, parseManifest } from './manifest';
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
  /** golden.json (manifest `golden`): the load-time canary's rows come from it. */
  golden: unknown;
  /**
   * Resolves once every file's SHA-256 matched the manifest (then cached copies of older
   * bundle versions are dropped); rejects with the BundleError of the first damaged file.
   * Sizes are checked as each file is read; the hashes run off the main thread (WebCrypto)
   * while the caller creates sessions, and must be awaited before anything runs.
   */
  verified: Promise<void>;
  /** Time the hashes took, summed over the files (ms; mostly overlapped with other work). */
  hashMs(): number;
}

export interface LoadOptions {
  cache?: boolean;
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Replace `fetch` (tests, custom auth). */
  fetch?: typeof fetch;
}

/** Reads one bundle file, reporting bytes as they arrive. */
export interface BundleSource {
  location: string;
  /**
   * Read `file`. With `check` (size and hash, src/integrity.ts): a cached copy is checked
   * before it is returned, and one that fails is dropped and fetched again once; a fresh copy
   * is passed to `check` as it is returned (the caller awaits that promise) and enters the
   * cache only once it passed.
   */
  read(file: string, onBytes: (loaded: number, total: number, fromCache: boolean) => void, check?: (bytes: Uint8Array) => Promise<void>): Promise<Uint8Array>;
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
  return {
    location: root,
    async read(file, onBytes, check) {
      const full = path.join(root, file);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await fs.readFile(full));
      } catch (e) {
        const code = (e as { code?: string }).code;
        const why = code === 'ENOENT' ? 'file not found' : (e as Error).message;
        throw new BundleError(`MatryoshkaReranker: cannot read bundle file ${file} at ${full} (${why}); check that option "model" points to a bundle folder that contains every file listed in manifest.json`);
      }
      onBytes(bytes.byteLength, bytes.byteLength, false);
      void check?.(bytes);
      return bytes;
    },
  };
}

function fetchSource(base: string, fetchFn: typeof fetch, cache: Cache | null, version: string): BundleSource {
  const puts: Promise<void>[] = [];
  return {
    location: base,
    async read(file, onBytes, check) {
      const url = new URL(file, base).href;
      const key = cacheKey(url, version);
      const hit = await cacheGet(cache, key);
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
      let res: Response;
      try {
        res = await fetchFn(url);
      } catch (e) {
        throw new BundleError(`MatryoshkaReranker: cannot fetch bundle file ${file} from ${url} (${(e as Error).message}); check option "model" and that the server is reachable`, { cause: e });
      }
      if (!res.ok) {
        throw new BundleError(`MatryoshkaReranker: bundle file ${file} not found at ${url} (HTTP ${res.status}); check that option "model" is the bundle folder URL and that it contains every file listed in manifest.json`);
      }
      const bytes = await readBody(res, (n, total) => onBytes(n, total, false));
      // only a copy that passed its check is cached
      puts.push((check ? check(bytes) : Promise.resolve()).then(() => cachePut(cache, key, bytes), () => {}));
      return bytes;
    },
    done: async () => {
      await Promise.all(puts);
      await pruneVersions(cache, base, version);
    },
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

function parseJson(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new BundleError(`MatryoshkaReranker: bundle file ${file} is not valid JSON (${(e as Error).message}); re-export the bundle with the trainer`);
  }
}

/** Load every file the runtime needs. Progress `fraction` counts files (JSON files are tiny). */
export async function loadBundle(model: string, opts: LoadOptions = {}): Promise<LoadedBundle> {
  // manifest.json is always read fresh: its hash versions the cached copies of the other files.
  const plain = await openSource(model, { ...opts, cache: false });
  const manifestBytes = await plain.read('manifest.json', () => {});
  const manifestText = new TextDecoder().decode(manifestBytes);
  const manifest = parseManifest(parseJson(manifestBytes, 'manifest.json'));
  const source = await openSource(model, opts, hashText(manifestText));

  const g = manifest.graphs;
  const files = [...new Set(bundleFiles(manifest))];
  const bytes = new Map<string, Uint8Array>();
  // the latest check of each file (a cached copy that failed its check is read again)
  const hashes = new Map<string, Promise<void>>();
  let hashMs = 0;
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
      opts.onProgress?.({ file, loadedBytes: loaded, totalBytes: total, fraction: (i + (total > 0 ? loaded / total : 0)) / files.length, fromCache });
    }, check);
    if (data.byteLength !== manifest.files[file]!.bytes) await hashes.get(file); // throws the size error naming the file
    bytes.set(file, data);
  }
  if (opts.signal?.aborted) throw new AbortError('MatryoshkaReranker: loading the bundle was aborted');
  const verified = Promise.all(hashes.values()).then(() => source.done?.()).then(() => {});
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
export async function readBundleJson(model: string, file: string, opts: LoadOptions = {}): Promise<unknown> {
  const source = await openSource(model, { ...opts, cache: false });
  return parseJson(await source.read(file, () => {}), file);
}

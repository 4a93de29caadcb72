/**
 * @huggingface/transformers set up for the benchmark page: local files only, no browser caches
 * (the bundle is served by our own server), onnxruntime-web's WASM files from this server instead
 * of the CDN the library defaults to (the machine may be offline), and the same WASM thread
 * count as the engine so the two runs compare.
 */
import type { TransformersLib } from '../scenarios/transformersjs';

export interface TransformersWebOptions {
  /** WASM threads. Default: onnxruntime-web's own default. */
  numThreads?: number;
  /**
   * Folders (URLs) that may hold the onnxruntime-web `dist/` the library was built against; the
   * first whose package.json has the library's ORT version wins. Default: the library's nested
   * copy, then the top-level one (npm layouts).
   */
  ortFolders?: string[];
}

export const defaultTransformersWebOptions = {
  ortFolders: ['/node_modules/@huggingface/transformers/node_modules/onnxruntime-web', '/node_modules/onnxruntime-web'],
} satisfies TransformersWebOptions;

async function versionAt(folder: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${folder}/package.json`);
    if (!response.ok) return undefined;
    const pkg = (await response.json()) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

export async function loadTransformersForWeb(options: TransformersWebOptions = {}): Promise<TransformersLib> {
  const opts = { ...defaultTransformersWebOptions, ...options };
  const lib = await import('@huggingface/transformers');
  lib.env.useBrowserCache = false;
  lib.env.useWasmCache = false;
  const onnx = lib.env.backends.onnx as { versions?: { web?: string }; wasm?: { wasmPaths?: unknown; numThreads?: number } };
  const wanted = onnx.versions?.web;
  const found: string[] = [];
  let folder: string | undefined;
  for (const candidate of opts.ortFolders) {
    const version = await versionAt(candidate);
    if (version) found.push(`${candidate} (${version})`);
    if (version && version === wanted) {
      folder = candidate;
      break;
    }
  }
  if (!folder) {
    throw new Error(`onnxruntime-web ${wanted ?? '(unknown version)'} used by @huggingface/transformers was not found on this server (looked in ${opts.ortFolders.join(', ')}; found ${found.join(', ') || 'none'}). Run npm install, or pass ortFolders.`);
  }
  if (onnx.wasm) {
    onnx.wasm.wasmPaths = `${folder}/dist/`;
    if (opts.numThreads !== undefined) onnx.wasm.numThreads = opts.numThreads;
  }
  return lib;
}

/**
 * The benchmark page's settings, read from its URL (the driver bench/browser/cli.ts writes them):
 *   ?dataset=<URL>&model=<URL>[&split=test][&configs=all|a,b][&queries=N][&topK=100]
 *    [&backend=wasm|webgpu][&progressive=2:20,6[;...]|none][&threads=N][&transformersjs=0]
 *    [&peerDtype=fp32|q8][&referenceModel=<URL>]
 * Without `progressive` the page runs the bundle's default schedule (bench/scenarios/progressive.ts).
 */
import { parseSchedules } from '../scenarios/progressive';
import { ArgsError, type BenchSettings, peerDtype } from '../settings';

export interface PageParams {
  settings: BenchSettings;
  /** `default`: the bundle's default schedule once the manifest is known. */
  progressive: 'default' | BenchSettings['progressive'];
  /** WASM threads for both the engine and transformers.js; undefined: the engine's default. */
  threads: number | undefined;
  /** Run the transformers.js peer. */
  transformersjs: boolean;
  /** The peer's weights: `fp32` (hf/onnx/model.onnx) or `q8` (model_quantized.onnx, its default on WASM). */
  peerDtype: 'fp32' | 'q8';
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ArgsError(`URL parameter ${name} must be a positive integer, got "${text}".`);
  return n;
}

/** Parses `search` (e.g. `location.search`); throws {@link ArgsError} saying which parameter to fix. */
export function parsePageParams(search: string): PageParams {
  const q = new URLSearchParams(search);
  const dataset = q.get('dataset');
  const model = q.get('model');
  if (!dataset || !model) {
    throw new ArgsError('the page needs ?dataset=<BEIR folder URL>&model=<bundle URL>, e.g. ?dataset=/@fs/work/shared/datasets/adi&model=/test/fixtures/tiny (bench/browser/cli.ts builds these).');
  }
  const [split = 'test', side = 'all'] = (q.get('split') ?? 'test').split(':');
  if (side !== 'all' && side !== 'dev' && side !== 'test') throw new ArgsError(`URL parameter split must be <split>, <split>:dev or <split>:test, got "${q.get('split')}".`);
  const backend = q.get('backend') ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'webgpu') throw new ArgsError(`URL parameter backend must be wasm or webgpu, got "${backend}".`);
  const names = (q.get('configs') ?? 'all').split(',').map((s) => s.trim()).filter(Boolean);
  const progressive = q.get('progressive');
  const queries = q.get('queries');
  const threads = q.get('threads');
  const dtype = peerDtype('URL parameter peerDtype', q.get('peerDtype') ?? 'fp32');
  const referenceModel = q.get('referenceModel');
  return {
    settings: {
      dataset, model, split, querySplit: side, backend,
      configs: names.length === 0 || (names.length === 1 && names[0] === 'all') ? 'all' : names,
      queries: queries === null ? undefined : positiveInt('queries', queries),
      topK: positiveInt('topK', q.get('topK') ?? '100'),
      ...(referenceModel ? { referenceModel } : {}),
    },
    progressive: progressive === null ? 'default' : progressive === 'none' ? [] : parseSchedules(progressive),
    threads: threads === null ? undefined : positiveInt('threads', threads),
    transformersjs: q.get('transformersjs') !== '0',
    peerDtype: dtype,
  };
}

/** What a driver may put in the page's URL (every field but the URLs optional; see the top of this file). */
export interface PageQuery {
  dataset: string;
  model: string;
  split?: string;
  configs?: 'all' | string[];
  queries?: number;
  topK?: number;
  backend?: 'wasm' | 'webgpu';
  /** Schedule text (`2:20,6;3:10,6`), `none`, or undefined for the bundle's default schedule. */
  progressive?: string;
  threads?: number;
  /** Default true. */
  transformersjs?: boolean;
  /** Default fp32. */
  peerDtype?: 'fp32' | 'q8';
  /** A second bundle's URL (BenchSettings.referenceModel). */
  referenceModel?: string;
}

/** The query string (without `?`) that {@link parsePageParams} reads back. */
export function pageQuery(q: PageQuery): string {
  const out = new URLSearchParams({ dataset: q.dataset, model: q.model });
  if (q.split !== undefined) out.set('split', q.split);
  if (q.configs !== undefined) out.set('configs', q.configs === 'all' ? 'all' : q.configs.join(','));
  if (q.queries !== undefined) out.set('queries', String(q.queries));
  if (q.topK !== undefined) out.set('topK', String(q.topK));
  if (q.backend !== undefined) out.set('backend', q.backend);
  if (q.progressive !== undefined) out.set('progressive', q.progressive);
  if (q.threads !== undefined) out.set('threads', String(q.threads));
  if (q.transformersjs === false) out.set('transformersjs', '0');
  if (q.peerDtype !== undefined) out.set('peerDtype', q.peerDtype);
  if (q.referenceModel !== undefined) out.set('referenceModel', q.referenceModel);
  return out.toString();
}

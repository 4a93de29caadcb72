/**
 * The Node side of a benchmark run (bench/cli.ts): machine description, createReranker, and
 * transformers.js on onnxruntime-node, around the environment-neutral bench/benchmark.ts.
 */
import { resolve } from 'node:path';
import type { BenchSettings } from './settings';
import { lastSegment, runBenchmarkIn } from './benchmark';
import { describeMachine } from './machine';
import type { BenchReport } from './report';
import type { CreateReranker } from './scenarios/matryoshka';
import { errorMessage, type Skipped } from './scenarios/scenario';

export interface RunnerOptions {
  /** Progress lines. Default: stderr. */
  log?: (message: string) => void;
  /** Run the transformers.js peer. Default true. */
  transformersjs?: boolean;
}

export const defaultRunnerOptions = {
  log: (message: string): void => {
    process.stderr.write(`${message}\n`);
  },
  transformersjs: true,
} satisfies RunnerOptions;

/** createReranker from src/index.ts, or why it cannot be loaded (the BM25 rows still run). */
export async function loadCreateReranker(): Promise<CreateReranker | Skipped> {
  try {
    const mod = await import('../src/index');
    return mod.createReranker;
  } catch (err) {
    return { skipped: `src/index.ts could not be loaded (${errorMessage(err)}); model rows need createReranker from it.` };
  }
}

export async function runBenchmark(args: BenchSettings, options: RunnerOptions = {}): Promise<BenchReport> {
  const opts = { ...defaultRunnerOptions, ...options };
  return runBenchmarkIn(args, {
    machine: describeMachine(),
    createReranker: await loadCreateReranker(),
    datasetName: lastSegment(resolve(args.dataset)),
    // In Node transformers.js has no WASM device: `cpu` is onnxruntime-node (native code), so on the
    // wasm backend this peer is a stronger baseline than the browser's WASM would be.
    transformersjs: opts.transformersjs ? { device: args.backend === 'webgpu' ? 'webgpu' : 'cpu', modelLocation: resolve(args.model) } : false,
    log: opts.log,
  });
}

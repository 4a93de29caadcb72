/**
 * The suite in Node (bench/cli.ts, tests): machine description, createReranker, and
 * transformers.js on onnxruntime-node, around the environment-neutral bench/suite.ts; and the
 * report written to a file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BenchSettings } from './settings';
import { describeMachine } from './machine';
import { reportJson, type BenchReport } from './report';
import type { CreateReranker } from './scenarios/matryoshka';
import { errorMessage, type Skipped } from './scenarios/scenario';
import { lastSegment, runBenchmarkIn } from './suite';
import type { PeerDtype } from './scenarios/transformersjs';

export interface RunnerOptions {
  /** Progress lines. Default: stderr. */
  log?: (message: string) => void;
  /** Run the transformers.js peer. Default true. */
  transformersjs?: boolean;
  /** The peer's weights (bench/scenarios/transformersjs.ts `dtype`). Default fp32. */
  transformersjsDtype?: PeerDtype;
}

export const defaultRunnerOptions = {
  log: (message: string): void => {
    process.stderr.write(`${message}\n`);
  },
  transformersjs: true,
  transformersjsDtype: 'fp32' as PeerDtype,
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
    transformersjs: opts.transformersjs ? { device: args.backend === 'webgpu' ? 'webgpu' : 'cpu', modelLocation: resolve(args.model), dtype: opts.transformersjsDtype } : false,
    log: opts.log,
  });
}

/** Writes the report (bench/report.ts) to a file, creating its folder. */
export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, reportJson(report));
}

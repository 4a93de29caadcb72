/**
 * What the load-time bundle checks cost: `createReranker` on a bundle, `--runs` times, printing
 * the whole load and its two checks in ms and as a share of the load: the SHA-256 of every file
 * (computed off the main thread while sessions are created: its own time, and how long the
 * load then waited for it) and the golden canary's rows on the chosen backend. The first load
 * in a process also pays onnxruntime's one-off start-up inside its first runs (the canary's).
 * Printed, never asserted.
 *
 *   node --import tsx bench/load-checks.ts [--model models/minilm-l6-scifact] [--runs 3]
 */
import { parseArgs } from 'node:util';
import { createReranker } from '../src/index';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'models/minilm-l6-scifact' }, runs: { type: 'string', default: '3' } } });

async function main() {
  console.log(`load-time checks of ${values.model} (Node ${process.version}, WASM)`);
  console.log('run   load ms   hashes ms (waited for)   canary ms (rows: configurations)   checks / load');
  const shares: number[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const rr = await createReranker({ model: values.model!, backend: 'wasm', progressiveLoad: false }); // the whole load, checks included
    const r = rr.loadReport!;
    const checks = r.hashWaitMs + r.canary.ms;
    shares.push(checks / r.totalMs);
    console.log(`${String(i + 1).padStart(3)} ${r.totalMs.toFixed(0).padStart(9)} ${r.hashMs.toFixed(0).padStart(11)} (${r.hashWaitMs.toFixed(0)}) ${r.canary.ms.toFixed(0).padStart(11)} (${r.canary.rows} rows: ${r.canary.cases.join(', ')})   ${(100 * checks / r.totalMs).toFixed(1)}%`);
    await rr.dispose();
  }
  shares.sort((a, b) => a - b);
  console.log(`median share of the load spent on checks: ${(100 * shares[shares.length >> 1]!).toFixed(1)}% (goal < 10%)`);
}

main().catch((e: unknown) => { console.error(e); process.exitCode = 1; });

/**
 * Abort latency: how long after its AbortSignal fires does a running `rank` reject? A timer
 * aborts each call at a point spread over the call's duration; the latency is the time from
 * the timer's due time to the rejection (so a blocked event loop, which delays the timer too,
 * counts). Prints p50 / p95 / max; the goal (issue 14) is p95 <= 250 ms for d6 on 100
 * passages in Node WASM. Times are printed, never asserted.
 *
 *   node --import tsx bench/abort-latency.ts [--model models/minilm-l6-scifact] [--passages 100] [--runs 20] [--config d6] [--threads n]
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createReranker } from '../src/index';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/minilm-l6-scifact' }, passages: { type: 'string', default: '100' },
    runs: { type: 'string', default: '20' }, config: { type: 'string', default: 'd6' }, threads: { type: 'string' },
  },
});
const n = Number(values.passages);
const runs = Number(values.runs);

/** Real passages (the first of scifact's corpus) when the dataset is there, else varied text. */
function passages(): { list: string[]; source: string } {
  const corpus = resolve('../shared/datasets/scifact/corpus.jsonl');
  if (existsSync(corpus)) {
    const lines = readFileSync(corpus, 'utf8').split('\n').filter(Boolean).slice(0, n);
    return { list: lines.map((l) => { const d = JSON.parse(l) as { title?: string; text?: string }; return `${d.title ?? ''} ${d.text ?? ''}`; }), source: corpus };
  }
  const words = 'cell protein gene expression patients study results increased levels mice tumor response treatment'.split(' ');
  return { list: Array.from({ length: n }, (_, i) => Array.from({ length: 40 + (i * 37) % 260 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ')), source: 'synthetic' };
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!; };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const { list, source } = passages();
  const rr = await createReranker({ model: values.model!, backend: 'wasm', ...(values.threads ? { numThreads: Number(values.threads) } : {}) });
  const query = 'the role of gene expression in tumor response to treatment';
  const config = values.config!;
  await rr.rank(query, list, { config }); // warm-up
  const t0 = performance.now();
  await rr.rank(query, list, { config });
  const full = performance.now() - t0;
  console.log(`abort latency, ${config} on ${list.length} passages (${source}), model ${values.model}, Node ${process.version} WASM, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}); a full call takes ${full.toFixed(0)} ms`);
  const lat: number[] = [];
  const late: number[] = [];
  for (let i = 0; i < runs; i++) {
    const at = full * (0.05 + 0.9 * ((i + 0.5) / runs));
    const ctl = new AbortController();
    const start = performance.now();
    const due = start + at;
    let fired = 0;
    setTimeout(() => { fired = performance.now(); ctl.abort(); }, at);
    const outcome = await rr.rank(query, list, { config, signal: ctl.signal }).then(() => 'completed', (e: Error) => e.name);
    const end = performance.now();
    if (outcome !== 'AbortError') {
      console.log(`  run ${i}: ${outcome} before the abort at ${at.toFixed(0)} ms`);
      continue;
    }
    lat.push(end - due);
    late.push(fired - due);
    await rr.rank(query, ['drain'], { config }); // let the aborted call's last step finish before the next run
    await sleep(10);
  }
  const f = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
  console.log(`${lat.length} aborts at 5%..95% of the call: latency from the timer's due time to the rejection: ${f(lat)}`);
  console.log(`  of which the timer itself fired late (event loop blocked): ${f(late)}`);
  console.log(`goal p95 <= 250 ms: ${pct(lat, 95) <= 250 ? 'met' : 'NOT met'}`);
  await rr.dispose();
}

main().catch((e: unknown) => { console.error(e); process.exitCode = 1; });

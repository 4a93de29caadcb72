/**
 * Controller benchmark: does `rank(query, passages, { budgetMs })` meet its budget, and how
 * accurate is the configuration it picks compared with the best one that would have met the
 * budget in hindsight?
 *
 *   node --import tsx bench/controller.ts --model <bundle> [--requests N] [--hindsight all|front]
 *     [--threads T] [--seed S] [--safety K] [--variants default,frozen,no-margin,no-fit] [--report bench/CONTROLLER.md]
 *
 * After calibration, each request (5..100 passages of the demo corpus, cut to varied lengths)
 * is first run with every hindsight configuration (explicit `config`, wall-clock each), then a
 * budget is drawn log-uniformly between 0.85x the fastest and 1.3x the slowest measured time,
 * and the request is run once more with `budgetMs` through the controller. "Within budget"
 * uses that call's wall-clock time. Hindsight-best = the most accurate configuration whose
 * measured time was within the budget (a request with none is "infeasible").
 * `--hindsight front` measures only the configurations on the accuracy/flopsRatio Pareto front
 * (the controller can only prefer those anyway, up to latency noise) to save time on big models.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createAdaptiveReranker } from '../src/controller/adaptive-reranker';
import { accuracyScale, paretoFront } from '../src/controller/accuracy';
import { isAdaptiveDecision } from '../src/controller/controller';
import { createReranker } from '../src/index';
import type { ControllerOptions } from '../src/controller/options';
import type { CalibratedConfig } from '../src/types';
import { describeMachine } from './machine';

/**
 * Controller variants compared side by side on the same requests (`--variants`): the default,
 * and each part switched off, to show what it is worth.
 */
const VARIANTS = {
  default: { label: 'default (fit + margin + online correction)', options: {}, startup: 'full' },
  frozen: { label: 'no online correction (calibration fit only, never refit)', options: { smoothing: 1e-9, refitEvery: 0 }, startup: 'full' },
  'no-margin': { label: 'no safety margin (safety 0)', options: { safety: 0 }, startup: 'full' },
  'no-fit': { label: 'no calibration fit (the prior cost model, corrected online)', options: {}, startup: 'none' },
} satisfies Record<string, { label: string; options: ControllerOptions; startup: 'full' | 'none' }>;
type Variant = keyof typeof VARIANTS;

interface Args { model: string; requests: number; hindsight: 'all' | 'front'; threads: number; seed: number; report: string; safety: number | undefined; variants: Variant[] }

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      model: { type: 'string' }, requests: { type: 'string', default: '100' }, hindsight: { type: 'string', default: 'all' },
      threads: { type: 'string', default: '1' }, seed: { type: 'string', default: '1' }, safety: { type: 'string' }, variants: { type: 'string', default: 'default' }, report: { type: 'string', default: 'bench/CONTROLLER.md' },
    },
  });
  const int = (flag: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got "${v}"`);
    return n;
  };
  if (!values.model) throw new Error('missing --model <bundle folder>, e.g. --model test/fixtures/tiny');
  if (values.hindsight !== 'all' && values.hindsight !== 'front') throw new Error(`--hindsight must be all or front, got "${values.hindsight}"`);
  const variants = values.variants.split(',').map((v) => v.trim());
  for (const v of variants) if (!(v in VARIANTS)) throw new Error(`--variants: unknown "${v}"; choose from ${Object.keys(VARIANTS).join(', ')}`);
  return {
    model: values.model, requests: int('requests', values.requests), hindsight: values.hindsight,
    threads: int('threads', values.threads), seed: int('seed', values.seed), report: values.report,
    safety: values.safety === undefined ? undefined : Number(values.safety), variants: [...new Set(variants)] as Variant[],
  };
}

function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

interface Corpus { documents: { title: string; text: string }[]; queries: { text: string }[] }

/** Passages of `words` words made from consecutive corpus documents starting at `start`. */
function passageOf(words: string[], start: number, length: number): string {
  const out: string[] = [];
  for (let i = 0; out.length < length; i++) out.push(words[(start + i) % words.length]!);
  return out.join(' ');
}

interface Request { query: string; passages: string[]; regime: string }

function makeRequest(r: () => number, corpus: Corpus, words: string[]): Request {
  const n = 5 + Math.floor(r() * 96);
  const regimes: [string, number, number][] = [['short', 8, 40], ['medium', 40, 120], ['long', 120, 260], ['mixed', 5, 260]];
  const [regime, lo, hi] = regimes[Math.floor(r() * regimes.length)]!;
  const passages = Array.from({ length: n }, () => passageOf(words, Math.floor(r() * words.length), lo + Math.floor(r() * (hi - lo))));
  return { query: corpus.queries[Math.floor(r() * corpus.queries.length)]!.text, passages, regime };
}

interface Row {
  n: number; regime: string; budgetMs: number; chosen: string; predictedMs: number; upperMs: number; actualMs: number;
  withinBudget: boolean; controllerSaidFits: boolean; feasible: boolean; hindsightBest: string | null;
  chosenAccuracy: number; hindsightAccuracy: number | null; measured: Record<string, number>;
}

const now = (): number => performance.now();
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

type Reranker = Awaited<ReturnType<typeof createAdaptiveReranker>>;

function summarize(rows: Row[], scaleLabel: string): { summary: Record<string, number>; lines: string[] } {
  const feasible = rows.filter((x) => x.feasible);
  const said = rows.filter((x) => x.controllerSaidFits);
  const acc = feasible.map((x) => x.chosenAccuracy);
  const hacc = feasible.map((x) => x.hindsightAccuracy!);
  const logErr = rows.map((x) => Math.abs(Math.log(x.actualMs / x.predictedMs))).sort((a, b) => a - b);
  const summary = {
    requests: rows.length,
    withinBudgetAll: rows.filter((x) => x.withinBudget).length / rows.length,
    feasible: feasible.length,
    withinBudgetFeasible: feasible.filter((x) => x.withinBudget).length / Math.max(1, feasible.length),
    controllerSaidFits: said.length,
    withinBudgetWhenSaidFits: said.filter((x) => x.withinBudget).length / Math.max(1, said.length),
    infeasibleFlagged: rows.filter((x) => !x.feasible && !x.controllerSaidFits).length,
    infeasible: rows.length - feasible.length,
    meanChosenAccuracy: mean(acc),
    meanHindsightAccuracy: mean(hacc),
    sameAccuracyAsHindsight: feasible.filter((x) => x.chosenAccuracy >= x.hindsightAccuracy!).length / Math.max(1, feasible.length),
    medianAbsLogError: logErr[logErr.length >> 1] ?? Number.NaN,
  };
  const lines = [
    `  within budget: ${pct(summary.withinBudgetAll)} of all ${rows.length} requests; ${pct(summary.withinBudgetFeasible)} of the ${feasible.length} feasible ones (some configuration met the budget in hindsight)`,
    `  when the controller said a configuration fits: ${pct(summary.withinBudgetWhenSaidFits)} of ${said.length} within budget`,
    `  infeasible requests: ${summary.infeasible}, flagged by the controller (fits=false, warning): ${summary.infeasibleFlagged}`,
    `  accuracy (${scaleLabel}) on feasible requests: chosen ${summary.meanChosenAccuracy.toFixed(4)} vs hindsight-best ${summary.meanHindsightAccuracy.toFixed(4)}; ` +
      `same as hindsight-best on ${pct(summary.sameAccuracyAsHindsight)}`,
    `  median |log(actual/predicted)|: ${summary.medianAbsLogError.toFixed(3)}`,
  ];
  return { summary, lines };
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const loadBefore = loadavg()[0]!;
  const corpus = JSON.parse(readFileSync('public/corpus/default.json', 'utf8')) as Corpus;
  const words = corpus.documents.flatMap((d) => `${d.title}. ${d.text}`.split(/\s+/));
  const rerankers = new Map<Variant, Reranker>();
  const calibrationMs = new Map<Variant, number>();
  for (const v of args.variants) {
    const t0 = now();
    rerankers.set(v, await createAdaptiveReranker(
      (chooseConfig) => createReranker({ model: args.model, backend: 'wasm', numThreads: args.threads, chooseConfig }),
      { startup: VARIANTS[v].startup, calibrationStore: null,
        ...(args.safety === undefined ? {} : { safety: args.safety }), ...VARIANTS[v].options },
    ));
    calibrationMs.set(v, now() - t0);
  }
  // the hindsight runs and the reported fit: the first calibrated variant
  const measuredBy = args.variants.find((v) => VARIANTS[v].startup === 'full');
  if (!measuredBy) throw new Error('--variants: include at least one calibrated variant (default, frozen or no-margin)');
  const rr = rerankers.get(measuredBy)!;
  const info = await rr.info();
  const configs = info.configurations;
  const scale = accuracyScale(configs);
  const front = paretoFront(configs.map((c) => ({ cost: c.flopsRatio, accuracy: scale.of(c) }))).map((i) => configs[i]!);
  const hindsight: CalibratedConfig[] = args.hindsight === 'all' ? configs : front;
  const fit = rr.controller.calibration!.fit;
  console.log(`model ${info.name} on ${info.backend}; ${configs.length} configurations, hindsight over ${hindsight.length}; accuracy = ${scale.label}; variants ${args.variants.join(', ')}`);
  console.log(`calibration (incl. load) ${(calibrationMs.get(measuredBy)! / 1000).toFixed(1)} s; fit spread ${fit.spread.toFixed(3)}; coefficients ${JSON.stringify(fit.coefficients)}`);

  const r = rng(args.seed);
  const rows = new Map<Variant, Row[]>(args.variants.map((v) => [v, []]));
  for (let i = 0; i < args.requests; i++) {
    const req = makeRequest(r, corpus, words);
    const measured: Record<string, number> = {};
    for (const c of hindsight) {
      const s = now();
      await rr.rank(req.query, req.passages, { config: c.name });
      measured[c.name] = now() - s;
    }
    const times = Object.values(measured);
    const lo = 0.85 * Math.min(...times);
    const hi = 1.3 * Math.max(...times);
    const budgetMs = lo * (hi / lo) ** r();
    const fitting = hindsight.filter((c) => measured[c.name]! <= budgetMs);
    const best = fitting.length ? fitting.reduce((a, b) => (scale.of(b) > scale.of(a) ? b : a)) : null;
    // every variant answers the same request under the same budget, in rotated order (no variant always runs first)
    const order = args.variants.map((_, k) => args.variants[(i + k) % args.variants.length]!);
    for (const v of order) {
      const s = now();
      const res = await rerankers.get(v)!.rank(req.query, req.passages, { budgetMs });
      const actualMs = now() - s;
      const d = res.decision;
      if (!isAdaptiveDecision(d)) throw new Error('the engine returned no controller decision for a budgetMs call');
      const row: Row = {
        n: req.passages.length, regime: req.regime, budgetMs, chosen: d.config.name, predictedMs: d.predictedMs, upperMs: d.upperMs, actualMs,
        withinBudget: actualMs <= budgetMs, controllerSaidFits: d.fits, feasible: best !== null, hindsightBest: best?.name ?? null,
        chosenAccuracy: scale.of(d.config), hindsightAccuracy: best ? scale.of(best) : null, measured,
      };
      rows.get(v)!.push(row);
      console.log(`${String(i + 1).padStart(3)} ${args.variants.length > 1 ? `${v.padEnd(9)} ` : ''}n=${String(row.n).padStart(3)} ${row.regime.padEnd(6)} budget ${budgetMs.toFixed(1).padStart(7)} ms -> ${row.chosen.padEnd(10)} ` +
        `pred ${row.predictedMs.toFixed(1).padStart(7)} actual ${actualMs.toFixed(1).padStart(7)} ${row.withinBudget ? 'ok  ' : 'MISS'} ` +
        `hindsight ${row.hindsightBest ?? '(none fits)'}`);
    }
  }
  for (const x of rerankers.values()) await x.dispose();
  const loadAfter = loadavg()[0]!;

  const results = args.variants.map((v) => ({ variant: v, label: VARIANTS[v].label, ...summarize(rows.get(v)!, scale.label) }));
  const lines = results.flatMap((x) => (args.variants.length > 1 ? [`${x.variant}: ${x.label}`, ...x.lines] : x.lines));
  const cmd = `node --import tsx bench/controller.ts --model ${args.model} --requests ${args.requests} --hindsight ${args.hindsight} --threads ${args.threads} --seed ${args.seed}${args.safety === undefined ? '' : ` --safety ${args.safety}`}${args.variants.join(',') === 'default' ? '' : ` --variants ${args.variants.join(',')}`}`;
  console.log(lines.join('\n'));
  mkdirSync('bench/out', { recursive: true });
  writeFileSync('bench/out/controller.json', JSON.stringify({ args, info: { name: info.name, backend: info.backend, reason: info.reason }, fit,
    results: results.map(({ variant, summary }) => ({ variant, summary })), rows: Object.fromEntries(rows) }, null, 1));
  const m = describeMachine();
  const md = [
    '# Controller benchmark',
    '',
    'Does `rank(query, passages, { budgetMs })` meet its budget after calibration, and how accurate is the configuration the',
    'adaptive controller (src/controller/) picks compared with the best configuration that met the budget in hindsight?',
    'Method: see the header of bench/controller.ts. Per-request rows: bench/out/controller.json (not committed).',
    ...(args.variants.length > 1 ? ['Variants answer the same requests under the same budgets, in rotated order, each with its own calibration.'] : []),
    '',
    '```',
    cmd,
    '```',
    '',
    `- model: ${info.name} (${args.model}), ${configs.length} configurations, hindsight over ${hindsight.length} (${args.hindsight}); backend ${info.backend} (${info.reason}), ${args.threads} thread(s), in-thread engine (Node)`,
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, ${m.runtime}`, // how busy it was: the load-average line below
    `- 1-minute load average: ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end (${m.cores} cores)`,
    `- calibration (including model load): ${(calibrationMs.get(measuredBy)! / 1000).toFixed(1)} s, ${rr.controller.calibration!.samples.length} probes, fit spread ${fit.spread.toFixed(3)} (log units)`,
    `- accuracy scale: ${scale.label}`,
    '',
    '```',
    ...lines,
    '```',
    '',
    `Run on ${new Date().toISOString().slice(0, 10)}.`,
    '',
  ].join('\n');
  writeFileSync(args.report, md);
  console.log(`wrote ${args.report} and bench/out/controller.json`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

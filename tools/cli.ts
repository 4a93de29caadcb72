/**
 * Command line (Node, WASM): the same engine as the browser.
 *
 *   node --import tsx tools/cli.ts golden --model models/minilm-l6-scifact
 *   node --import tsx tools/cli.ts rank --model test/fixtures/tiny --query "gene" --config d2 < passages.txt
 *   node --import tsx tools/cli.ts rank --model ... --query q --passages passages.json --stages 2:20,6
 *   node --import tsx tools/cli.ts info --model ...
 *
 * `rank` reads passages from --passages (a JSON array of strings) or one per line on stdin.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readBundleJson } from '../src/bundle';
import { Engine } from '../src/engine';
import type { ProgressiveStage, RerankConfig } from '../src/types';

interface GoldenFile {
  tolerance: number;
  cases: { config: RerankConfig; query: string; passages: string[]; inputIds: number[][]; scores: number[] }[];
}

const USAGE = 'usage: cli.ts <golden|rank|info> --model <bundle> [--query q] [--passages file.json] [--config name|json] [--stages 2:20,4] [--topK n] [--threads n]';

function parseStages(spec: string): ProgressiveStage[] {
  return spec.split(',').map((s) => {
    const [d, k] = s.split(':');
    return k === undefined ? { depth: Number(d) } : { depth: Number(d), keep: Number(k) };
  });
}

async function golden(engine: Engine, model: string): Promise<number> {
  const g = (await readBundleJson(model, 'golden.json')) as GoldenFile;
  let worst = 0;
  let tokenMismatches = 0;
  for (const c of g.cases) {
    const r = await engine.rank(c.query, c.passages, { config: c.config });
    const d = Math.max(...r.results.map((x) => Math.abs(x.score - c.scores[x.index]!)));
    worst = Math.max(worst, d);
    console.log(`${engine.configName(c.config).padEnd(18)} max |diff| ${d.toExponential(2)}${d > g.tolerance ? '  FAIL' : ''}`);
  }
  // Tokenizer parity, separately from the model.
  for (const c of g.cases) {
    engine.encode(c.query, c.passages).inputIds.forEach((ids, i) => { if (ids.join() !== c.inputIds[i]!.join()) tokenMismatches++; });
  }
  console.log(`cases ${g.cases.length}, max |diff| ${worst.toExponential(2)} (tolerance ${g.tolerance}), tokenizer mismatches ${tokenMismatches}`);
  return worst <= g.tolerance && tokenMismatches === 0 ? 0 : 1;
}

/** A command-line mistake: printed as `cli: <message>` with the usage, exit code 2. */
class UsageError extends Error {}

/** Read --passages (a JSON array of strings) or stdin (one passage per line). */
function readPassages(file: string | undefined): string[] {
  if (file === undefined) return readFileSync(0, 'utf8').split('\n').filter((l) => l.trim().length > 0);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(`cannot read --passages file ${file} (${code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--passages file ${file} is not valid JSON (${(e as Error).message}); it must be a JSON array of strings, or pass passages one per line on stdin`);
  }
  if (!Array.isArray(json) || json.some((p) => typeof p !== 'string')) {
    throw new UsageError(`--passages file ${file} must be a JSON array of strings`);
  }
  return json as string[];
}

function parseConfig(spec: string | undefined): RerankConfig | string | undefined {
  if (!spec?.startsWith('{')) return spec;
  try {
    return JSON.parse(spec) as RerankConfig;
  } catch (e) {
    throw new UsageError(`--config ${spec} is not valid JSON (${(e as Error).message}); pass a configuration name such as d4-c2-r4 or JSON like {"depth":4}`);
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' }, query: { type: 'string' }, passages: { type: 'string' }, config: { type: 'string' },
        stages: { type: 'string' }, topK: { type: 'string' }, threads: { type: 'string' }, help: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { positionals, values } = parsed;
  const cmd = positionals[0];
  if (values.help || !cmd || !values.model || !['info', 'golden', 'rank'].includes(cmd)) { console.error(USAGE); return 2; }
  // Inputs are read before the model loads, so a mistake in them is reported at once.
  const passages = cmd === 'rank' ? readPassages(values.passages) : [];
  const config = parseConfig(values.config);
  const engine = await Engine.create({ model: values.model, backend: 'wasm', numThreads: Number(values.threads ?? 1) });
  try {
    if (cmd === 'info') { console.log(JSON.stringify(await engine.info(), null, 2)); return 0; }
    if (cmd === 'golden') return await golden(engine, values.model);
    const query = values.query ?? '';
    const r = values.stages
      ? await engine.rankProgressive(query, passages, { stages: parseStages(values.stages) })
      : await engine.rank(query, passages, { ...(config ? { config } : {}), ...(values.topK ? { topK: Number(values.topK) } : {}) });
    for (const x of r.results) {
      console.log(`${x.score.toFixed(4)}\t${x.index}\t${x.truncated ? 'T' : '-'}\t${passages[x.index]!.slice(0, 80)}`);
    }
    console.error(`backend ${r.backend}, config ${JSON.stringify(r.config)}, model ${r.timings.modelMs.toFixed(1)} ms, total ${r.timings.totalMs.toFixed(1)} ms`);
    return 0;
  } finally {
    await engine.dispose();
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`cli: ${e.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  process.exitCode = 1;
});

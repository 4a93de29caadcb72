/**
 * TREC run files (`qid Q0 docid rank score tag`, whitespace-separated), the format trec_eval,
 * pytrec_eval and ir-measures read. Scores are written with full precision (shortest
 * round-trip form), so a reader gets back the exact doubles.
 */
import { readLines } from '../../tools/data/lines';

/** query id -> [document id, score] pairs, in any order. */
export type ScoredRun = Map<string, Array<readonly [string, number]>>;

/** Serialises a run; each query's documents are written best first. */
export function formatTrecRun(run: ScoredRun, tag = 'run'): string {
  if (/\s/.test(tag) || tag === '') throw new Error(`Run tag "${tag}" must be a non-empty word without spaces.`);
  const lines: string[] = [];
  for (const [qid, docs] of run) {
    const sorted = [...docs].sort((a, b) => b[1] - a[1]);
    sorted.forEach(([docid, score], i) => {
      if (/\s/.test(qid) || /\s/.test(docid)) throw new Error(`Ids in a TREC run cannot contain spaces: query "${qid}", document "${docid}".`);
      lines.push(`${qid} Q0 ${docid} ${i + 1} ${String(score)} ${tag}`);
    });
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Reads a TREC run file (path or URL). Ranks and tags are ignored: scores decide the order. */
export async function readTrecRun(location: string): Promise<ScoredRun> {
  const run: ScoredRun = new Map();
  for await (const { text, lineNumber } of readLines(location)) {
    if (text.trim() === '') continue;
    const cols = text.trim().split(/\s+/);
    if (cols.length < 6) throw new Error(`${location}:${lineNumber}: expected "qid Q0 docid rank score tag", got ${cols.length} columns.`);
    const [qid, , docid, , scoreText] = cols as [string, string, string, string, string];
    const score = Number(scoreText);
    if (!Number.isFinite(score)) throw new Error(`${location}:${lineNumber}: score "${scoreText}" is not a finite number.`);
    let docs = run.get(qid);
    if (!docs) {
      docs = [];
      run.set(qid, docs);
    }
    docs.push([docid, score]);
  }
  return run;
}

/**
 * Loader for a BEIR-format folder (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`),
 * from a local path (Node) or a URL (browser, Node). Files are parsed line by line.
 */
import { DataFileError, exists, joinLocation, listFolder, readLines } from './lines';

export interface BeirDocument {
  id: string;
  /** Empty when the corpus has no title for the document. */
  title: string;
  text: string;
}

export interface BeirQuery {
  id: string;
  text: string;
}

/** Relevance judgements: query id -> document id -> grade (> 0 relevant, 0 judged non-relevant). */
export type Qrels = Map<string, Map<string, number>>;

export interface BeirDataset {
  /** Folder it was loaded from. */
  location: string;
  split: string;
  /** All documents, in file order. */
  corpus: BeirDocument[];
  /** Same documents by id. */
  corpusById: Map<string, BeirDocument>;
  /** Queries of the split: those with at least one judgement in its qrels, in `queries.jsonl` order. */
  queries: BeirQuery[];
  qrels: Qrels;
  /** Non-fatal oddities (qrels naming unknown queries or documents), one line each. */
  warnings: string[];
}

/** A malformed line in a dataset file. */
export class BeirFormatError extends Error {
  readonly file: string;
  readonly lineNumber: number;
  constructor(file: string, lineNumber: number, message: string) {
    super(`${file}:${lineNumber}: ${message}`);
    this.name = 'BeirFormatError';
    this.file = file;
    this.lineNumber = lineNumber;
  }
}

/** The requested split has no `qrels/<split>.tsv`. */
export class UnknownSplitError extends Error {
  readonly split: string;
  /** Splits found in the folder (empty when they could not be listed). */
  readonly available: string[];
  constructor(split: string, available: string[], folder: string) {
    const hint = available.length > 0
      ? `Available splits: ${available.join(', ')}.`
      : 'No qrels/<split>.tsv found; BEIR folders usually have test, dev or train.';
    super(`Split "${split}" not found in ${folder} (no qrels/${split}.tsv). ${hint} Pass one of them as the split.`);
    this.name = 'UnknownSplitError';
    this.split = split;
    this.available = available;
  }
}

export interface LoadBeirOptions {
  /** Qrels split to load (`qrels/<split>.tsv`). Default `test`. */
  split?: string;
  /** Load at most this many documents (for smoke tests). Default: all. */
  maxDocuments?: number;
  /**
   * Keep only queries of the split whose ids pass this filter (e.g. the scifact dev split, see
   * `dev-split.ts`). Default: keep all.
   */
  queryFilter?: (queryId: string) => boolean;
}

/** Defaults merged under the caller's options. */
export const defaultLoadBeirOptions = { split: 'test' } satisfies LoadBeirOptions;

const PROBED_SPLITS = ['train', 'dev', 'validation', 'test'];

function parseJsonLine(file: string, lineNumber: number, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new BeirFormatError(file, lineNumber, `invalid JSON (${reason}). Each line must be one JSON object.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BeirFormatError(file, lineNumber, 'expected a JSON object per line.');
  }
  return value as Record<string, unknown>;
}

function idField(file: string, lineNumber: number, obj: Record<string, unknown>): string {
  const id = obj['_id'];
  if (typeof id === 'string' && id.length > 0) return id;
  if (typeof id === 'number') return String(id);
  throw new BeirFormatError(file, lineNumber, 'missing "_id" (a non-empty string) in the object.');
}

function textField(file: string, lineNumber: number, obj: Record<string, unknown>, key: string, required: boolean): string {
  const value = obj[key];
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) {
    if (!required) return '';
    throw new BeirFormatError(file, lineNumber, `missing "${key}" (a string) in the object.`);
  }
  throw new BeirFormatError(file, lineNumber, `"${key}" must be a string, got ${typeof value}.`);
}

/**
 * The records of a BEIR JSONL file: one object per non-empty line, ids unique (`kind` names
 * them in errors); `make` reads the record's other fields. Stops after `max` records.
 */
async function readRecords<T>(
  location: string,
  kind: 'document' | 'query',
  make: (id: string, field: (key: string, required: boolean) => string) => T,
  max?: number,
): Promise<T[]> {
  const records: T[] = [];
  const seen = new Set<string>();
  const Kind = kind === 'document' ? 'Document' : 'Query';
  for await (const { text, lineNumber } of readLines(location)) {
    if (text.trim() === '') continue;
    const obj = parseJsonLine(location, lineNumber, text);
    const id = idField(location, lineNumber, obj);
    if (seen.has(id)) throw new BeirFormatError(location, lineNumber, `duplicate ${kind} id "${id}". ${Kind} ids must be unique.`);
    seen.add(id);
    records.push(make(id, (key, required) => textField(location, lineNumber, obj, key, required)));
    if (max !== undefined && records.length >= max) break;
  }
  return records;
}

/** Reads `corpus.jsonl`-style documents. */
export function readCorpus(location: string, maxDocuments?: number): Promise<BeirDocument[]> {
  return readRecords(location, 'document', (id, field) => ({ id, title: field('title', false), text: field('text', true) }), maxDocuments);
}

/** Reads `queries.jsonl`-style queries. */
export function readQueries(location: string): Promise<BeirQuery[]> {
  return readRecords(location, 'query', (id, field) => ({ id, text: field('text', true) }));
}

/**
 * Reads a qrels TSV: `query-id corpus-id score`, tab-separated, with an optional header line.
 * A repeated (query, document) pair keeps its last grade.
 */
export async function readQrels(location: string): Promise<Qrels> {
  const qrels: Qrels = new Map();
  let first = true;
  for await (const { text, lineNumber } of readLines(location)) {
    if (text.trim() === '') continue;
    const cols = text.split('\t');
    if (first) {
      first = false;
      if (cols[0]?.trim() === 'query-id' || Number.isNaN(Number(cols[2]))) continue; // header
    }
    if (cols.length < 3) {
      throw new BeirFormatError(location, lineNumber, `expected 3 tab-separated columns "query-id corpus-id score", got ${cols.length}.`);
    }
    const [qid, docid, gradeText] = cols as [string, string, string];
    const grade = Number(gradeText.trim());
    if (!Number.isFinite(grade)) {
      throw new BeirFormatError(location, lineNumber, `score "${gradeText}" is not a number.`);
    }
    let judged = qrels.get(qid.trim());
    if (!judged) {
      judged = new Map();
      qrels.set(qid.trim(), judged);
    }
    judged.set(docid.trim(), grade);
  }
  return qrels;
}

/** Splits that have a `qrels/<split>.tsv` in the folder (listed under Node, probed over HTTP). */
export async function availableSplits(folder: string): Promise<string[]> {
  const listed = await listFolder(joinLocation(folder, 'qrels'));
  if (listed) return listed.filter((f) => f.endsWith('.tsv')).map((f) => f.slice(0, -4));
  const found: string[] = [];
  for (const split of PROBED_SPLITS) {
    if (await exists(joinLocation(folder, `qrels/${split}.tsv`))) found.push(split);
  }
  return found;
}

/**
 * Loads a BEIR folder for one split.
 * @param folder Local path (Node) or URL of the folder holding `corpus.jsonl`.
 */
export async function loadBeir(folder: string, options: LoadBeirOptions = {}): Promise<BeirDataset> {
  const opts = { ...defaultLoadBeirOptions, ...options };
  const qrelsLocation = joinLocation(folder, `qrels/${opts.split}.tsv`);
  if (!(await exists(qrelsLocation))) {
    if (!(await exists(joinLocation(folder, 'corpus.jsonl')))) {
      throw new DataFileError(folder, `${folder} is not a BEIR folder: corpus.jsonl is missing. Point to the folder that holds corpus.jsonl, queries.jsonl and qrels/.`);
    }
    throw new UnknownSplitError(opts.split, await availableSplits(folder), folder);
  }
  const [corpus, allQueries, rawQrels] = await Promise.all([
    readCorpus(joinLocation(folder, 'corpus.jsonl'), opts.maxDocuments),
    readQueries(joinLocation(folder, 'queries.jsonl')),
    readQrels(qrelsLocation),
  ]);
  const corpusById = new Map(corpus.map((d) => [d.id, d] as const));
  const warnings: string[] = [];
  const queryIds = new Set(allQueries.map((q) => q.id));
  const missingQueries = [...rawQrels.keys()].filter((id) => !queryIds.has(id));
  if (missingQueries.length > 0) {
    warnings.push(`${missingQueries.length} qrels query ids are not in queries.jsonl (e.g. "${missingQueries[0]}"); they are ignored.`);
  }
  let missingDocs = 0;
  for (const judged of rawQrels.values()) for (const docid of judged.keys()) if (!corpusById.has(docid)) missingDocs += 1;
  if (missingDocs > 0 && opts.maxDocuments === undefined) {
    warnings.push(`${missingDocs} qrels judgements name documents missing from corpus.jsonl; they can never be retrieved.`);
  }
  const keep = opts.queryFilter ?? (() => true);
  const queries = allQueries.filter((q) => rawQrels.has(q.id) && keep(q.id));
  const qrels: Qrels = new Map(queries.map((q) => [q.id, rawQrels.get(q.id) ?? new Map<string, number>()] as const));
  return { location: folder, split: opts.split, corpus, corpusById, queries, qrels, warnings };
}

/**
 * The demo's corpus: the embedded default (public/corpus/default.json, text written for this
 * project), a BEIR folder by URL (served by vite, e.g. /@fs/<abs path>), or files the user
 * picks: BEIR corpus.jsonl (+ queries.jsonl), or plain .txt/.md files split into paragraphs.
 */
import { joinLocation } from '../tools/data/lines';
import { readCorpus, readQueries, type BeirDocument } from '../tools/data/beir';

export interface DemoCorpus {
  name: string;
  documents: BeirDocument[];
  /** Example queries shown as chips. */
  queries: string[];
}

interface DefaultFile {
  name: string;
  description: string;
  documents: { id: string; title: string; text: string }[];
  queries: { id: string; text: string }[];
}

/** The embedded default corpus (works offline: it is part of the page). */
export async function loadDefaultCorpus(): Promise<DemoCorpus> {
  // Beside the page (public/ is copied next to index.html): the dev server's root or a build's base.
  const url = new URL('corpus/default.json', location.href);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`default corpus: HTTP ${res.status} for ${url.pathname} (is public/ served?)`);
  const file = (await res.json()) as DefaultFile;
  return {
    name: `default: ${file.documents.length} passages on six topics`,
    documents: file.documents.map(({ id, title, text }) => ({ id, title, text })),
    queries: file.queries.map((q) => q.text),
  };
}

/**
 * Why `url` cannot be read as a corpus file, in words a newcomer can act on, or null when it
 * can. Dev servers answer a missing file with their index page (HTTP 200, text/html), so the
 * content type is checked as well as the status.
 */
export async function corpusUrlProblem(url: string): Promise<string | null> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'HEAD', cache: 'no-store' });
  } catch (e) {
    return `cannot reach ${url} (${(e as Error).message}): check the address and that the server is running`;
  }
  if (res.status === 403) {
    return `the server refuses to serve ${url} (HTTP 403 forbidden). The demo's dev server serves this project's files and local BEIR folders under /datasets/<name> ` +
      '(from ../shared/datasets, or the folder in the MRR_DATASETS environment variable); other folders are off limits: use "BEIR files or your own text" to pick them instead';
  }
  if (res.status === 404) return `there is no ${url} (HTTP 404): check the folder name; a BEIR folder holds corpus.jsonl (and queries.jsonl)`;
  if (!res.ok) return `the server answered HTTP ${res.status} for ${url}`;
  if ((res.headers.get('content-type') ?? '').includes('text/html')) {
    return `there is no corpus.jsonl at ${url}: the server answered with a web page instead (the folder does not exist?); a BEIR folder holds corpus.jsonl (and queries.jsonl)`;
  }
  return null;
}

/** A BEIR folder at a URL: corpus.jsonl and, if present, queries.jsonl. */
export async function loadBeirUrl(folder: string, maxDocuments = 50_000): Promise<DemoCorpus> {
  const base = new URL(folder.endsWith('/') ? folder : `${folder}/`, location.href).href;
  const problem = await corpusUrlProblem(joinLocation(base, 'corpus.jsonl'));
  if (problem) throw new Error(problem);
  const documents = await readCorpus(joinLocation(base, 'corpus.jsonl'), maxDocuments);
  const queries = await readQueries(joinLocation(base, 'queries.jsonl')).catch(() => []);
  return { name: `BEIR ${folder}: ${documents.length} documents`, documents, queries: queries.slice(0, 12).map((q) => q.text) };
}

/** Paragraphs of a text file as passages (title: file name). */
function textPassages(name: string, text: string): BeirDocument[] {
  return text.split(/\r?\n\s*\r?\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 0)
    .map((p, i) => ({ id: `${name}#${i + 1}`, title: name, text: p }));
}

/** Files from an <input type=file> (or a folder): BEIR jsonl files and/or text files. */
export async function loadFiles(files: readonly File[]): Promise<DemoCorpus> {
  const byName = (n: string) => files.find((f) => f.name === n);
  const corpusFile = byName('corpus.jsonl') ?? files.find((f) => f.name.endsWith('.jsonl') && !f.name.startsWith('queries'));
  if (corpusFile) {
    const url = URL.createObjectURL(corpusFile);
    try {
      const documents = await readCorpus(url, 50_000);
      const qf = byName('queries.jsonl');
      let queries: string[] = [];
      if (qf) {
        const qurl = URL.createObjectURL(qf);
        try { queries = (await readQueries(qurl)).slice(0, 12).map((q) => q.text); } finally { URL.revokeObjectURL(qurl); }
      }
      return { name: `${corpusFile.name}: ${documents.length} documents`, documents, queries };
    } finally {
      URL.revokeObjectURL(url);
    }
  }
  const texts = files.filter((f) => /\.(txt|md|markdown|text)$/i.test(f.name));
  if (texts.length === 0) throw new Error('no usable file: pick corpus.jsonl (+ queries.jsonl) in BEIR format, or .txt/.md files');
  const documents = (await Promise.all(texts.map(async (f) => textPassages(f.name, await f.text())))).flat();
  if (documents.length === 0) throw new Error('the text files are empty');
  return { name: `${texts.length} text file(s): ${documents.length} paragraphs`, documents, queries: [] };
}

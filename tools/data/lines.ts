/**
 * Line-by-line reading of a text file from a local path (Node) or a URL (browser and Node),
 * streamed so that a large `corpus.jsonl` never has to sit in memory as one string.
 */

/** A file that could not be opened: missing, unreadable or an HTTP error. */
export class DataFileError extends Error {
  /** The path or URL that failed. */
  readonly location: string;
  constructor(location: string, message: string) {
    super(message);
    this.name = 'DataFileError';
    this.location = location;
  }
}

/** True for `http:`, `https:`, `file:`, `blob:` and `data:` locations; false for plain paths. */
export function isUrl(location: string): boolean {
  return /^(https?|file|blob|data):/i.test(location);
}

/** True when running under Node (or a Node-compatible runtime with `process.versions.node`). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Joins a folder location (path or URL) and a relative file name. */
export function joinLocation(folder: string, file: string): string {
  if (isUrl(folder)) return new URL(file, folder.endsWith('/') ? folder : `${folder}/`).href;
  if (!isNode() && typeof location !== 'undefined') {
    // A relative URL in the browser (e.g. `datasets/adi`): resolve against the page.
    return new URL(file, new URL(folder.endsWith('/') ? folder : `${folder}/`, location.href)).href;
  }
  return folder.endsWith('/') ? `${folder}${file}` : `${folder}/${file}`;
}

/** One line of a file, without its line ending, with its 1-based line number. */
export interface Line {
  text: string;
  lineNumber: number;
}

/** Splits a stream of text chunks into lines (`\n` or `\r\n`). */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<Line> {
  let rest = '';
  let lineNumber = 0;
  for await (const chunk of chunks) {
    rest += chunk;
    let start = 0;
    let nl = rest.indexOf('\n', start);
    while (nl !== -1) {
      lineNumber += 1;
      const end = nl > start && rest.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield { text: rest.slice(start, end), lineNumber };
      start = nl + 1;
      nl = rest.indexOf('\n', start);
    }
    rest = rest.slice(start);
  }
  if (rest.length > 0) {
    lineNumber += 1;
    yield { text: rest.endsWith('\r') ? rest.slice(0, -1) : rest, lineNumber };
  }
}

async function* decodeStream(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield decoder.decode(value, { stream: true });
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  } finally {
    reader.releaseLock();
  }
}

async function* fetchChunks(url: string): AsyncGenerator<string> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new DataFileError(url, `Could not fetch ${url}: ${String(err)}. Check the URL and that the server allows the request (CORS).`);
  }
  if (!response.ok) {
    throw new DataFileError(url, `Could not fetch ${url}: HTTP ${response.status} ${response.statusText}. Check that the file exists at that URL.`);
  }
  if (!response.body) {
    yield await response.text();
    return;
  }
  yield* decodeStream(response.body);
}

async function* fileChunks(path: string): AsyncGenerator<string> {
  const fs = await import('node:fs');
  try {
    await fs.promises.access(path, fs.constants.R_OK);
  } catch {
    throw new DataFileError(path, `File not found or not readable: ${path}. Check the path (relative paths are resolved from ${process.cwd()}).`);
  }
  const stream = fs.createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream) yield chunk as string;
}

/**
 * Streams the lines of a file. `location` is a URL (fetched) or, under Node, a local path.
 * Throws {@link DataFileError} when the file cannot be opened.
 */
export function readLines(location: string): AsyncGenerator<Line> {
  if (isUrl(location) && !/^file:/i.test(location)) return splitLines(fetchChunks(location));
  if (!isNode()) return splitLines(fetchChunks(location));
  const path = /^file:/i.test(location) ? decodeURIComponent(new URL(location).pathname) : location;
  return splitLines(fileChunks(path));
}

/** True when the file exists (path) or answers with a 2xx status (URL). */
export async function exists(location: string): Promise<boolean> {
  if (isNode() && !(isUrl(location) && !/^file:/i.test(location))) {
    const fs = await import('node:fs');
    const path = /^file:/i.test(location) ? decodeURIComponent(new URL(location).pathname) : location;
    return fs.existsSync(path);
  }
  try {
    const response = await fetch(location, { method: 'HEAD' });
    return response.ok;
  } catch {
    return false;
  }
}

/** Lists file names in a local folder (Node only); `undefined` when listing is not possible. */
export async function listFolder(folder: string): Promise<string[] | undefined> {
  if (!isNode() || (isUrl(folder) && !/^file:/i.test(folder))) return undefined;
  const fs = await import('node:fs');
  const path = /^file:/i.test(folder) ? decodeURIComponent(new URL(folder).pathname) : folder;
  try {
    return (await fs.promises.readdir(path)).sort();
  } catch {
    return undefined;
  }
}

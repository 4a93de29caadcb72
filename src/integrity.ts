/**
 * Bundle file integrity (docs/bundle-format.md, "files"): every file the runtime reads has its
 * size and SHA-256 in manifest.json, checked right after the file is read (from the network,
 * the Cache API or disk). One mechanism for loading and caching: a file that does not match is
 * refused with a BundleError naming it, never run.
 */
import { BundleError } from './errors';

/** One entry of the manifest's `files` table. */
export interface FileEntry {
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of the file's bytes, lower-case hex (64 characters). */
  sha256: string;
}

type Subtle = { digest(algorithm: string, data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> };

/** WebCrypto's `subtle`, or null where it is missing (pages served over plain http from a remote host). */
function subtle(): Subtle | null {
  const c = (globalThis as { crypto?: { subtle?: Subtle } }).crypto;
  return c?.subtle && typeof c.subtle.digest === 'function' ? c.subtle : null;
}

/** True where SHA-256 can be computed (secure contexts and Node >= 20). */
export function canHash(): boolean {
  return subtle() !== null;
}

/** SHA-256 of `data` as lower-case hex (WebCrypto: browsers' secure contexts and Node). */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const s = subtle();
  if (!s) throw new BundleError('MatryoshkaReranker: crypto.subtle is not available here (serve the page over https or from localhost)');
  const digest = new Uint8Array(await s.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Check one file against its manifest entry; throws BundleError naming the file and what
 * differs. Sizes are always checked; the hash wherever WebCrypto exists (see `canHash`).
 */
export async function verifyFile(file: string, data: Uint8Array, entry: FileEntry | undefined, where: string): Promise<void> {
  const fix = 're-download or re-export the bundle (a cached copy is dropped and fetched again automatically)';
  if (!entry) {
    throw new BundleError(`MatryoshkaReranker: manifest.json has no "files" entry (bytes, sha256) for ${file} at ${where}; ${fix}`);
  }
  if (data.byteLength !== entry.bytes) {
    throw new BundleError(`MatryoshkaReranker: bundle file ${file} at ${where} is damaged: ${data.byteLength} bytes, manifest.json says ${entry.bytes} (truncated or partly downloaded?); ${fix}`);
  }
  if (!canHash()) return;
  const got = await sha256Hex(data);
  if (got !== entry.sha256) {
    throw new BundleError(`MatryoshkaReranker: bundle file ${file} at ${where} is damaged: its SHA-256 is ${got}, manifest.json says ${entry.sha256}; ${fix}`);
  }
}

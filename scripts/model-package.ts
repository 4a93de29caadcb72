/**
 * Writes the npm package files of a model bundle folder (docs/model-package.md):
 * `index.js` (every bundle file as `new URL('./<file>', import.meta.url)`, so a bundler emits the
 * files and Node resolves them in place), `index.d.ts`, and `package.json`'s `files` (manifest.json,
 * the files it lists, and those of the package itself: nothing the runtime does not read).
 * The file list comes from `bundleFiles` (src/bundle.ts), the loader's own list.
 *
 *   node --import tsx scripts/model-package.ts models/minilm-l6-scifact [--check]
 *
 * With --check nothing is written: it fails if the committed files differ from what it would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFiles } from '../src/manifest';
import { parseManifest } from '../src/manifest';

export const PACKAGE_FILES = ['index.js', 'index.d.ts', 'README.md'];

export interface ModelPackageFiles {
  'index.js': string;
  'index.d.ts': string;
  'package.json': string;
}

/** What the generator writes for the bundle in `dir` (whose package.json must exist). */
export function modelPackageFiles(dir: string): ModelPackageFiles {
  const manifest = parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; files?: string[] };
  const files = ['manifest.json', ...bundleFiles(manifest)];
  const entries = files.map((f) => `  ${JSON.stringify(f)}: new URL(${JSON.stringify(`./${f}`)}, import.meta.url).href,`).join('\n');
  const js = `// Generated from manifest.json by scripts/model-package.ts: do not edit.
/**
 * The ${manifest.name} re-ranking model for matryoshka-reranker, as a map of its files.
 * Each file is written as new URL('./<file>', import.meta.url), so a bundler (Vite, webpack 5,
 * Parcel) emits it with your app and rewrites the URL, and Node reads it from this package.
 *
 *   import model from '${pkg.name}';
 *   const rr = await createWorkerReranker({ model });
 */
const files = {
${entries}
};

/** The model for option \`model\` of createReranker / createWorkerReranker / isCached / clearCache. */
export const model = { name: ${JSON.stringify(pkg.name)}, files };
export default model;

/** The names of the bundle's files: copy these to self-host the model, then pass the folder URL as \`model\`. */
export const fileNames = Object.keys(files);
`;
  const dts = `// Generated from manifest.json by scripts/model-package.ts: do not edit.
/** A bundle as a map of its files (matryoshka-reranker's \`ModelFiles\`). */
export interface ModelFiles {
  name: string;
  /** URL of each bundle file by its name in manifest.json. */
  files: Record<string, string>;
}
/** The model for option \`model\` of createReranker / createWorkerReranker / isCached / clearCache. */
export declare const model: ModelFiles;
export default model;
/** The names of the bundle's files: copy these to self-host the model, then pass the folder URL as \`model\`. */
export declare const fileNames: readonly string[];
`;
  const json = `${JSON.stringify({ ...pkg, files: [...PACKAGE_FILES, ...files] }, null, 2)}\n`;
  return { 'index.js': js, 'index.d.ts': dts, 'package.json': json };
}

function main(): number {
  const [dir, flag] = process.argv.slice(2);
  if (!dir) { console.error('usage: node --import tsx scripts/model-package.ts <bundle folder> [--check]'); return 2; }
  const want = modelPackageFiles(dir);
  let stale = 0;
  for (const [name, text] of Object.entries(want)) {
    const path = join(dir, name);
    let have = '';
    try { have = readFileSync(path, 'utf8'); } catch { /* missing */ }
    if (have === text) continue;
    if (flag === '--check') { console.error(`model-package: ${path} is out of date; run node --import tsx scripts/model-package.ts ${dir}`); stale++; }
    else { writeFileSync(path, text); console.log(`model-package: wrote ${path}`); }
  }
  return stale ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(main());

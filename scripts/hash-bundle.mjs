#!/usr/bin/env node
/**
 * Write (or refresh) the `files` table of a bundle's manifest.json: size and SHA-256 of every
 * file the runtime reads (docs/bundle-format.md, "files"). The trainer's exporter writes the
 * same table; this script adds it to a bundle exported before the field existed, without
 * touching any other file or any other line of the manifest (the table goes last).
 *
 *   node scripts/hash-bundle.mjs models/minilm-l6-scifact [--check]
 *
 * --check: write nothing; exit 1 if the table is missing or any file differs from it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, flag] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/hash-bundle.mjs <bundle folder> [--check]');
  process.exit(2);
}
const path = join(dir, 'manifest.json');
const text = readFileSync(path, 'utf8');
const m = JSON.parse(text);
const g = m.graphs;
const names = [m.input.tokenizer, m.input.tokenizerConfig, g.embeddings, ...(g.layerWeights ?? []), ...g.layers,
  ...(g.plainLayers ?? []), ...(g.dequantized?.layers ?? []), ...(g.dequantized?.plainLayers ?? []),
  g.compress, m.adapters.file, m.golden].filter((f) => typeof f === 'string');
const files = {};
for (const f of names) {
  const data = readFileSync(join(dir, f));
  files[f] = { bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
}

if (flag === '--check') {
  const bad = names.filter((f) => JSON.stringify(m.files?.[f]) !== JSON.stringify(files[f]));
  for (const f of bad) console.error(`${f}: manifest ${JSON.stringify(m.files?.[f])}, file ${JSON.stringify(files[f])}`);
  console.log(`${names.length - bad.length}/${names.length} files match ${path}`);
  process.exit(bad.length ? 1 : 0);
}

// Keep every other byte of the manifest: drop an old table (always last), append the new one
// in the layout Python's json.dumps(indent=1) uses.
let head = text.replace(/\s*$/, '');
const at = head.lastIndexOf(',\n "files": {');
if (at >= 0) head = head.slice(0, at) + '\n}';
if (!head.endsWith('\n}')) throw new Error(`${path}: expected a JSON object ending in "\\n}"`);
const table = JSON.stringify(files, null, 1).replace(/\n/g, '\n ');
writeFileSync(path, `${head.slice(0, -2)},\n "files": ${table}\n}`);
console.log(`${path}: files table with ${names.length} entries`);

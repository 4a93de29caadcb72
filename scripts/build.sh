#!/usr/bin/env bash
# `npm run build`: the library as ES modules with type declarations in dist/ (docs/runtime.md,
# "Packaging"). tsc emits src/index.ts, src/controller/index.ts and the worker entry
# src/worker.ts (reached by worker-proxy.js as `new URL('./worker.js', import.meta.url)`, which
# Vite and webpack 5 bundle as a worker); scripts/dist-specifiers.mjs makes every relative import
# fully specified. onnxruntime-web stays a dependency: the consumer's bundler resolves it and emits
# its .wasm. The build is then checked: the files the package.json exports exist and import in Node.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rm -rf dist
npx tsc -p tsconfig.build.json
node scripts/dist-specifiers.mjs dist

fail() { echo "build: $*" >&2; exit 1; }
for f in index.js index.d.ts worker.js worker-proxy.js controller/index.js controller/index.d.ts; do
  [ -f "dist/$f" ] || fail "dist/$f is missing"
done
grep -q "new URL('./worker.js', import.meta.url)" dist/worker-proxy.js \
  || fail "dist/worker-proxy.js does not create its worker from new URL('./worker.js', import.meta.url)"
# Every export in package.json resolves, and the ES modules load in Node (fully specified imports).
node --input-type=module -e "
  const pkg = (await import('./package.json', { with: { type: 'json' } })).default;
  const fs = await import('node:fs');
  for (const [key, entry] of Object.entries(pkg.exports)) {
    if (typeof entry === 'string') continue;
    for (const target of [entry.types, entry.import]) {
      if (!fs.existsSync(target)) throw new Error('package.json exports[\"' + key + '\"] -> ' + target + ' does not exist');
    }
    const mod = await import(entry.import);
    if (Object.keys(mod).length === 0) throw new Error(entry.import + ' exports nothing');
  }
  const lib = await import('./dist/index.js');
  for (const name of ['createReranker', 'createWorkerReranker', 'MatryoshkaError']) {
    if (typeof lib[name] !== 'function') throw new Error('dist/index.js does not export ' + name);
  }
"
echo "build: dist/ ready ($(find dist -name '*.js' | wc -l) modules, $(du -sh dist | cut -f1))"

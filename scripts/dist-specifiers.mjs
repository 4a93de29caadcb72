/**
 * Post-process tsc's output in dist/ so it is a valid ES-module package for Node, Vite and
 * webpack (which all require fully specified relative imports in `"type": "module"` packages):
 *
 *   from './engine'                      -> from './engine.js'       (.js and .d.ts files)
 *   from './controller'                  -> from './controller/index.js'
 *   new URL('./worker.ts', import.meta.url) -> new URL('./worker.js', import.meta.url)
 *
 * Every relative specifier must resolve to an emitted file; one that does not fails the build.
 *
 *   node scripts/dist-specifiers.mjs dist
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const distDir = resolve(process.argv[2] ?? 'dist');
if (!existsSync(distDir)) {
  console.error(`dist-specifiers: ${distDir} does not exist; run tsc -p tsconfig.build.json first`);
  process.exit(1);
}

/** All files under `dir`. */
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const problems = [];

/** The fully specified form of relative specifier `spec` imported from `file` (a .js or .d.ts). */
function fullySpecified(file, spec) {
  const base = resolve(dirname(file), spec);
  const stem = spec.replace(/\.(ts|js)$/, '');
  const stemAbs = resolve(dirname(file), stem);
  if (existsSync(`${stemAbs}.js`)) return `${stem}.js`;
  if (existsSync(join(stemAbs, 'index.js'))) return `${stem}/index.js`;
  // Type-only modules emit a .d.ts and an (empty) .js; pure .d.ts sources emit nothing.
  if (file.endsWith('.d.ts') && existsSync(`${stemAbs}.d.ts`)) return `${stem}.js`;
  problems.push(`${relative(distDir, file)}: "${spec}" resolves to nothing in dist (${relative(distDir, base)})`);
  return spec;
}

// `from '…'`, `import '…'`, `import('…')`, `export … from '…'` with a relative specifier.
const staticRe = /(\bfrom\s*|\bimport\s*\(\s*(?:\/\*[^*]*\*\/\s*)*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;
// Worker / asset URLs: new URL('./x.ts', import.meta.url)
const urlRe = /(new\s+URL\(\s*)(['"])(\.{1,2}\/[^'"]*)\2(\s*,\s*import\.meta\.url\s*\))/g;

let rewritten = 0;
for (const file of walk(distDir)) {
  if (!file.endsWith('.js') && !file.endsWith('.d.ts')) continue;
  const before = readFileSync(file, 'utf8');
  const after = before
    .replace(staticRe, (_m, head, q, spec) => `${head}${q}${fullySpecified(file, spec)}${q}`)
    .replace(urlRe, (_m, head, q, spec, tail) => {
      if (!/\.ts$/.test(spec)) return `${head}${q}${spec}${q}${tail}`;
      return `${head}${q}${fullySpecified(file, spec)}${q}${tail}`;
    });
  if (after !== before) {
    writeFileSync(file, after);
    rewritten++;
  }
}

if (problems.length) {
  console.error(`dist-specifiers: ${problems.length} unresolved relative import(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`dist-specifiers: ${rewritten} files rewritten to fully specified imports`);

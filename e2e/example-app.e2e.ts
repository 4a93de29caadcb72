/**
 * The packages as an app gets them: `npm run build`, then `npm pack` of the library and of the
 * model package (models/minilm-l6-scifact), a copy of e2e/example-app in a temporary folder (no
 * path back into this repository) that `npm install`s the two tarballs, MiniSearch and Vite
 * (from npm's cache when it has them), is type-checked against the installed .d.ts, built with its
 * own `vite build` and served by its own `vite preview`. In Chromium the page searches with
 * MiniSearch and re-ranks in the library's worker with the installed model; the model scores it
 * shows must equal what the installed model package gives in Node, with no console errors.
 */
import { strict as assert } from 'node:assert';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Engine } from '../src/engine';
import type { ModelFiles } from '../src/types';
import { chromium } from 'playwright-core';
import { NAV_TIMEOUT_MS, chromiumArgs, chromiumPath } from './run';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const template = join(root, 'e2e/example-app');
const modelDir = join(root, 'models/minilm-l6-scifact');

interface PackResult { filename: string; files: { path: string; size: number }[]; size: number; unpackedSize: number }
interface Row { id: string; text: string; score: number; modelScore: number; firstStageScore: number }

/** Run a command; on failure the error carries its output. */
function sh(cmd: string, args: string[], cwd = root): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

function pack(dir: string, dest: string): PackResult {
  const out = sh('npm', ['pack', '--json', '--pack-destination', dest], dir);
  const [result] = JSON.parse(out.slice(out.indexOf('['))) as PackResult[];
  assert.ok(result, `npm pack in ${dir} printed no result`);
  return result;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => res(typeof a === 'object' && a ? a.port : 0)); });
  });
}

/** Start the app's own `vite preview` (or `vite`, the dev server); resolves once it answers. */
async function startVite(app: string, port: number, mode: 'preview' | 'dev'): Promise<ChildProcess> {
  const args = [...(mode === 'preview' ? ['preview'] : []), '--host', '127.0.0.1', '--port', String(port), '--strictPort'];
  const child = spawn(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), ...args], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`vite ${mode} exited (${child.exitCode}):\n${log}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) return child;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`vite ${mode} did not answer on port ${port}:\n${log}`);
}

export const tests = {
  async 'example app: packed library + packed model + MiniSearch in a fresh Vite app re-rank in a worker'() {
    const t0 = performance.now();
    const lap = (what: string) => console.log(`    ${what}: ${((performance.now() - t0) / 1000).toFixed(1)}s`);
    sh('npm', ['run', 'build']);
    const work = mkdtempSync(join(tmpdir(), 'mrr-app-'));
    let preview: ChildProcess | null = null;
    try {
      const lib = pack(root, work);
      const paths = lib.files.map((f) => f.path);
      for (const f of ['package.json', 'dist/index.js', 'dist/worker.js', 'dist/integrations/minisearch.js', 'dist/integrations/langchain.d.ts']) {
        assert.ok(paths.includes(f), `npm pack does not ship ${f} (package.json "files")`);
      }
      assert.ok(!paths.some((f) => /^(src|test|models)\//.test(f)), `the library ships sources or models: ${paths.filter((f) => /^(src|test|models)\//.test(f)).join(', ')}`);
      const mod = pack(modelDir, work);
      const modPaths = mod.files.map((f) => f.path).sort();
      const pkg = JSON.parse(readFileSync(join(modelDir, 'package.json'), 'utf8')) as { files: string[] };
      assert.deepEqual(modPaths, [...pkg.files, 'package.json'].sort(), 'the model package ships other files than its "files"');
      lap('built and packed');
      console.log(`    packed ${lib.filename} ${(lib.size / 1e3).toFixed(0)} kB, ${mod.filename} ${(mod.size / 1e6).toFixed(1)} MB`);

      const app = join(work, 'app');
      cpSync(template, app, { recursive: true, filter: (src) => !/\/(node_modules|dist)$/.test(src) });
      sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, lib.filename), join(work, mod.filename)], app);
      const installed = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
      for (const dep of ['matryoshka-reranker', '@matryoshka-reranker/minilm-l6-scifact']) {
        assert.ok(installed.dependencies[dep]?.endsWith('.tgz'), `${dep} was not installed from its tarball: ${installed.dependencies[dep]}`);
      }
      lap('installed');
      sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')], app);
      sh(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], app);

      const assets = readdirSync(join(app, 'dist/assets'));
      const page = assets.find((f) => /^index-.*\.js$/.test(f));
      assert.ok(page, `vite build emitted no page chunk (assets: ${assets.join(', ')})`);
      assert.ok(assets.some((f) => /^worker-.*\.js$/.test(f)), `vite build emitted no worker chunk (assets: ${assets.join(', ')})`);
      assert.ok(assets.some((f) => f.endsWith('.wasm')), 'vite build emitted no onnxruntime .wasm');
      for (const f of ['layer_06', 'embeddings', 'adapters', 'tokenizer']) {
        assert.ok(assets.some((a) => a.startsWith(`${f}-`) || a.startsWith(`${f}.`)), `vite build did not emit the model's ${f} file (assets: ${assets.join(', ')})`);
      }
      assert.ok(!readFileSync(join(app, 'dist/assets', page), 'utf8').includes('InferenceSession'), 'onnxruntime-web was bundled into the page chunk');

      lap('type-checked and built');
      const port = await freePort();
      preview = await startVite(app, port, 'preview');
      // A browser as most users have it here: without the WebGPU flags of e2e/run.ts (whose
      // SwiftShader adapter is a software GPU far slower than WASM), so backend "auto" finds WASM.
      const browser = await chromium.launch({
        executablePath: chromiumPath, headless: true,
        args: chromiumArgs.filter((a) => !/webgpu|Vulkan|angle/i.test(a)),
      });
      const tab = await browser.newPage();
      try {
        const errors: string[] = [];
        const modelRequests: string[] = [];
        const logs: string[] = [];
        tab.on('console', (m) => { logs.push(m.text()); if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`); });
        tab.on('pageerror', (e) => errors.push(e.message));
        tab.on('requestfinished', (req) => {
          if (/\.(onnx|weights|safetensors)$/.test(req.url())) modelRequests.push(req.url());
          void req.response().then((res) => { if (res && res.status() >= 400) errors.push(`HTTP ${res.status()} ${req.url()}`); });
        });
        await tab.goto(`http://127.0.0.1:${port}/`, { timeout: NAV_TIMEOUT_MS });
        const ready = tab.locator('#status[data-state="ready"]');
        await ready.waitFor({ timeout: 120_000 }).catch(async () => { throw new Error(`model did not load: ${await tab.locator('#status').textContent()}; errors: ${errors.join('\n')}\nlogs: ${logs.join('\n')}`); });
        assert.equal(await tab.evaluate(() => crossOriginIsolated), true, 'preview is not cross-origin isolated (COOP/COEP)');
        lap('model loaded');
        // progressive loading: "ready" comes with the shallow layers; the deep ones keep arriving
        for (const until = Date.now() + 120_000; modelRequests.length < 19 && Date.now() < until;) await new Promise((r) => setTimeout(r, 250));
        assert.ok(modelRequests.length >= 19 && modelRequests.every((u) => u.startsWith(`http://127.0.0.1:${port}/assets/`)),
          `model files did not come from the app's build: ${modelRequests.join(', ')}`);

        const query = 'how does a search engine rank documents';
        await tab.fill('#query', query);
        await tab.press('#query', 'Enter'); // what the README tells the user to do
        const done = tab.locator('#status[data-state="done"], #status[data-state="error"]');
        await done.waitFor({ timeout: 60_000 });
        assert.equal(await done.getAttribute('data-state'), 'done', `search failed: ${await done.textContent()}`);
        const rows: Row[] = await tab.locator('#results li').evaluateAll((lis) => lis.map((li) => {
          const d = (li as HTMLElement).dataset;
          return { id: d.id!, text: li.textContent!, score: Number(d.score), modelScore: Number(d.modelScore), firstStageScore: Number(d.firstStageScore) };
        }));
        assert.ok(rows.length >= 5, `expected at least 5 results, got ${rows.length}: ${await done.textContent()}`);
        for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.score >= rows[i]!.score, 'results are not sorted by the re-ranking score');
        assert.ok(rows.every((r) => r.firstStageScore > 0), 'results lack MiniSearch\'s scores');

        // The model scores the page shows are the installed model's: recompute them in Node from
        // the installed package (its file: URLs), on the same passages.
        const { default: installedModel } = await import(pathToFileURL(join(app, 'node_modules/@matryoshka-reranker/minilm-l6-scifact/index.js')).href) as { default: ModelFiles };
        const engine = await Engine.create({ model: installedModel, backend: 'wasm', numThreads: 1 });
        try {
          const texts = rows.map((r) => r.text.replace(/^[^:]*: /, ''));
          const titles = rows.map((r) => r.text.slice(0, r.text.indexOf(': ')));
          const want = await engine.rank(query, texts.map((t, i) => `${titles[i]}\n${t}`));
          for (const w of want.results) {
            const got = rows[w.index]!.modelScore;
            assert.ok(Math.abs(got - w.score) < 1e-3, `result ${rows[w.index]!.id}: page model score ${got}, Node ${w.score}`);
          }
        } finally {
          await engine.dispose();
        }
        assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
        lap('searched, re-ranked and checked');
        preview.kill();

        // `npm run dev` (the README's next step): the dev server serves the packages from
        // node_modules as they are (optimizeDeps.exclude) and the same search works.
        const devPort = await freePort();
        preview = await startVite(app, devPort, 'dev');
        const dev = await browser.newPage();
        const devErrors: string[] = [];
        dev.on('console', (m) => { if (m.type() === 'error') devErrors.push(`${m.text()} (${m.location().url})`); });
        dev.on('pageerror', (e) => devErrors.push(e.message));
        await dev.goto(`http://127.0.0.1:${devPort}/`, { timeout: NAV_TIMEOUT_MS });
        await dev.locator('#status[data-state="ready"]').waitFor({ timeout: 120_000 })
          .catch(async () => { throw new Error(`dev server: model did not load: ${await dev.locator('#status').textContent()}; errors: ${devErrors.join('\n')}`); });
        await dev.fill('#query', query);
        await dev.press('#query', 'Enter');
        const devDone = dev.locator('#status[data-state="done"], #status[data-state="error"]');
        await devDone.waitFor({ timeout: 60_000 });
        assert.equal(await devDone.getAttribute('data-state'), 'done', `dev server: search failed: ${await devDone.textContent()}`);
        const devIds = await dev.locator('#results li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.id));
        assert.deepEqual(devIds, rows.map((r) => r.id), 'the dev server ranks as the production build does');
        assert.deepEqual(devErrors, [], `dev server console errors:\n${devErrors.join('\n')}`);
        lap('dev server searched');
      } finally {
        await browser.close();
      }
    } finally {
      preview?.kill();
      rmSync(work, { recursive: true, force: true });
    }
  },
};

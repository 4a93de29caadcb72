/**
 * The package as a consumer gets it: `npm run build`, `npm pack`, the tarball unpacked into
 * e2e/example-app/node_modules/matryoshka-reranker (what `npm install` of it does; its
 * dependencies resolve from the repo's node_modules above), the example type-checked against the
 * shipped .d.ts, built with `vite build`, served by `vite preview` (COOP/COEP) and opened in
 * Chromium. The page ranks golden passages with the tiny bundle in the library's worker on WASM;
 * its scores must match the PyTorch golden scores, with no console errors.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import type { E2EContext } from './run.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const appDir = join(root, 'e2e/example-app');
const appOut = join(appDir, 'dist');
const installed = join(appDir, 'node_modules/matryoshka-reranker');
const tiny = join(root, 'test/fixtures/tiny');

interface GoldenCase { name: string; query: string; passages: string[]; scores: number[] }
interface Golden { tolerance: number; cases: GoldenCase[] }
interface PackResult { filename: string; files: { path: string }[] }
interface Row { index: number; score: number }

/** Run a command in the repo; on failure the error carries its output. */
function sh(cmd: string, args: string[], cwd = root): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

function readGolden(): Golden {
  const g = JSON.parse(readFileSync(join(tiny, 'golden.json'), 'utf8')) as Golden;
  assert.ok(typeof g.tolerance === 'number' && Array.isArray(g.cases), 'test/fixtures/tiny/golden.json: unexpected shape');
  return g;
}

/** `npm pack` the built package and unpack it where the example app's bundler will find it. */
function installPackedPackage(): string[] {
  const packDir = mkdtempSync(join(tmpdir(), 'mrr-pack-'));
  try {
    const out = sh('npm', ['pack', '--json', '--pack-destination', packDir]);
    const [pack] = JSON.parse(out.slice(out.indexOf('['))) as PackResult[];
    assert.ok(pack, 'npm pack printed no result');
    rmSync(installed, { recursive: true, force: true });
    mkdirSync(installed, { recursive: true });
    sh('tar', ['-xzf', join(packDir, pack.filename), '-C', installed, '--strip-components=1']);
    return pack.files.map((f) => f.path);
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
}

async function buildApp(): Promise<string[]> {
  await build({ root: appDir, configFile: join(appDir, 'vite.config.ts'), logLevel: 'warn' });
  return readdirSync(join(appOut, 'assets'));
}

export const tests = {
  async 'example app: built package + vite build + preview ranks in a worker on WASM'({ browser }: E2EContext) {
    sh('npm', ['run', 'build']);
    const packed = installPackedPackage();
    for (const f of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/worker.js', 'dist/controller/index.js']) {
      assert.ok(packed.includes(f), `npm pack does not ship ${f} (package.json "files")`);
    }
    assert.ok(!packed.some((f) => f.startsWith('src/') || f.startsWith('test/')), `npm pack ships sources: ${packed.filter((f) => f.startsWith('src/')).join(', ')}`);

    sh('npx', ['tsc', '-p', join(appDir, 'tsconfig.json')]); // a consumer's type-check against the shipped .d.ts

    const assets = await buildApp();
    const worker = assets.find((f) => /^worker-.*\.js$/.test(f));
    const page = assets.find((f) => /^index-.*\.js$/.test(f));
    assert.ok(worker, `vite build emitted no worker chunk (assets: ${assets.join(', ')})`);
    assert.ok(page, `vite build emitted no page chunk (assets: ${assets.join(', ')})`);
    assert.ok(assets.some((f) => f.endsWith('.wasm')), `vite build emitted no onnxruntime .wasm (assets: ${assets.join(', ')})`);
    assert.ok(!readFileSync(join(appOut, 'assets', page), 'utf8').includes('InferenceSession'),
      'onnxruntime-web was bundled into the page chunk; only the worker should load it');
    cpSync(tiny, join(appOut, 'models/tiny'), { recursive: true });

    const server = await preview({
      root: appDir, configFile: join(appDir, 'vite.config.ts'), logLevel: 'warn',
      preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
    });
    const tab = await browser.newPage();
    try {
      const addr = server.httpServer.address();
      assert.ok(addr && typeof addr === 'object', 'vite preview did not report a port');
      const errors: string[] = [];
      const workers: string[] = [];
      const logs: string[] = [];
      tab.on('console', (m) => { logs.push(m.text()); if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`); });
      tab.on('pageerror', (e) => errors.push(e.message));
      tab.on('worker', (w) => workers.push(w.url()));
      tab.on('requestfinished', (req) => {
        void req.response().then((res) => { if (res && res.status() >= 400) errors.push(`HTTP ${res.status()} ${req.url()}`); });
      });

      await tab.goto(`http://127.0.0.1:${addr.port}/?model=models/tiny&backend=wasm`);
      const status = tab.locator('#status[data-state="ready"], #status[data-state="error"]');
      await status.waitFor({ timeout: 60_000 }).catch(async (e: unknown) => { throw new Error(`${String(e)}\npage errors: ${errors.join('\n')}\nstatus: ${await tab.locator('#status').textContent()}\nlogs: ${logs.join('\n')}`); });
      assert.equal(await status.getAttribute('data-state'), 'ready', `model did not load: ${await status.textContent()}`);
      assert.equal(await tab.evaluate(() => crossOriginIsolated), true, 'preview is not cross-origin isolated (COOP/COEP)');
      assert.ok(workers.some((u) => u.endsWith(`/assets/${worker}`)), `the library's worker was not started (workers: ${workers.join(', ')})`);

      const golden = readGolden();
      for (const [name, config] of [['d4', ''], ['d4-c2-r4', 'd4-c2-r4']] as const) {
        const c = golden.cases.find((x) => x.name === name);
        assert.ok(c, `golden case ${name} missing`);
        await tab.fill('#query', c.query);
        await tab.fill('#passages', c.passages.join('\n'));
        await tab.fill('#config', config);
        await tab.click('#rank');
        const done = tab.locator('#status[data-state="done"], #status[data-state="error"]');
        await done.waitFor({ timeout: 60_000 });
        assert.equal(await done.getAttribute('data-state'), 'done', `${name}: ${await done.textContent()}`);
        const rows: Row[] = await tab.locator('#results li').evaluateAll((lis) =>
          lis.map((li) => ({ index: Number((li as HTMLElement).dataset.index), score: Number((li as HTMLElement).dataset.score) })));
        assert.deepEqual(rows.map((r) => r.index).sort(), c.passages.map((_, i) => i), `${name}: one result per passage`);
        for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.score >= rows[i]!.score, `${name}: results not sorted best first`);
        for (const r of rows) {
          const want = c.scores[r.index]!;
          assert.ok(Math.abs(r.score - want) <= golden.tolerance,
            `${name}: passage ${r.index} scored ${r.score}, golden ${want} (tolerance ${golden.tolerance})`);
        }
        await tab.fill('#config', '');
      }
      assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    } finally {
      await tab.close();
      await server.close();
    }
  },
};

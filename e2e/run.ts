/**
 * Browser e2e runner: serves the repo with vite (COOP/COEP for threaded WASM), launches Debian's
 * Chromium through playwright-core (WebGPU on SwiftShader via --enable-unsafe-webgpu), and runs
 * every `e2e/*.e2e.ts` module's default export. Prints one line per test (`ok`, `FAIL`, or
 * `skip` with the reason, for a test that called `skip()`) and a closing
 * "N passed, N failed, N skipped" line.
 *
 *   node --import tsx e2e/run.ts [filter]
 */
import { readdirSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

export interface E2EContext {
  browser: Browser;
  /** e.g. http://127.0.0.1:5179 — the repo root is served, so `/e2e/pages/x.html` works. */
  baseUrl: string;
  /** Where tests write screenshots and reports (e2e/out). */
  outDir: string;
  /** Chromium launched with WebGPU enabled (SwiftShader here): tests may check `navigator.gpu`. */
  webgpuFlags: boolean;
}

export type E2ETest = (ctx: E2EContext) => Promise<void>;

/** Thrown by `skip()`: the runner reports the test as skipped, with the reason. */
export class SkipTest extends Error {
  override name = 'SkipTest';
}

/** End the current test as skipped (e.g. a dataset is missing): it is reported `skip`, never `ok`. */
export function skip(reason: string): never {
  throw new SkipTest(reason);
}

export type Outcome = 'passed' | 'failed' | 'skipped';

/** Run one test and return its outcome and the line the runner prints for it. */
export async function runTest(file: string, name: string, t: E2ETest, ctx: E2EContext): Promise<{ outcome: Outcome; line: string }> {
  const t0 = performance.now();
  try {
    await t(ctx);
    return { outcome: 'passed', line: `ok   ${file} › ${name} (${((performance.now() - t0) / 1000).toFixed(1)}s)` };
  } catch (e) {
    if (e instanceof Error && e.name === 'SkipTest') return { outcome: 'skipped', line: `skip ${file} › ${name}: ${e.message}` };
    return { outcome: 'failed', line: `FAIL ${file} › ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
/** Navigation timeout: vite compiles modules on first request, which is slow on a loaded 2-core box. */
export const NAV_TIMEOUT_MS = 180_000;

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumArgs = [
  '--no-sandbox', '--headless=new', '--enable-unsafe-webgpu', '--enable-features=Vulkan',
  '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--enable-features=SharedArrayBuffer',
];

async function main(): Promise<number> {
  const filter = process.argv[2];
  const files = readdirSync(here).filter((f) => f.endsWith('.e2e.ts') && (!filter || f.includes(filter))).sort();
  const outDir = join(here, 'out');
  mkdirSync(outDir, { recursive: true });
  const server: ViteDevServer = await createServer({
    root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  await server.listen();
  const addr = server.httpServer?.address();
  if (!addr || typeof addr === 'string') throw new Error('vite did not report a port');
  const baseUrl = `http://127.0.0.1:${addr.port}`;
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  const counts: Record<Outcome, number> = { passed: 0, failed: 0, skipped: 0 };
  try {
    for (const f of files) {
      const mod = (await import(pathToFileURL(join(here, f)).href)) as { default?: E2ETest; tests?: Record<string, E2ETest> };
      const tests: [string, E2ETest][] = mod.tests ? Object.entries(mod.tests) : mod.default ? [[f, mod.default]] : [];
      for (const [name, t] of tests) {
        const { outcome, line } = await runTest(f, name, t, { browser, baseUrl, outDir, webgpuFlags: true });
        counts[outcome]++;
        console.log(line);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(`e2e: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  return counts.failed === 0 && counts.passed > 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then((code) => process.exit(code), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

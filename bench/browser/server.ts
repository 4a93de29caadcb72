/**
 * The browser benchmark's harness: vite serving the repository root (COOP/COEP from
 * vite.config.ts, so WASM runs threaded) and Debian's Chromium through playwright-core with
 * WebGPU enabled (the e2e runner's flags). `close()` stops both.
 */
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createServer } from 'vite';
import { chromiumArgs, chromiumPath } from '../../e2e/run';

export interface Harness {
  browser: Browser;
  /** e.g. http://127.0.0.1:5179 */
  baseUrl: string;
  close(): Promise<void>;
}

export async function startHarness(root: string): Promise<Harness> {
  const server = await createServer({
    root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  let browser: Browser | undefined;
  try {
    await server.listen();
    const addr = server.httpServer?.address();
    if (!addr || typeof addr === 'string') throw new Error('vite did not report a port');
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true }).catch((err: unknown) => {
      throw new Error(`could not launch Chromium at ${chromiumPath} (${err instanceof Error ? err.message : String(err)}); install Debian's chromium or set CHROMIUM_PATH.`);
    });
    const b = browser;
    return {
      browser: b,
      baseUrl: `http://127.0.0.1:${addr.port}`,
      close: async () => {
        await b.close();
        await server.close();
      },
    };
  } catch (err) {
    await browser?.close();
    await server.close();
    throw err;
  }
}

/**
 * Drives the benchmark page in a browser: opens bench/browser/index.html with the settings in its
 * URL, relays progress, waits for `window.benchState` to finish, and returns the report. Shared
 * by the driver (bench/browser/cli.ts) and the e2e test (e2e/bench.e2e.ts).
 */
import type { Browser, Page } from 'playwright-core';
import type { BenchReport } from '../report';
import type { BenchPageState } from './page';
import { pageQuery, type PageQuery } from './page-params';

export interface DriveOptions {
  /** Give up after this long. Default 30 minutes. */
  timeoutMs?: number;
  /** Progress lines from the page, as they come. Default: none. */
  onLog?: (line: string) => void;
  /** Save a screenshot of the finished page here. Default: none. */
  screenshot?: string;
  /** How often to poll the page. Default 500 ms. */
  pollMs?: number;
}

export const defaultDriveOptions = { timeoutMs: 30 * 60_000, onLog: (_line: string): void => {}, pollMs: 500 } satisfies DriveOptions;

export interface DriveResult {
  report: BenchReport;
  /** The report JSON exactly as the page wrote it. */
  json: string;
  log: string[];
}

async function readState(page: Page): Promise<BenchPageState | undefined> {
  try {
    return await page.evaluate(() => (window as unknown as { benchState?: BenchPageState }).benchState);
  } catch {
    return undefined; // navigating (e.g. vite reloading after optimizing a dependency): poll again
  }
}

export async function driveBenchPage(browser: Browser, baseUrl: string, query: PageQuery, options: DriveOptions = {}): Promise<DriveResult> {
  const opts = { ...defaultDriveOptions, ...options };
  const page = await browser.newPage({ viewport: { width: 1700, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  try {
    // 'commit': the module graph may take long to load on a busy machine; the poll below waits.
    await page.goto(`${baseUrl}/bench/browser/index.html?${pageQuery(query)}`, { waitUntil: 'commit', timeout: opts.timeoutMs });
    const deadline = Date.now() + opts.timeoutMs;
    let seen = 0;
    for (;;) {
      const state = await readState(page);
      if (state) {
        if (state.log.length < seen) seen = 0; // the page reloaded and started over
        for (const line of state.log.slice(seen)) opts.onLog(line);
        seen = state.log.length;
        if (state.status === 'error') throw new Error(`benchmark page failed: ${state.error}${errors.length ? `\npage errors:\n${errors.slice(-10).join('\n')}` : ''}`);
        if (state.status === 'done' && state.reportJson) {
          if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });
          return { report: JSON.parse(state.reportJson) as BenchReport, json: state.reportJson, log: state.log };
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`benchmark page did not finish within ${Math.round(opts.timeoutMs / 1000)} s (last: ${JSON.stringify(state?.progress)}); use fewer --queries or a larger --timeout.${errors.length ? `\npage errors:\n${errors.slice(-10).join('\n')}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, opts.pollMs));
    }
  } finally {
    await page.close();
  }
}

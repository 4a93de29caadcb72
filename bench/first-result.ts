/**
 * Time to first result: the demo page (index.html, backend auto, the shipped model unless
 * `--model`) in Chromium, from navigation to the first ranked results, on a cold load (empty
 * browser profile: no cached bundle files, no saved calibration) and on a reload in the same
 * profile (files from the Cache API, the saved calibration). Prints one row per load:
 * when the bundle's bytes had all arrived, when the page said ready, when the first search
 * (typed as soon as the page is ready) showed results, and first result minus files arrived.
 *
 *   node --import tsx bench/first-result.ts [--model /models/minilm-l6-scifact/] [--query "..."]
 *
 * Goals on the project's 2-core machine: under 10 s from files arrived to first result cold,
 * under 3 s warm.
 */
import { parseArgs } from 'node:util';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startHarness } from './browser/server';
import { describeMachine } from './machine';
import { loadavg } from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Times { filesS: number; readyS: number; resultS: number; backend: string; calibration: string; config: string; budgetMs: number; rankMs: string }

async function watch(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __t: Record<string, number> };
    w.__t = {};
    new MutationObserver(() => {
      const s = document.getElementById('status');
      if (!s) return;
      const now = performance.now();
      if (s.dataset.phase && s.dataset.phase !== 'download' && w.__t.files === undefined) w.__t.files = now;
      if (s.dataset.state === 'ready' && w.__t.ready === undefined) w.__t.ready = now;
      if (document.querySelector('#summary [data-config-used]') && w.__t.result === undefined) w.__t.result = now;
    }).observe(document, { subtree: true, attributes: true, childList: true });
  });
}

async function load(page: Page, run: () => Promise<unknown>, query: string): Promise<Times> {
  await run();
  await page.waitForSelector('#status[data-state=ready]', { timeout: 600_000 });
  await page.fill('#query', query);
  await page.click('#search');
  await page.waitForSelector('#summary [data-config-used]', { timeout: 600_000 });
  const t = await page.evaluate(() => (window as unknown as { __t: Record<string, number> }).__t);
  const s = page.locator('#status');
  return {
    filesS: (t.files ?? t.ready!) / 1000, readyS: t.ready! / 1000, resultS: t.result! / 1000,
    backend: await page.locator('#backend').innerText(),
    calibration: (await s.getAttribute('data-calibration')) ?? '',
    config: (await page.locator('[data-config-used]').getAttribute('data-config-used')) ?? '',
    budgetMs: Number(await s.getAttribute('data-default-budget')),
    rankMs: await page.locator('#rank-ms').innerText(),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, query: { type: 'string', default: 'does vitamin D reduce respiratory infections' } } });
  const path = values.model ? `/?model=${encodeURIComponent(values.model)}` : '/';
  const harness = await startHarness(root);
  const load0 = loadavg()[0]!;
  try {
    const context = await harness.browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await watch(page);
    const cold = await load(page, () => page.goto(`${harness.baseUrl}${path}`, { waitUntil: 'domcontentloaded', timeout: 300_000 }), values.query!);
    // Let the background calibration finish (it is saved for the reload).
    await page.waitForSelector('#status[data-calibration=calibrated]', { timeout: 600_000 });
    const warm = await load(page, () => page.reload({ waitUntil: 'domcontentloaded', timeout: 300_000 }), values.query!);
    await context.close();
    const m = describeMachine();
    const row = (name: string, t: Times) => `${name.padEnd(12)} ${t.filesS.toFixed(1).padStart(8)} ${t.readyS.toFixed(1).padStart(8)} ${t.resultS.toFixed(1).padStart(13)} ${(t.resultS - t.filesS).toFixed(1).padStart(20)}   ${t.backend}, calibration ${t.calibration}, ${t.config} in ${t.rankMs} (budget ${t.budgetMs || '-'} ms)`;
    console.log(`time to first result: demo page ${path} (backend auto), ${m.cpu}, ${m.cores} cores, ${m.runtime}; 1-minute load average ${load0.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`);
    console.log(`${'load'.padEnd(12)} ${'files s'.padStart(8)} ${'ready s'.padStart(8)} ${'first result s'.padStart(13)} ${'result - files s'.padStart(20)}`);
    console.log(row('cold', cold));
    console.log(row('warm reload', warm));
    console.log(`goals: cold result - files < 10 s: ${cold.resultS - cold.filesS < 10 ? 'met' : 'NOT met'}; warm first result < 3 s: ${warm.resultS < 3 ? 'met' : 'NOT met'} (warm counts from navigation)`);
  } finally {
    await harness.close();
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });

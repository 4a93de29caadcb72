import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { NAV_TIMEOUT_MS, type E2EContext } from './run';

/**
 * The demo as a newcomer meets it: the default URL (the shipped model, backend auto) in
 * Chromium whose only WebGPU adapter is SwiftShader. The page must choose WASM and say why
 * (the backend line filled from the first download event), become ready without a full
 * calibration, and answer a first search within the default budget it derived (no warning, no
 * over-budget mark). A reload finds the saved calibration and skips calibrating. Screenshots
 * of each step go to docs/screens/ when E2E_SCREENS=1 (else e2e/out/). The page fetches
 * onnxruntime-web's plain WASM build, not the larger one with WebGPU kernels (JSEP).
 */
const root = join(import.meta.dirname, '..');

interface Snap { phase: string; state: string; layers: string; backend: string; reason: string; t: number }

async function watchPhases(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __snaps: Snap[] };
    w.__snaps = [];
    const t0 = performance.now();
    new MutationObserver(() => {
      const s = document.getElementById('status');
      if (!s) return;
      const last = w.__snaps[w.__snaps.length - 1];
      const snap = {
        phase: s.dataset.phase ?? '', state: s.dataset.state ?? '', layers: s.dataset.layers ?? '',
        backend: document.getElementById('backend')?.textContent ?? '', reason: document.getElementById('backend-reason')?.textContent ?? '', t: performance.now() - t0,
      };
      if (!last || last.phase !== snap.phase || last.backend !== snap.backend || last.state !== snap.state || last.layers !== snap.layers) w.__snaps.push(snap);
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-phase', 'data-state', 'data-layers'] });
  });
}

async function searchAndWait(page: Page, query: string): Promise<void> {
  await page.fill('#query', query);
  await page.click('#search');
  await page.waitForFunction(() => !!document.querySelector('#summary [data-config-used]') && (document.querySelector('#spinner') as HTMLElement).hidden, undefined, { timeout: 60_000 });
}

export const tests = {
  async 'demo auto: software-only WebGPU -> WASM with the reason, ready without a full calibration, first search within the default budget; a reload skips calibration'({ browser, baseUrl, outDir }: E2EContext) {
    const shots = process.env.E2E_SCREENS ? join(root, 'docs', 'screens') : outDir;
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const problems: string[] = [];
    // The corpus-URL checks below make the browser log their 404 and 403 responses: expected.
    page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource: .* (404|403)/.test(m.text())) problems.push(`console.error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    // On WASM the page loads onnxruntime-web's plain build: its 14 MB .wasm, never the 28 MB JSEP one.
    const ortWasm: string[] = [];
    page.on('request', (r) => { const m = /(ort-wasm[^/?]*\.wasm)/.exec(r.url()); if (m) ortWasm.push(m[1]!); });
    try {
      await watchPhases(page);
      const t0 = Date.now();
      await page.goto(`${baseUrl}/`, { waitUntil: 'domcontentloaded', timeout: NAV_TIMEOUT_MS });
      await page.waitForSelector('#status[data-phase=download]', { timeout: 60_000 });
      await page.screenshot({ path: join(shots, '1-loading.png') });
      await page.waitForSelector('#status[data-state=ready]', { timeout: 180_000 });
      const coldReadyS = (Date.now() - t0) / 1000;
      const snaps = await page.evaluate(() => (window as unknown as { __snaps: Snap[] }).__snaps);
      console.log(`     timeline: ${snaps.map((x) => `${(x.t / 1000).toFixed(1)}s ${x.state}/${x.phase}/L${x.layers}`).join(', ')}`);
      const firstDownload = snaps.find((s) => s.phase === 'download');
      assert.ok(firstDownload, `a download phase was shown: ${JSON.stringify(snaps)}`);
      assert.equal(firstDownload.backend, 'wasm', 'the backend line is filled from the first download event');
      assert.match(firstDownload.reason, /software fallback/);
      assert.equal(await page.locator('#backend').innerText(), 'wasm');
      assert.match(await page.locator('#backend-reason').innerText(), /only WebGPU adapter is a software fallback \(google swiftshader.*using WASM/i);
      const cal = await page.locator('#status').getAttribute('data-calibration');
      assert.ok(cal === 'probe' || cal === 'calibrated', `ready on one probe (full calibration in the background), got ${cal}`);
      const budget = Number(await page.locator('#status').getAttribute('data-default-budget'));
      assert.ok(budget > 0 && budget <= 20_000, `default budget derived: ${budget}`);
      assert.match(await page.locator('#budget-note').innerText(), /enough for \S+ .* on this device/);
      await page.click('#calibration-box summary');
      assert.match(await page.locator('#calibration').innerText(), /two short timed probes on this device|full calibration/);
      await page.screenshot({ path: join(shots, '2-ready.png') });
      assert.ok(ortWasm.length > 0 && ortWasm.every((f) => !f.includes('jsep')), `the plain WASM build only: ${ortWasm.join(', ')}`);

      const t1 = Date.now();
      await searchAndWait(page, 'does vitamin D reduce respiratory infections');
      const firstSearchS = (Date.now() - t1) / 1000;
      assert.ok(await page.locator('#results li').count() > 0, 'results');
      const summary = await page.locator('#summary').innerText();
      assert.doesNotMatch(summary, /no configuration fits|over budget|not calibrated/, summary);
      assert.match(summary, /within budget/);
      assert.match(await page.locator('#summary .why').innerText(), /^Why: /);
      console.log(`     cold: ready ${coldReadyS.toFixed(1)} s after navigation, first search ${firstSearchS.toFixed(2)} s, default budget ${budget} ms`);
      console.log(`     ${summary.split('\n')[0]}`);
      await page.locator('#summary').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(shots, '3-results.png') });

      // Manual mode hides the budget slider.
      await page.check('input[name=mode][value=manual]');
      assert.equal(await page.locator('#budget-row').isVisible(), false, 'budget slider hidden in manual mode');
      assert.equal(await page.locator('#manual-row').isVisible(), true);
      await page.waitForFunction(() => (document.querySelector('#spinner') as HTMLElement).hidden && !!document.querySelector('#summary [data-config-used]'), undefined, { timeout: 60_000 });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(shots, '4-manual.png') });
      await page.check('input[name=mode][value=auto]');
      await page.waitForFunction(() => (document.querySelector('#spinner') as HTMLElement).hidden, undefined, { timeout: 60_000 });

      // A missing corpus folder and a forbidden one: clear messages, old results cleared.
      await page.fill('#beir-url', '/datasets/no-such-folder');
      await page.click('#beir-load');
      await page.waitForSelector('#corpus-error:not([hidden])', { timeout: 30_000 });
      assert.match(await page.locator('#corpus-error').innerText(), /there is no .*no-such-folder\/corpus\.jsonl \(HTTP 404\)/);
      assert.equal(await page.locator('#results li').count(), 0, 'the previous corpus results are cleared');
      // A server that forbids the folder (vite answers 403 outside server.fs.allow).
      await page.route('**/forbidden-folder/corpus.jsonl', (route) => route.fulfill({ status: 403, body: 'forbidden' }));
      await page.fill('#beir-url', '/forbidden-folder');
      await page.click('#beir-load');
      await page.waitForFunction(() => /HTTP 403 forbidden/.test(document.querySelector('#corpus-error')?.textContent ?? ''), undefined, { timeout: 30_000 });
      await page.screenshot({ path: join(shots, '5-corpus-error.png') });

      // Wait for the background calibration to finish and be saved, then reload.
      await page.waitForSelector('#status[data-calibration=calibrated]', { timeout: 240_000 });
      const t2 = Date.now();
      await page.reload({ waitUntil: 'domcontentloaded', timeout: NAV_TIMEOUT_MS });
      await page.waitForSelector('#status[data-state=ready]', { timeout: 120_000 });
      const warmReadyS = (Date.now() - t2) / 1000;
      assert.equal(await page.locator('#status').getAttribute('data-calibration'), 'saved', 'a reload uses the saved calibration');
      assert.match(await page.locator('#calibration').textContent() ?? '', /saved on this device .*skipped calibrating/);
      const t3 = Date.now();
      await searchAndWait(page, 'does vitamin D reduce respiratory infections');
      const warmSearchS = (Date.now() - t3) / 1000;
      // The saved calibration decides (no probe ran); its timing on a shared machine is reported, not asserted.
      const warmSummary = await page.locator('#summary').innerText();
      assert.doesNotMatch(warmSummary, /no configuration fits|not calibrated/);
      console.log(`     ${warmSummary.split('\n')[0]}`);
      console.log(`     warm reload: ready ${warmReadyS.toFixed(1)} s, first search ${warmSearchS.toFixed(2)} s`);
      assert.deepEqual(problems, [], 'no console errors');
    } finally {
      await context.close();
    }
  },
};

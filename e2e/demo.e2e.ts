import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { E2EContext } from './run.ts';

/**
 * The demo page (index.html) on the tiny fixture (`?model=`), WASM for speed: loads and
 * calibrates, a query returns ranked results (fused with BM25 by default, or the model alone),
 * manual configuration and budget changes change
 * the configuration used, the chart marks the pick, no console errors. Screenshot:
 * e2e/out/demo.png.
 */
const URL_PATH = '/?model=/test/fixtures/tiny/&backend=wasm';

async function usedConfig(page: Page): Promise<string> {
  return page.locator('[data-config-used]').getAttribute('data-config-used').then((v) => v ?? '');
}

/** Run a search and wait for its summary to change. */
async function searchAndWait(page: Page, run: () => Promise<unknown>): Promise<string> {
  const before = await page.locator('#summary').innerHTML();
  await run();
  await page.waitForFunction((b) => {
    const s = document.querySelector('#summary');
    return !!s && s.innerHTML !== b && !!s.querySelector('[data-config-used]') && !(document.querySelector('#search') as HTMLButtonElement).disabled;
  }, before, { timeout: 30_000 });
  return usedConfig(page);
}

async function setBudget(page: Page, slider: number): Promise<void> {
  await page.locator('#budget').evaluate((el, v) => {
    const input = el as HTMLInputElement;
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, slider);
}

export const tests = {
  async 'demo: loads, ranks, switches configuration and budget, charts the pick'({ browser, baseUrl, outDir }: E2EContext) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    try {
      await page.goto(`${baseUrl}${URL_PATH}`, { waitUntil: 'domcontentloaded', timeout: 90_000 });
      await page.waitForSelector('#status[data-state=ready]', { timeout: 90_000 });
      assert.match(await page.locator('#backend').innerText(), /^wasm$/);
      assert.match(await page.locator('#backend-reason').innerText(), /WASM requested/);
      assert.equal(await page.locator('#corpus-name').getAttribute('data-documents'), '150');
      const calibration = await page.locator('#calibration').textContent() ?? '';
      assert.match(calibration, /probe/);
      if (process.env.E2E_VERBOSE) console.log(calibration);

      // Auto mode, loose budget: ranked results with scores, the best configuration.
      await setBudget(page, 1000);
      await page.fill('#query', 'how does insulin control blood sugar');
      const loose = await searchAndWait(page, () => page.click('#search'));
      const items = page.locator('#results li');
      assert.equal(await items.count(), 10);
      const scores = (await page.locator('#results .score').allInnerTexts()).map(Number);
      assert.deepEqual([...scores].sort((a, b) => b - a), scores, 'results sorted by score');
      assert.equal(loose, 'd4', 'tiny has no dev nDCG: with a 20 s budget the controller picks the full model (flopsRatio order)');
      assert.equal(await page.locator('#chart g.pick').getAttribute('data-config'), 'd4');

      // Hybrid scoring is on by default (BM25 scores fused, the model's own score shown);
      // unchecking "fuse with BM25" ranks by the model alone.
      assert.match(await page.locator('#summary').innerText(), /z\(model\) \+ 1·z\(BM25\)/);
      assert.match(await page.locator('#results .meta').first().innerText(), /model -?\d/);
      await searchAndWait(page, () => page.uncheck('#hybrid'));
      assert.doesNotMatch(await page.locator('#summary').innerText(), /z\(BM25\)/);
      assert.doesNotMatch(await page.locator('#results .meta').first().innerText(), /model -?\d/);
      await searchAndWait(page, () => page.check('#hybrid'));

      // A tight budget changes the pick (to the fastest, with a warning).
      const tight = await searchAndWait(page, () => setBudget(page, 0));
      assert.notEqual(tight, loose, 'a 2 ms budget must change the configuration');
      assert.match(await page.locator('#summary .warning').innerText(), /no configuration fits/);
      assert.equal(await page.locator('#chart g.pick').getAttribute('data-config'), tight);

      // Manual mode: a named configuration, then a hand-made one.
      await searchAndWait(page, () => page.check('input[name=mode][value=manual]'));
      const named = await searchAndWait(page, () => page.selectOption('#config-name', 'd2-c2-r4'));
      assert.equal(named, 'd2-c2-r4');
      const deeper = await searchAndWait(page, () => page.selectOption('#depth', '3'));
      assert.equal(deeper, 'd3-c2-r4', 'changing the depth keeps the compression');
      const custom = await searchAndWait(page, () => page.selectOption('#ratio', '1'));
      assert.equal(custom, 'd3');

      // Measure every configuration: the chart gets one filled point per configuration.
      await page.click('#measure');
      await page.waitForSelector('#chart[data-measured="21"]', { timeout: 60_000 });
      assert.equal(await page.locator('#chart g.measured').count(), 21);
      assert.ok(await page.locator('#chart g.front').count() >= 2, 'Pareto front has points');
      assert.equal(await page.locator('#chart g.pick').getAttribute('data-config'), 'd3');

      // Back to auto: controls changed while a search runs are applied when it ends.
      await page.check('input[name=mode][value=auto]');
      await setBudget(page, 700);
      await page.waitForFunction(() => /budget 1261\.\d ms/.test(document.querySelector('#summary')?.textContent ?? '') &&
        !(document.querySelector('#search') as HTMLButtonElement).disabled, undefined, { timeout: 30_000 });
      assert.equal(await page.locator('#chart g.pick').getAttribute('data-config'), await usedConfig(page));
      await page.screenshot({ path: join(outDir, 'demo.png'), fullPage: true });
      assert.deepEqual(problems, [], 'no console errors');
    } finally {
      await page.close();
    }
  },
};

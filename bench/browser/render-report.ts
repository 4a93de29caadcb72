/**
 * Re-renders the HTML report of a saved benchmark JSON (from `npm run bench` or
 * `npm run bench:browser`), optionally with a screenshot taken in Chromium:
 *   node --import tsx bench/browser/render-report.ts --in <report.json> --report <file.html> [--screenshot <file.png>]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../../e2e/run';
import type { BenchReport } from '../report';
import { reportDocument } from './report-html';

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { in: { type: 'string' }, report: { type: 'string' }, screenshot: { type: 'string' } } });
  if (!values.in || !values.report) throw new Error('usage: render-report.ts --in <report.json> --report <file.html> [--screenshot <file.png>]');
  const html = reportDocument(JSON.parse(readFileSync(values.in, 'utf8')) as BenchReport);
  writeFileSync(values.report, html);
  if (values.screenshot) {
    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1800, height: 1000 } });
      await page.setContent(html);
      await page.screenshot({ path: values.screenshot, fullPage: true });
    } finally {
      await browser.close();
    }
  }
  process.stdout.write(`wrote ${values.report}${values.screenshot ? ` and ${values.screenshot}` : ''}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`render-report: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

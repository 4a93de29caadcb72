/**
 * The README's "Add re-ranking to your MiniSearch search" guide is e2e/example-app: each file it
 * tells the reader to write must be that file, byte for byte, so the e2e that installs, builds,
 * serves and searches the example app (e2e/example-app.e2e.ts) tests what the guide says.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync('README.md', 'utf8');
const guide = readme.slice(readme.indexOf('## Add re-ranking to your MiniSearch search'), readme.indexOf('## Adapters for the search stack you have'));

describe('README MiniSearch guide', () => {
  for (const file of ['vite.config.ts', 'index.html', 'src/documents.ts', 'src/main.ts']) {
    it(`shows e2e/example-app/${file} as it is`, () => {
      const at = guide.indexOf(`**\`${file}\`**`);
      expect(at, `the guide has no **\`${file}\`** heading`).toBeGreaterThan(0);
      const block = /```[a-z]*\n([\s\S]*?)\n```/.exec(guide.slice(at));
      expect(block, `no code block after ${file}`).not.toBeNull();
      expect(block![1]).toBe(readFileSync(`e2e/example-app/${file}`, 'utf8').replace(/\n$/, ''));
    });
  }

  it('installs the packages the example app depends on', () => {
    const pkg = JSON.parse(readFileSync('e2e/example-app/package.json', 'utf8')) as { dependencies: Record<string, string> };
    const install = /npm install ([^\n]+)/.exec(guide)![1]!.split(' ');
    expect(install.sort()).toEqual(Object.keys(pkg.dependencies).sort());
  });
});

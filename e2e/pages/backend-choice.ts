/**
 * `auto` with a WebGPU adapter measured for real: `allowSoftwareAdapter` lets the SwiftShader
 * adapter of the test browser stand in for a GPU, so the canary and the timing probe run. The
 * e2e test serves this page twice: with the bundle's golden.json as is, and with a tampered
 * copy (its scores shifted), which the canary must catch. Result on `window.backendChoice`.
 */
import { createReranker } from '../../src/index';

async function run(): Promise<Record<string, unknown>> {
  const rr = await createReranker({ model: '/test/fixtures/tiny', backend: 'auto', allowSoftwareAdapter: true, cache: false });
  try {
    const info = await rr.info();
    const ranked = await rr.rank('insulin and blood sugar', ['Insulin lowers blood glucose.', 'The aircraft wing was tested.'], { config: 'd2' });
    return { backend: info.backend, reason: info.reason, measurement: info.measurement ?? null, adapter: info.adapter ?? null, ranked: ranked.results.length };
  } finally {
    await rr.dispose();
  }
}

run().then(
  (r) => { (window as unknown as { backendChoice: unknown }).backendChoice = r; },
  (e: unknown) => { (window as unknown as { backendChoice: unknown }).backendChoice = { error: String((e as Error).stack ?? e) }; },
);

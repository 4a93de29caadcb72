/**
 * A reranker with the adaptive controller attached: wraps any `RerankerInterface` (the
 * in-thread engine or the worker proxy) created with the controller's `chooser`, calibrates
 * once, and feeds the wall-clock time of every `budgetMs` call back to the controller.
 *
 *   const rr = await createAdaptiveReranker((chooseConfig) => createWorkerReranker({ model, chooseConfig }));
 *   const { results, decision } = await rr.rank(query, passages, { budgetMs: 40 });
 */
import type {
  BackendInfo, CalibratedConfig, ConfigChooser, ModelInfo, ProgressiveOptions, ProgressiveResult, RankOptions, RankResult, RerankerInterface,
} from '../types';
import { AdaptiveController, type CalibrateOptions } from './controller';
import type { ControllerOptions } from './options';
import type { RequestShape } from './request-shape';

const now = (): number => performance.now();

/** Identity of a request (query and passages), to reuse a known shape. */
function requestKey(query: string, passages: readonly string[]): string {
  let h = 2166136261;
  const mix = (s: string) => { for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; } h ^= 0x1f; };
  mix(query);
  for (const p of passages) mix(p);
  return `${passages.length}:${query.length}:${h}`;
}

export class AdaptiveReranker implements RerankerInterface {
  /** Shape of the last budgeted request, to learn from explicit calls on the same passages. */
  private last: { key: string; shape: RequestShape } | null = null;
  private configurations: CalibratedConfig[] | null = null;

  constructor(readonly inner: RerankerInterface, readonly controller: AdaptiveController) {}

  /**
   * Rank; with `budgetMs` the controller picks the configuration and learns from the time the
   * call took (measured here, as the caller sees it). A call with a manifest configuration
   * name on the same query and passages as the last budgeted call teaches it too. Calls
   * should not overlap: a call waiting behind another would count the wait as its own cost.
   */
  async rank(query: string, passages: string[], options?: RankOptions): Promise<RankResult> {
    const t0 = now();
    const result = await this.inner.rank(query, passages, options);
    const ms = now() - t0;
    if (options?.budgetMs !== undefined) {
      const shape = this.controller.shapeFor(result.decision);
      this.last = shape ? { key: requestKey(query, passages), shape } : null;
      this.controller.observe(result.decision, ms);
    } else if (typeof options?.config === 'string' && this.last && this.last.key === requestKey(query, passages)) {
      this.configurations ??= (await this.info()).configurations;
      const config = this.configurations.find((c) => c.name === options.config);
      if (config) this.controller.observeExplicit(config, this.last.shape, result.backend, ms);
    }
    return result;
  }

  rankProgressive(query: string, passages: string[], options: ProgressiveOptions): Promise<ProgressiveResult> {
    return this.inner.rankProgressive(query, passages, options);
  }

  info(): Promise<ModelInfo & BackendInfo> {
    return this.inner.info();
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

export interface AdaptiveRerankerOptions extends ControllerOptions, CalibrateOptions {
  /** Skip calibration (the controller then uses its prior until `controller.calibrate`). Default false. */
  skipCalibration?: boolean;
}

/**
 * Create a reranker with `create(chooser)` (pass the chooser as `chooseConfig`), calibrate the
 * controller on it and return the wrapped reranker. The inner reranker is disposed if
 * calibration fails.
 */
export async function createAdaptiveReranker(
  create: (chooseConfig: ConfigChooser) => Promise<RerankerInterface>,
  options: AdaptiveRerankerOptions = {},
): Promise<AdaptiveReranker> {
  const { signal, onProbe, skipCalibration, ...controllerOptions } = options;
  const controller = new AdaptiveController(controllerOptions);
  const inner = await create(controller.chooser);
  if (!skipCalibration) {
    try {
      await controller.calibrate(inner, { ...(signal ? { signal } : {}), ...(onProbe ? { onProbe } : {}) });
    } catch (e) {
      await inner.dispose().catch(() => {});
      throw e;
    }
  }
  return new AdaptiveReranker(inner, controller);
}

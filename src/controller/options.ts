/**
 * Options of the adaptive controller: every field optional, one `defaultControllerOptions`
 * merged by spread, validated with messages that name the option and the fix.
 */
import { OptionsError, showValue } from '../errors';
import { type CostCoefficients, priorCoefficients } from './cost-model';

export interface ControllerOptions {
  /**
   * Safety margin in standard deviations of the observed timing noise: a configuration fits
   * when `predicted · exp(k · sd)` is within the budget. 1.65 aims at 95% of calls on time
   * under log-normal noise. Default 1.65.
   */
  safety?: number;
  /** Weight of each new observed timing in the online correction, in (0, 1]. Default 0.2. */
  smoothing?: number;
  /** Floor of the timing noise's standard deviation (log units). Default 0.05 (5%). */
  minSpread?: number;
  /** Coefficients used before `calibrate()` (decisions then say they are uncalibrated). */
  prior?: CostCoefficients;
  /** Timed runs per calibration probe (after one untimed run); the median counts. Default 3. */
  calibrationRepeats?: number;
  /**
   * Refit the cost model's coefficients after this many observed calls, on the calibration
   * probes plus the most recent `refitWindow` observed calls (their real shapes). 0 = never.
   * Default 8.
   */
  refitEvery?: number;
  /** Observed calls kept for refitting. Default 64. */
  refitWindow?: number;
}

export const defaultControllerOptions = {
  safety: 1.65,
  smoothing: 0.2,
  minSpread: 0.05,
  prior: priorCoefficients,
  calibrationRepeats: 3,
  refitEvery: 8,
  refitWindow: 64,
} satisfies Required<ControllerOptions>;

export type ResolvedControllerOptions = typeof defaultControllerOptions;

const fail = (name: string, rule: string, v: unknown): never => {
  throw new OptionsError(`AdaptiveController: option "${name}" must be ${rule}, got ${showValue(v)}`);
};

/** Merge with the defaults and validate. */
export function resolveControllerOptions(options: ControllerOptions = {}): ResolvedControllerOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ControllerOptions;
  const o = { ...defaultControllerOptions, ...defined };
  if (!(typeof o.safety === 'number' && o.safety >= 0)) fail('safety', 'a number >= 0 (standard deviations, e.g. 1.65)', o.safety);
  if (!(typeof o.smoothing === 'number' && o.smoothing > 0 && o.smoothing <= 1)) fail('smoothing', 'a number in (0, 1], e.g. 0.2', o.smoothing);
  if (!(typeof o.minSpread === 'number' && o.minSpread >= 0)) fail('minSpread', 'a number >= 0, e.g. 0.05', o.minSpread);
  if (!(Number.isInteger(o.calibrationRepeats) && o.calibrationRepeats >= 1)) fail('calibrationRepeats', 'a positive integer', o.calibrationRepeats);
  if (!(Number.isInteger(o.refitEvery) && o.refitEvery >= 0)) fail('refitEvery', 'an integer >= 0 (0 = never refit)', o.refitEvery);
  if (!(Number.isInteger(o.refitWindow) && o.refitWindow >= 1)) fail('refitWindow', 'a positive integer', o.refitWindow);
  const p = o.prior as Partial<CostCoefficients> | null;
  const terms = ['perCall', 'perStep', 'perToken', 'perLayerToken', 'perLayerTokenSq'] as const;
  if (typeof p !== 'object' || p === null || terms.some((k) => !(typeof p[k] === 'number' && p[k] >= 0))) {
    fail('prior', `an object with numbers >= 0 for ${terms.join(', ')}`, o.prior);
  }
  return o;
}

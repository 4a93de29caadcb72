/** The adaptive controller: cost model, calibration, online correction and the chooser. */
export { AdaptiveController, isAdaptiveDecision } from './controller';
export type { AdaptiveDecision, CandidatePrediction, CalibrateOptions, CalibrationSource, SavedCalibration } from './controller';
export { AdaptiveReranker, createAdaptiveReranker } from './adaptive-reranker';
export type { AdaptiveRerankerOptions, CalibrationEvent, StartupMode } from './adaptive-reranker';
export { calibrationKey, defaultCalibrationStore } from './calibration-store';
export type { CalibrationStore } from './calibration-store';
export { defaultControllerOptions, resolveControllerOptions } from './options';
export type { ControllerOptions } from './options';
export { workCounts, predictMs, priorCoefficients, webgpuPriorCoefficients, COST_TERMS } from './cost-model';
export type { CostCoefficients, WorkCounts } from './cost-model';
export { calibrationPlan, fitCostModel, runCalibration, probeText } from './calibration';
export type { CalibrationFit, CalibrationProbe, CalibrationSample } from './calibration';
export { LatencyCorrection } from './correction';
export { accuracyScale, paretoFront } from './accuracy';
export type { AccuracyScale } from './accuracy';
export { shapeOf, defaultBatchingLimits } from './request-shape';
export type { RequestShape, BatchingLimits } from './request-shape';
export { nnls } from './least-squares';

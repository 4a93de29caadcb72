/** The controller's knowledge of this device, for people: where it comes from and what it predicts. */
import type { CalibrationEvent } from '../src/controller/adaptive-reranker';
import type { AdaptiveController } from '../src/controller/controller';
import type { ModelInfo, ResolvedBackend } from '../src/types';

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function renderCalibration(host: HTMLElement, controller: AdaptiveController, info: ModelInfo, backend: ResolvedBackend, last: CalibrationEvent | null): void {
  const source = controller.calibrationSource(backend);
  const where = {
    prior: 'generic guesses (not measured yet)',
    probe: last?.stage === 'background'
      ? `two short timed probes on this device; the full calibration runs in the background between your searches (${last.done}/${last.total} probes)`
      : 'two short timed probes on this device (the full calibration follows in the background once every layer has loaded)',
    calibrated: last?.stage === 'saved'
      ? 'a full calibration saved on this device for this model and backend (this load skipped calibrating)'
      : `a full calibration on this device${last?.saved ? ', saved for the next visit' : ''}`,
  }[source];
  const shape = (n: number, p: number) => ({ qLen: 10, pLens: Array.from({ length: n }, () => p), limits: { batchSize: 16, maxBatchTokens: 8192 } });
  const rows = [[10, 60], [30, 100], [100, 150]].map(([n, p]) => {
    const preds = controller.predict(info.configurations, shape(n!, p!), backend);
    const at = (name: string) => preds.find((x) => x.name === name);
    const names = [`d${Math.min(...info.exits)}`, `d${info.numLayers}`];
    return `<tr><td>${n} passages of ~${p} tokens</td>${names.map((nm) => `<td>${nm}: ${at(nm) ? `${at(nm)!.predictedMs.toFixed(0)} ms` : '–'}</td>`).join('')}</tr>`;
  });
  const cal = controller.calibration;
  const probes = cal
    ? `<details><summary>${cal.samples.length} probes behind it</summary><table>${cal.samples.map((s) =>
      `<tr><td>${esc(s.config.name)}</td><td>${s.shape.pLens.length} passages × ${Math.max(...s.shape.pLens)} tokens</td><td>${s.ms.toFixed(1)} ms</td></tr>`).join('')}</table></details>`
    : '';
  host.innerHTML = `<div>Latency predictions on <strong>${esc(backend)}</strong> come from ${esc(where)}. Each search then corrects them with its own measured time.</div>` +
    `<table>${rows.join('')}</table>${probes}`;
  host.dataset.source = source;
}

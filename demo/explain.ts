/** One line saying why the controller picked what it picked, against the full model. */
import { accuracyScale } from '../src/controller/accuracy';
import type { AdaptiveDecision } from '../src/controller/controller';
import type { ModelInfo } from '../src/types';

export function explainPick(d: AdaptiveDecision, info: ModelInfo): string {
  const scale = accuracyScale(info.configurations);
  const label = scale.label.startsWith('dev nDCG') ? 'dev nDCG@10' : 'flopsRatio';
  const chosen = d.candidates.find((c) => c.name === d.config.name);
  const full = `d${info.numLayers}`;
  const ready = info.layersReady ?? info.numLayers;
  const parts: string[] = [];
  if (!chosen) return `${d.config.name} was used.`;
  if (d.fits) {
    parts.push(`${chosen.name}: the most accurate configuration (${label} ${chosen.accuracy.toFixed(3)}) predicted to finish within ${d.budgetMs.toFixed(0)} ms (up to ${chosen.upperMs.toFixed(0)} ms)`);
  } else {
    parts.push(`${chosen.name}: the fastest configuration; none is predicted to fit ${d.budgetMs.toFixed(0)} ms`);
  }
  const f = d.candidates.find((c) => c.name === full);
  if (chosen.name !== full) {
    if (!f) parts.push(`${full} is still loading (layers ready ${ready}/${info.numLayers}): the deeper configurations join when their layers arrive`);
    else if (f.fits) parts.push(`${full}, the full model, would fit too but scores lower on the dev set (${f.accuracy.toFixed(3)}): exiting early or merging tokens can help a little`);
    else parts.push(`${full}, the full model, would take about ${f.predictedMs.toFixed(0)} ms (up to ${f.upperMs.toFixed(0)} ms)`);
  }
  return `Why: ${parts.join('; ')}.`;
}

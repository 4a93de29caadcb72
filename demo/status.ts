/** The loading line: phase, bytes and layers, in words (the bar follows the bytes). */
import type { LoadProgress } from '../src/types';

const mb = (b: number): string => (b / 1e6).toFixed(1);

export function progressText(p: LoadProgress): { text: string; detail: string } {
  const layers = `layers ready ${p.layersReady}/${p.numLayers}`;
  if (p.phase === 'download') {
    const total = p.bundleTotalBytes > 0 ? ` of ${mb(p.bundleTotalBytes)} MB (${(100 * p.fraction).toFixed(0)}%)` : '';
    return { text: `Downloading the model: ${mb(p.bundleLoadedBytes)}${total ? total : ' MB'}${p.fromCache ? ' from the browser cache' : ''}`, detail: `${p.file} · ${layers}` };
  }
  if (p.phase === 'compile') return { text: `Preparing the model for ${p.backend}: ${layers}`, detail: p.file };
  return { text: `All ${p.numLayers} layers loaded`, detail: '' };
}

/**
 * The manual configuration chooser: a named manifest configuration, or depth + compression
 * layers + ratio + mode by hand (the engine validates; an invalid mix shows its ConfigError).
 */
import type { CompressionMode, ModelInfo, RerankConfig } from '../src/types';

export interface ConfigPickerElements {
  name: HTMLSelectElement;
  depth: HTMLSelectElement;
  layers: HTMLElement;
  ratio: HTMLSelectElement;
  mode: HTMLSelectElement;
}

const option = (value: string, label = value): HTMLOptionElement => {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  return o;
};

/** Canonical name, the trainer's scheme (`d4`, `d4-c2-r4`, `d6-c2-4-r2-mean`). */
export function nameOf(c: RerankConfig): string {
  if (!c.compress || c.compress.ratio === 1) return `d${c.depth}`;
  return `d${c.depth}-c${c.compress.layers.join('-')}-r${c.compress.ratio}${(c.compress.mode ?? 'attention') === 'mean' ? '-mean' : ''}`;
}

export class ConfigPicker {
  constructor(private readonly el: ConfigPickerElements, private readonly info: ModelInfo, private readonly onChange: () => void) {
    el.name.replaceChildren(option('', '(custom)'), ...info.configurations.map((c) => option(c.name)));
    el.depth.replaceChildren(...info.exits.map((d) => option(String(d))));
    el.ratio.replaceChildren(...info.ratios.map((r) => option(String(r), r === 1 ? '1 (none)' : String(r))));
    el.mode.replaceChildren(option('attention'), option('mean'));
    el.name.addEventListener('change', () => { if (el.name.value) this.set(info.configurations.find((c) => c.name === el.name.value)!); this.onChange(); });
    el.depth.addEventListener('change', () => { this.renderLayers(this.layers()); this.sync(); });
    el.ratio.addEventListener('change', () => this.sync());
    el.mode.addEventListener('change', () => this.sync());
    const full = info.configurations.find((c) => c.depth === info.numLayers && !c.compress) ?? { depth: Math.max(...info.exits), compress: null };
    this.set(full);
  }

  /** The configuration the controls describe. */
  value(): RerankConfig {
    const depth = Number(this.el.depth.value);
    const ratio = Number(this.el.ratio.value);
    const layers = this.layers().filter((l) => l <= depth);
    if (ratio === 1 || layers.length === 0) return { depth, compress: null };
    return { depth, compress: { layers, ratio, mode: this.el.mode.value as CompressionMode } };
  }

  set(c: RerankConfig): void {
    this.el.depth.value = String(c.depth);
    this.el.ratio.value = String(c.compress?.ratio ?? 1);
    this.el.mode.value = c.compress?.mode ?? 'attention';
    this.renderLayers(c.compress?.layers ?? []);
    this.el.name.value = this.info.configurations.some((x) => x.name === nameOf(c)) ? nameOf(c) : '';
  }

  private layers(): number[] {
    return [...this.el.layers.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => Number(i.value));
  }

  private renderLayers(checked: number[]): void {
    const depth = Number(this.el.depth.value);
    const boxes: HTMLElement[] = [];
    for (let l = 2; l <= depth; l++) {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = String(l);
      box.checked = checked.includes(l);
      box.addEventListener('change', () => this.sync());
      label.append(box, ` ${l}`);
      boxes.push(label);
    }
    this.el.layers.replaceChildren(...boxes);
  }

  /** After a manual edit: show the matching manifest name (or custom) and notify. */
  private sync(): void {
    const n = nameOf(this.value());
    this.el.name.value = this.info.configurations.some((x) => x.name === n) ? n : '';
    this.onChange();
  }
}

/**
 * int8 bundles' dequantized twins (manifest `graphs.dequantized`, docs/bundle-format.md "int8
 * layers"): manifest validation of the field, which graphs each backend runs, and the files the
 * runtime reads (and hashes).
 */
import { describe, expect, it } from 'vitest';
import { BundleError } from '../src/errors';
import { canRunLayers, layerGraphs } from '../src/layer-graphs';
import { bundleFiles, type Manifest, parseManifest } from '../src/manifest';
import { readJson, TINY } from './helpers';

const TINY_INT8 = 'test/fixtures/tiny-int8';
type Raw = Record<string, unknown> & { graphs: Record<string, unknown> };
const raw = (dir = TINY_INT8): Raw => readJson(`${dir}/manifest.json`) as Raw;
const parse = (edit: (m: Raw) => void, dir?: string): Manifest | unknown => {
  const m = raw(dir);
  edit(m);
  try {
    return parseManifest(m);
  } catch (e) {
    return e;
  }
};
const dq = (m: Raw) => m.graphs.dequantized as { layers: unknown; plainLayers?: unknown };

describe('manifest graphs.dequantized', () => {
  it('the int8 fixture lists a twin per layer and per plain layer, and the runtime reads and hashes them', () => {
    const m = parseManifest(raw());
    expect(m.graphs.dequantized?.layers).toEqual(['layer_01.dq.onnx', 'layer_02.dq.onnx', 'layer_03.dq.onnx', 'layer_04.dq.onnx']);
    expect(m.graphs.dequantized?.plainLayers).toHaveLength(4);
    const files = bundleFiles(m);
    for (const f of [...m.graphs.dequantized!.layers, ...m.graphs.dequantized!.plainLayers!]) {
      expect(files).toContain(f);
      expect(m.files[f]).toBeDefined();
    }
    // layer by layer: a layer's twins come right after its int8 graphs (progressive loading on WebGPU)
    expect(files.indexOf('layer_02.dq.onnx')).toBe(files.indexOf('layer_02.plain.onnx') + 1);
    expect(files.indexOf('layer_02.dq.onnx')).toBeLessThan(files.indexOf('layer_03.weights'));
  });

  const refused: [string, (m: Raw) => void, RegExp, string?][] = [
    ['not an object', (m) => { m.graphs.dequantized = ['layer_01.dq.onnx']; }, /field "graphs.dequantized" must be an object/],
    ['too few layers', (m) => { dq(m).layers = ['layer_01.dq.onnx']; }, /field "graphs.dequantized.layers" must be an array of 4 file names/],
    ['layers not strings', (m) => { dq(m).layers = [1, 2, 3, 4]; }, /field "graphs.dequantized.layers" must be an array of strings/],
    ['plain twins missing while the bundle has plain layers', (m) => { delete dq(m).plainLayers; }, /field "graphs.dequantized.plainLayers" must be an array of 4 file names \(graphs.plainLayers has them\)/],
    ['plain twins without plain layers', (m) => { delete m.graphs.plainLayers; }, /field "graphs.dequantized.plainLayers" must be absent/],
    ['on a float16 bundle', (m) => { delete m.precision; }, /field "graphs.dequantized" must be absent unless "precision" is "int8"/],
  ];
  for (const [what, edit, message] of refused) {
    it(`refused: ${what}`, () => {
      const err = parse(edit);
      expect(err).toBeInstanceOf(BundleError);
      expect(String(err)).toMatch(message);
      expect(String(err)).toMatch(/re-export the bundle/);
    });
  }

  it('optional: an int8 bundle without it still parses', () => {
    const m = parse((x) => { delete x.graphs.dequantized; }) as Manifest;
    expect(m.graphs.dequantized).toBeUndefined();
    expect(bundleFiles(m).some((f) => f.includes('.dq.'))).toBe(false);
  });
});

describe('layerGraphs: which graphs a backend runs', () => {
  const int8 = parseManifest(raw());
  const int8Old = parse((x) => { delete x.graphs.dequantized; }) as Manifest;
  const float = parseManifest(raw(TINY));

  it('int8 on WASM: the int8 graphs, checked against the int8 golden scores', () => {
    expect(layerGraphs(int8, 'wasm')).toEqual({ layers: int8.graphs.layers, plainLayers: int8.graphs.plainLayers, compute: 'int8' });
  });

  it('int8 on WebGPU: the dequantized twins, float compute', () => {
    expect(layerGraphs(int8, 'webgpu')).toEqual({ layers: int8.graphs.dequantized!.layers, plainLayers: int8.graphs.dequantized!.plainLayers, compute: 'float' });
    expect(canRunLayers(int8, 'webgpu')).toBe(true);
  });

  it('int8 without twins: not on WebGPU', () => {
    expect(canRunLayers(int8Old, 'webgpu')).toBe(false);
    expect(canRunLayers(int8Old, 'wasm')).toBe(true);
    expect(() => layerGraphs(int8Old, 'webgpu')).toThrow(/canRunLayers/);
  });

  it('float16 bundles: the same graphs on both backends', () => {
    for (const b of ['wasm', 'webgpu'] as const) {
      expect(canRunLayers(float, b)).toBe(true);
      expect(layerGraphs(float, b)).toEqual({ layers: float.graphs.layers, plainLayers: float.graphs.plainLayers, compute: 'float' });
    }
  });
});

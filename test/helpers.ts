/** Shared test helpers: the tiny fixture bundle and its golden file. */
import { readFileSync } from 'node:fs';
import { parseManifest, type Manifest } from '../src/manifest';
import type { LayerStep } from '../src/plan';
import type { RerankConfig } from '../src/types';

export const TINY = 'test/fixtures/tiny';

export interface GoldenCase {
  name: string;
  config: RerankConfig;
  /** The trainer's plan of `config` (SubArch.plan). */
  plan?: LayerStep[];
  query: string;
  passages: string[];
  inputIds: number[][];
  qLens: number[];
  pLens: number[];
  truncated: boolean[];
  scores: number[];
}

export interface Golden {
  tolerance: number;
  cases: GoldenCase[];
}

export const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
export const tinyManifest = (): Manifest => parseManifest(readJson(`${TINY}/manifest.json`));
export const tinyGolden = (): Golden => readJson(`${TINY}/golden.json`) as Golden;

/**
 * Saved calibrations: a reload on the same device, backend and bundle skips calibrating. The
 * key names all three (a different thread count, adapter or bundle export calibrates afresh);
 * the value is the probe samples (`AdaptiveController.exportCalibration`), as JSON.
 */
import type { BackendInfo, ModelInfo } from '../types';
import type { SavedCalibration } from './controller';

/** Where calibrations are kept: `localStorage` by default, or anything with the same two calls. */
export interface CalibrationStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const PREFIX = 'matryoshka-reranker:calibration:v1:';

/** `localStorage` where it exists and works (not in workers, Node, or storage-less iframes). */
export function defaultCalibrationStore(): CalibrationStore | null {
  try {
    const ls = (globalThis as { localStorage?: CalibrationStore }).localStorage;
    return ls ?? null;
  } catch {
    return null;
  }
}

/** The key of a calibration: device (browser, cores, threads, adapter), backend and bundle version. */
export function calibrationKey(info: ModelInfo & BackendInfo): string {
  const nav = (globalThis as { navigator?: { userAgent?: string; hardwareConcurrency?: number } }).navigator;
  const adapter = info.adapter ? [info.adapter.vendor, info.adapter.architecture, info.adapter.device, info.adapter.description].join('/') : '';
  const device = [nav?.userAgent ?? 'node', nav?.hardwareConcurrency ?? 0, info.threads ?? '', adapter].join('|');
  return `${PREFIX}${info.name}@${info.version ?? 'unversioned'}:${info.backend}:${device}`;
}

export function loadCalibration(store: CalibrationStore | null, key: string): SavedCalibration | null {
  if (!store) return null;
  try {
    const text = store.getItem(key);
    if (!text) return null;
    const saved = JSON.parse(text) as SavedCalibration;
    return saved && Array.isArray(saved.samples) && saved.samples.length > 0 ? saved : null;
  } catch {
    return null; // unreadable or corrupt: calibrate again
  }
}

export function saveCalibration(store: CalibrationStore | null, key: string, saved: SavedCalibration): boolean {
  if (!store) return false;
  try {
    store.setItem(key, JSON.stringify(saved));
    return true;
  } catch {
    return false; // quota or disabled storage: the next load calibrates again
  }
}

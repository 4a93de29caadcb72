/**
 * Every error the runtime throws. Each class has a stable `name` (it survives the worker
 * boundary as name + message + stack and is revived into the same class by `reviveError`),
 * and every message says what went wrong and how to fix it.
 */

/** Base class: `err instanceof MatryoshkaError` catches everything the runtime throws on purpose. */
export class MatryoshkaError extends Error {
  override name = 'MatryoshkaError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An option of `createReranker` / `rank` / `rankProgressive` has a wrong type or value. */
export class OptionsError extends MatryoshkaError {
  override name = 'OptionsError';
}

/** A configuration (`{depth, compress}` or a name) is not valid for the loaded bundle. */
export class ConfigError extends MatryoshkaError {
  override name = 'ConfigError';
}

/** The query or passages passed to `rank` are not usable (empty, not strings, ...). */
export class InputError extends MatryoshkaError {
  override name = 'InputError';
}

/** A bundle file is missing, unreadable, corrupt or does not follow docs/bundle-format.md. */
export class BundleError extends MatryoshkaError {
  override name = 'BundleError';
}

/**
 * The browser's storage for this site is full (QuotaExceededError), so the model could not be
 * cached. Loading still succeeds: this error is passed to option `onCacheError` (default: a
 * console warning) and its message says how to make room.
 */
export class StorageFullError extends MatryoshkaError {
  override name = 'StorageFullError';
}

/** The requested backend cannot run here (e.g. `webgpu` without `navigator.gpu`). */
export class BackendError extends MatryoshkaError {
  override name = 'BackendError';
}

/** The WebGPU device was lost (driver reset, tab in background too long, ...). */
export class DeviceLostError extends MatryoshkaError {
  override name = 'DeviceLostError';
}

/** The worker died (uncaught error, out of memory) while calls were pending. */
export class WorkerCrashedError extends MatryoshkaError {
  override name = 'WorkerCrashedError';
}

/** The reranker was used after `dispose()`. */
export class DisposedError extends MatryoshkaError {
  override name = 'DisposedError';
}

/** The call's `AbortSignal` fired. Same `name` as the DOM's AbortError so generic handlers work. */
export class AbortError extends MatryoshkaError {
  override name = 'AbortError';
  constructor(message = 'MatryoshkaReranker: the call was aborted by its AbortSignal', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An unexpected failure inside onnxruntime or the runtime itself. */
export class RuntimeError extends MatryoshkaError {
  override name = 'RuntimeError';
}

const CLASSES = {
  MatryoshkaError,
  OptionsError,
  ConfigError,
  InputError,
  BundleError,
  StorageFullError,
  BackendError,
  DeviceLostError,
  WorkerCrashedError,
  DisposedError,
  AbortError,
  RuntimeError,
} as const;

export type ErrorName = keyof typeof CLASSES;

/** What crosses the worker boundary. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    return { name: err.name, message: err.message, ...(err.stack === undefined ? {} : { stack: err.stack }) };
  }
  return { name: 'RuntimeError', message: `MatryoshkaReranker: non-Error value thrown: ${String(err)}` };
}

function isSerializedError(v: unknown): v is SerializedError {
  return typeof v === 'object' && v !== null && typeof (v as SerializedError).name === 'string' &&
    typeof (v as SerializedError).message === 'string';
}

/**
 * Turn a serialized (or comlink-rehydrated plain `Error`) back into the named class.
 * Unknown names become `RuntimeError` with the original name in the message.
 */
export function reviveError(v: unknown): MatryoshkaError {
  if (v instanceof MatryoshkaError) return v;
  if (!isSerializedError(v)) return new RuntimeError(`MatryoshkaReranker: unknown failure: ${String(v)}`);
  const Cls = (CLASSES as Record<string, typeof MatryoshkaError>)[v.name];
  const err = Cls ? new Cls(v.message) : new RuntimeError(`${v.name}: ${v.message}`);
  if (v.stack !== undefined) err.stack = v.stack;
  return err;
}

/** Throw `AbortError` if the signal fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

/** Wrap anything thrown by onnxruntime etc. so callers always see a MatryoshkaError. */
export function asMatryoshkaError(err: unknown, context: string): MatryoshkaError {
  if (err instanceof MatryoshkaError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new RuntimeError(`MatryoshkaReranker: ${context}: ${msg}`, { cause: err });
}

/**
 * A value as an error message shows it: JSON where that is faithful, but NaN, ±Infinity,
 * undefined, bigint, functions and symbols by name (JSON.stringify would print `null` or fail),
 * and long values cut to 80 characters.
 */
export function showValue(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return v.toString();
  let s: string;
  try {
    s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : typeof x === 'bigint' ? `${x}n` : x)) ?? String(v);
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

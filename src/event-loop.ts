/**
 * Yield to the event loop (a macrotask turn) so that messages and timers, such as a worker's
 * abort request or an AbortSignal fired from a timer, are seen between batches. onnxruntime's
 * WASM runs resolve without giving timers a turn, so long calls must yield themselves.
 */
export function yieldToEventLoop(): Promise<void> {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof s?.yield === 'function') return s.yield();
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { ch.port1.close(); resolve(); };
    ch.port2.postMessage(null);
  });
}

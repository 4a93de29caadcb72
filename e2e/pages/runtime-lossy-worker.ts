/** Test-only worker entry: the real worker API plus ways to crash it or destroy its WebGPU device. */
import { expose } from 'comlink';
import * as ort from 'onnxruntime-web';
import { createWorkerApi } from '../../src/worker-api';

self.addEventListener('message', (ev: MessageEvent) => {
  const test = (ev.data as { test?: string } | null)?.test;
  if (test === 'lose-device') {
    // `env.webgpu.device` is a Promise on the main thread but the device itself in a worker.
    void Promise.resolve(ort.env.webgpu.device).then((d) => (d as unknown as { destroy(): void }).destroy());
  } else if (test === 'crash') {
    setTimeout(() => { throw new Error('test crash'); });
  }
});
expose(createWorkerApi((message) => self.postMessage(message)));

/** Worker entry: exposes the engine (src/worker-api.ts) to the main thread with comlink. */
import { expose } from 'comlink';
import { useWasmOnlyBuild } from './backend';
import { createWorkerApi } from './worker-api';

useWasmOnlyBuild(); // this realm holds one engine: on WASM, onnxruntime-web's smaller build
expose(createWorkerApi((message) => self.postMessage(message)));

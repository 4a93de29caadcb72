/** Worker entry: exposes the engine (src/worker-api.ts) to the main thread with comlink. */
import { expose } from 'comlink';
import { createWorkerApi } from './worker-api';

expose(createWorkerApi((message) => self.postMessage(message)));

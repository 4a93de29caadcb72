// Generated from manifest.json by scripts/model-package.ts: do not edit.
/** A bundle as a map of its files (matryoshka-reranker's `ModelFiles`). */
export interface ModelFiles {
  name: string;
  /** URL of each bundle file by its name in manifest.json. */
  files: Record<string, string>;
}
/** The model for option `model` of createReranker / createWorkerReranker / isCached / clearCache. */
export declare const model: ModelFiles;
export default model;
/** The names of the bundle's files: copy these to self-host the model, then pass the folder URL as `model`. */
export declare const fileNames: readonly string[];

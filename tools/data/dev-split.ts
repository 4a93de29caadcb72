/**
 * The shared dev/test split of query ids (docs/dev-split.md): a query is "dev" iff the FNV-1a
 * 32-bit hash of its `_id` (UTF-8 bytes) modulo 8 is 0. The Python trainer implements the same
 * rule; trainer/tests/test_dev_split_agrees.py checks that both agree on scifact.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5; // 2166136261
const FNV_PRIME = 0x01000193; // 16777619
const DEV_MODULUS = 8;

const encoder = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`; an unsigned integer in [0, 2^32). */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** True when the query id belongs to the dev split. */
export function isDevQuery(queryId: string): boolean {
  return fnv1a32(queryId) % DEV_MODULUS === 0;
}

/** Which side of the split to keep. `all` keeps every query. */
export type QuerySplitSide = 'dev' | 'test' | 'all';

/** A filter for `loadBeir({ queryFilter })`: `dev` keeps dev ids, `test` keeps the others. */
export function querySplitFilter(side: QuerySplitSide): (queryId: string) => boolean {
  if (side === 'dev') return isDevQuery;
  if (side === 'test') return (id) => !isDevQuery(id);
  return () => true;
}

/** Splits query ids (or objects with an `id`) into dev and test, keeping their order. */
export function splitDevTest<T extends { id: string }>(queries: readonly T[]): { dev: T[]; test: T[] } {
  const dev: T[] = [];
  const test: T[] = [];
  for (const q of queries) (isDevQuery(q.id) ? dev : test).push(q);
  return { dev, test };
}

/**
 * Seeded randomness for fault injection: one stream per rule, derived from the sandbox's seed and the
 * rule's id, so a rule fires on the same calls in a rerun with the same seed whatever other endpoints
 * are called in between.
 */

/** A 32-bit FNV-1a hash of `text`. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a small, fast, well-mixed generator of floats in [0, 1). */
export function randomStream(seed: number, name: string): () => number {
  let state = fnv1a(`${seed >>> 0}:${name}`);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for when none is given (reported by `faults.seed`, so the run can still be repeated). */
export const randomSeed = (): number => Math.floor(Math.random() * 0x1_0000_0000);

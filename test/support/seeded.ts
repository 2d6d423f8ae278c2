/** A small seeded generator (mulberry32): a property test's failing history is replayed from its seed. */
export function seeded(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    /** One of `items`, `weights` (same length) deciding how often each comes. */
    pick<T>(items: readonly T[], weights?: readonly number[]): T {
      const w = weights ?? items.map(() => 1);
      let roll = next() * w.reduce((sum, x) => sum + x, 0);
      for (let i = 0; i < items.length; i++) if ((roll -= w[i]) < 0) return items[i];
      return items[items.length - 1];
    },
  };
}

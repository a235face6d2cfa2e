/**
 * Fisher-Yates shuffles for dataset splits, drawing from a `Random` (a function returning uniform
 * floats in [0, 1)); createRandom makes one from a seed with math/rng.ts.
 *
 * Note: numpy's np.random.shuffle (used by facenet) draws from a Mersenne Twister, so a seed here
 * never gives the same permutation as facenet's seed 666. Only the algorithm (Fisher-Yates from the
 * end) is the same.
 */
import { Rng } from './rng.js';

/** A source of uniform floats in [0, 1). */
export type Random = () => number;

/**
 * The project's one PRNG (math/rng.ts, xoshiro128** seeded through splitmix32) as a Random: each
 * draw is one 32-bit output / 2^32. Any finite seed is accepted and reduced to 32 bits.
 */
export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) {
    throw new RangeError(`createRandom: seed must be a finite number, got ${seed}`);
  }
  const rng = new Rng(seed >>> 0);
  return () => rng.nextUint32() / 4294967296;
}

/** Shuffles `items` in place (Fisher-Yates, walking down from the end like numpy) and returns it. */
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

/** A shuffled copy of `items`; the input is left untouched (facenet shuffles its lists in place). */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  return shuffleInPlace([...items], random);
}

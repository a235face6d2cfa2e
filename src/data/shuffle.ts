/**
 * A tiny seeded PRNG and Fisher-Yates shuffle for dataset splits.
 *
 * Kept local to src/data on purpose: the dataset code must not wait on (or break with) the general
 * RNG in src/math. Anything that wants reproducible splits passes a `Random` (a function returning
 * uniform floats in [0, 1)), so the two can be swapped freely.
 *
 * Note: numpy's np.random.shuffle (used by facenet) draws from a Mersenne Twister, so a seed here
 * never gives the same permutation as facenet's seed 666. Only the algorithm (Fisher-Yates from the
 * end) is the same.
 */

/** A source of uniform floats in [0, 1). */
export type Random = () => number;

/**
 * xoshiro128** (Blackman & Vigna) seeded through splitmix32. 128 bits of state, period 2^128 - 1;
 * good enough statistically for shuffles and much better than a single-word mulberry32.
 * Any finite number is accepted as a seed; it is reduced to 32 bits.
 */
export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) {
    throw new RangeError(`createRandom: seed must be a finite number, got ${seed}`);
  }
  // splitmix32 expands the 32-bit seed into four well-mixed state words (never all zero).
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point of xoshiro

  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result / 4294967296;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
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

/**
 * The order in which training samples are drawn, as a pure function of (seed, position).
 *
 * facenet's train_softmax draws indices from tf.train.range_input_producer(shuffle=True): an
 * endless stream of passes over the images, each pass a fresh permutation. Here pass p is the
 * permutation drawn by an Rng seeded with mixSeed(seed, p), so sample g of the run is
 * perm_{floor(g / N)}[g mod N]: a resumed run only needs its step count to continue exactly where an
 * uninterrupted run would be, and no generator state has to be saved.
 * (The permutations differ from facenet's, which come from TensorFlow's generator.)
 */
import { Rng } from '../math/rng.js';
import { FacenetError } from '../errors.js';

/**
 * A 32-bit seed from a list of integers (murmur3-style mixing). Used to give every random decision
 * of a run its own reproducible generator: mixSeed(seed, STREAM, step, i).
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Fold numbers beyond 32 bits (large sample counters) in as two words.
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    for (const word of [lo, hi]) {
      let k = Math.imul(word, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Names of the independent random streams of a run (arguments of mixSeed after the seed). */
export const STREAM = Object.freeze({
  order: 1,
  augment: 2,
  dropout: 3,
  split: 4,
  people: 5,
  selection: 6,
  tripletAugment: 7,
  embedAugment: 8,
});

/** Endless shuffled passes over n items; at(g) is the item drawn g-th. */
export class EpochOrder {
  private readonly cache = new Map<number, Int32Array>();

  constructor(
    readonly size: number,
    private readonly seed: number,
  ) {
    if (!(Number.isInteger(size) && size > 0)) throw new FacenetError('BAD_ARGUMENT', `EpochOrder: size must be a positive integer, got ${size}`);
  }

  /** The permutation of pass p (kept for the two most recent passes: prefetching straddles one boundary). */
  pass(p: number): Int32Array {
    let perm = this.cache.get(p);
    if (!perm) {
      perm = new Int32Array(this.size);
      for (let i = 0; i < this.size; i++) perm[i] = i;
      new Rng(mixSeed(this.seed, STREAM.order, p)).shuffle(perm);
      this.cache.set(p, perm);
      for (const k of this.cache.keys()) if (k < p - 1) this.cache.delete(k);
    }
    return perm;
  }

  at(g: number): number {
    if (!(Number.isSafeInteger(g) && g >= 0)) throw new FacenetError('BAD_ARGUMENT', `EpochOrder.at: bad position ${g}`);
    return this.pass(Math.floor(g / this.size))[g % this.size]!;
  }
}

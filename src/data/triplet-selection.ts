/**
 * Triplet sampling and selection of facenet's train_tripletloss.py: sample_people draws
 * people_per_batch classes and up to images_per_person images of each; after they are embedded
 * with the current model, select_triplets pairs every anchor with every later positive of its
 * class and picks, at random, one negative (another class) whose squared distance to the anchor
 * is below pos_dist + alpha (the "VGG Face" rule facenet uses; FaceNet's semi-hard rule,
 * neg > pos as well, is commented out there and not offered here either).
 *
 * Deliberate differences from facenet:
 *  - random numbers come from the Rng given (facenet: numpy's global generator);
 *  - sample_people stops when the dataset runs out of classes (facenet raises IndexError), and
 *    select_triplets walks the classes actually sampled (facenet assumes people_per_batch).
 */
import type { Rng } from '../math/rng.js';

export interface PeopleSample {
  /** Dataset image indices, grouped by class in sampling order. */
  images: number[];
  /** How many images of each sampled class, in order. */
  numPerClass: number[];
}

/** facenet's sample_people over classImages (per class, the dataset indices of its images). */
export function samplePeople(classImages: readonly (readonly number[])[], peoplePerBatch: number, imagesPerPerson: number, rng: Rng): PeopleSample {
  const wanted = peoplePerBatch * imagesPerPerson;
  const classOrder = rng.shuffle(Array.from(classImages, (_, i) => i));
  const images: number[] = [];
  const numPerClass: number[] = [];
  for (let i = 0; images.length < wanted && i < classOrder.length; i++) {
    const members = classImages[classOrder[i]!]!;
    const order = rng.shuffle(Array.from(members, (_, j) => j));
    const take = Math.min(members.length, imagesPerPerson, wanted - images.length);
    for (let j = 0; j < take; j++) images.push(members[order[j]!]!);
    numPerClass.push(take);
  }
  return { images, numPerClass };
}

export interface TripletSelection {
  /** Triplets as positions in the sample: [a0, p0, n0, a1, p1, n1, ...], shuffled. */
  triplets: Int32Array;
  /** Anchor-positive pairs considered (facenet's num_trips). */
  pairsConsidered: number;
}

/**
 * facenet's select_triplets on row-major embeddings [n, dim] of the sample (numPerClass as
 * samplePeople returned it). Distances in float64, as numpy computes them.
 */
export function selectTriplets(embeddings: Float32Array, dim: number, numPerClass: readonly number[], alpha: number, rng: Rng): TripletSelection {
  const n = embeddings.length / dim;
  const negDist = new Float64Array(n);
  const found: number[] = [];
  let pairsConsidered = 0;
  let start = 0;
  for (const count of numPerClass) {
    for (let j = 1; j < count; j++) {
      const a = start + j - 1;
      for (let k = 0; k < n; k++) negDist[k] = squaredDistance(embeddings, dim, a, k);
      // Same-class images are never negatives (facenet sets them to NaN).
      for (let k = start; k < start + count; k++) negDist[k] = Number.NaN;
      for (let pair = j; pair < count; pair++) {
        const p = start + pair;
        const posDist = squaredDistance(embeddings, dim, a, p);
        const candidates: number[] = [];
        for (let k = 0; k < n; k++) if (negDist[k]! - posDist < alpha) candidates.push(k); // NaN compares false
        if (candidates.length > 0) found.push(a, p, candidates[rng.nextInt(candidates.length)]!);
        pairsConsidered++;
      }
    }
    start += count;
  }
  // np.random.shuffle(triplets): shuffle whole triplets.
  const order = rng.shuffle(Array.from({ length: found.length / 3 }, (_, i) => i));
  const triplets = new Int32Array(found.length);
  order.forEach((t, i) => triplets.set(found.slice(t * 3, t * 3 + 3), i * 3));
  return { triplets, pairsConsidered };
}

function squaredDistance(e: Float32Array, dim: number, i: number, j: number): number {
  let sum = 0;
  const a = i * dim;
  const b = j * dim;
  for (let d = 0; d < dim; d++) {
    const diff = e[a + d]! - e[b + d]!;
    sum += diff * diff;
  }
  return sum;
}

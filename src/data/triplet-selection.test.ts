import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../math/rng.js';
import { samplePeople, selectTriplets } from './triplet-selection.js';

test('samplePeople takes up to images_per_person of each class until the batch is full', () => {
  const classes = [[0, 1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [11, 12, 13]];
  const s = samplePeople(classes, 3, 3, new Rng(1));
  assert.equal(s.images.length, 9);
  assert.equal(s.numPerClass.reduce((a, b) => a + b, 0), 9);
  let at = 0;
  for (const n of s.numPerClass) {
    const group = s.images.slice(at, at + n);
    const cls = classes.find((c) => c.includes(group[0]!))!;
    assert.ok(group.every((i) => cls.includes(i)), 'one class per group');
    assert.ok(n <= 3);
    at += n;
  }
  // Runs out of classes gracefully (facenet raises IndexError).
  const few = samplePeople([[0, 1], [2]], 45, 40, new Rng(1));
  assert.equal(few.images.length, 3);
});

test('selectTriplets applies facenet\'s rule: every anchor-positive pair, a random negative with d(a,n) - d(a,p) < alpha', () => {
  // Class 0: two points at x=0 and x=0.1; class 1: one point at x=0.3 (close), class 2: one at x=5 (far).
  const e = Float32Array.from([0, 0, 0.1, 0, 0.3, 0, 5, 0]);
  const r = selectTriplets(e, 2, [2, 1, 1], 0.2, new Rng(3));
  assert.equal(r.pairsConsidered, 1);
  // d(a,p) = 0.01; candidates: index 2 (0.09 - 0.01 < 0.2); index 3 (25 - 0.01) is not.
  assert.deepEqual(Array.from(r.triplets), [0, 1, 2]);
  const none = selectTriplets(Float32Array.from([0, 0, 0.1, 0, 5, 0]), 2, [2, 1], 0.2, new Rng(3));
  assert.equal(none.triplets.length, 0);
  assert.equal(none.pairsConsidered, 1);
});

test('selectTriplets matches a brute-force reading of the rule on random embeddings', () => {
  const rng = new Rng(9);
  const counts = [4, 3, 5];
  const n = 12;
  const dim = 3;
  const e = Float32Array.from({ length: n * dim }, () => rng.normal());
  const r = selectTriplets(e, dim, counts, 0.5, new Rng(4));
  const d = (i: number, j: number) => [0, 1, 2].reduce((s, k) => s + (e[i * dim + k]! - e[j * dim + k]!) ** 2, 0);
  const classOf = counts.flatMap((c, ci) => new Array<number>(c).fill(ci));
  let expectedTriplets = 0;
  let start = 0;
  for (const c of counts) {
    for (let a = start; a < start + c - 1; a++) {
      for (let p = a + 1; p < start + c; p++) {
        if (classOf.some((cls, k) => cls !== classOf[a] && d(a, k) - d(a, p) < 0.5)) expectedTriplets++;
      }
    }
    start += c;
  }
  assert.equal(r.triplets.length / 3, expectedTriplets);
  assert.equal(r.pairsConsidered, 6 + 3 + 10);
  for (let t = 0; t < r.triplets.length; t += 3) {
    const [a, p, neg] = [r.triplets[t]!, r.triplets[t + 1]!, r.triplets[t + 2]!];
    assert.equal(classOf[a], classOf[p]);
    assert.notEqual(classOf[a], classOf[neg]);
    assert.ok(d(a, neg) - d(a, p) < 0.5 + 1e-9);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareEmbeddings } from './compare-embeddings.js';

test('compareEmbeddings: distance, cosine similarity, verdict on the squared distance', () => {
  const r = compareEmbeddings([1, 0, 0], [0, 1, 0], 1.5);
  assert.equal(r.distance, Math.SQRT2);
  assert.equal(r.similarity, 0);
  assert.equal(r.isMatch, false); // 2 >= 1.5
  assert.deepEqual(compareEmbeddings([0.6, 0.8], [0.6, 0.8], null), { distance: 0, similarity: 1, isMatch: null });
  assert.equal(compareEmbeddings([3, 4], [0, 4], 10).isMatch, true); // 9 < 10
  assert.equal(compareEmbeddings([0, 0], [0, 0], null).similarity, 0); // no NaN for zero vectors
  assert.throws(() => compareEmbeddings([1], [1, 2], null), /different sizes: 1 and 2/);
});

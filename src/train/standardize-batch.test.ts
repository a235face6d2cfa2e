import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tidy } from '../tensor/index.js';
import { Rng } from '../math/rng.js';
import { standardizeInto } from '../embed/standardize.js';
import { standardizeBatch } from './standardize-batch.js';

test('batch standardisation in the engine equals the Embedder\'s (fixed and prewhiten), in channels_last layout', () => {
  const rng = new Rng(3);
  const n = 3;
  const s = 9;
  const pixels = Uint8Array.from({ length: n * s * s * 3 }, (_, i) => (i % 7 === 0 ? 255 : rng.nextInt(200)));
  pixels.fill(40, 0, s * s * 3); // a flat image: prewhiten's std floor 1/sqrt(N) applies
  for (const mode of ['fixed', 'prewhiten'] as const) {
    tidy(() => {
      const x = standardizeBatch(pixels, n, s, mode);
      assert.deepEqual(x.shape, [n, 3, s, s]);
      assert.ok(x.isContiguous('channels_last'));
      const got = x.contiguous().toFloat32();
      const want = new Float32Array(n * 3 * s * s);
      for (let i = 0; i < n; i++) standardizeInto(pixels.subarray(i * s * s * 3, (i + 1) * s * s * 3), s, s, mode, want, i * 3 * s * s);
      let max = 0;
      for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!));
      assert.ok(max < 1e-5, `${mode}: max difference ${max}`);
    });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyAffine,
  arcfaceTemplate,
  ARCFACE_DST_112,
  estimateNorm,
  estimateSimilarity,
  invertAffine,
} from './similarity-transform.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}] ${a[i]} vs ${b[i]}`);
};

test('recovers a known rotation + scale + translation to 1e-9', () => {
  const s = 1.7;
  const th = 0.3;
  const [a, b, tx, ty] = [s * Math.cos(th), s * Math.sin(th), 12.5, -7.25];
  const m = Float64Array.of(a, -b, tx, b, a, ty);
  const src = arcfaceTemplate(112);
  const dst = applyAffine(m, src);
  close(estimateSimilarity(src, dst), m, 1e-9);
  close(estimateSimilarity([[0, 0], [1, 0]], [[1, 1], [1, 3]]), [0, -2, 1, 2, 0, 1], 1e-12);
});

test('matches skimage Umeyama on noisy landmarks, reflected ones included', () => {
  const lmk = [[105.2, 140.8], [160.1, 138.3], [131.7, 171.9], [110.4, 198.6], [155.0, 197.2]];
  // values: skimage.transform._geometric._umeyama(lmk, arcface_dst, True)[:2] (numpy 2.4)
  close(
    estimateNorm(lmk),
    [0.6743874706888048, -0.007519660632108234, -32.04316239219901, 0.00751966063210823, 0.6743874706888048, -43.30968667639766],
    1e-9,
  );
  const mirrored = lmk.map(([x, y]) => [-x!, y!]);
  close(
    estimateNorm(mirrored),
    [0.12769540346395816, -0.009801998229502461, 74.60331347105372, 0.00980199822950246, 0.12769540346395813, 51.57285519478853],
    1e-9,
  );
});

test('inverse and apply round-trip', () => {
  const m = Float64Array.of(0.8, -0.3, 5, 0.3, 0.8, -2);
  const pts = [1, 2, -3, 4, 10, 0];
  close(applyAffine(invertAffine(m), applyAffine(m, pts)), pts, 1e-12);
  close(invertAffine(invertAffine(m)), m, 1e-12);
  assert.throws(() => invertAffine([1, 2, 0, 2, 4, 0]), { code: 'BAD_ARGUMENT' });
});

test('ArcFace template sizes follow insightface estimate_norm', () => {
  assert.deepEqual([...arcfaceTemplate()], ARCFACE_DST_112.flat());
  const t224 = arcfaceTemplate(224);
  assert.equal(t224[0], 38.2946 * 2);
  assert.equal(t224[9], 92.2041 * 2);
  const t128 = arcfaceTemplate(128);
  assert.equal(t128[0], 38.2946 + 8);
  assert.equal(t128[1], 51.6963);
  const t160 = arcfaceTemplate(160);
  assert.equal(t160[2], 73.5318 * (160 / 112));
  close(estimateNorm(arcfaceTemplate(112)), [1, 0, 0, 0, 1, 0], 1e-12);
});

test('degenerate and malformed input', () => {
  assert.throws(() => estimateSimilarity([[1, 1], [1, 1]], [[0, 0], [1, 1]]), { code: 'BAD_ARGUMENT' });
  assert.throws(() => estimateSimilarity([[0, 0], [1, 1]], [[2, 2], [2, 2]]), { code: 'BAD_ARGUMENT' });
  assert.throws(() => estimateSimilarity([0, 0, 1], [0, 0, 1]), { code: 'BAD_ARGUMENT' });
  assert.throws(() => estimateSimilarity([0, 0, 1, 1], [0, 0, 1, 1, 2, 2]), { code: 'SHAPE_MISMATCH' });
  assert.throws(() => estimateNorm([[0, 0], [1, 1]]), { code: 'BAD_ARGUMENT' });
});

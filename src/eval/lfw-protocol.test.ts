import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { equalErrorRate, evaluateLfw, npArange, ROC_THRESHOLDS, VAL_THRESHOLDS } from './lfw-protocol.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// shared/ lies beside the repository (here /work/shared; in CI beside the clone).
const SHARED = process.env.FACENET_SHARED ?? fileURLToPath(new URL('../../../shared/', import.meta.url));
const FIXTURES = join(SHARED, 'fixtures', 'lfw-protocol');

function loadFixture() {
  const buf = readFileSync(`${FIXTURES}/embeddings-12000x128.f32`);
  // copy into an aligned Float32Array (the file is little-endian float32, as is every supported host)
  const embeddings = new Float32Array(new Uint8Array(buf).buffer);
  const issame = new Uint8Array(readFileSync(`${FIXTURES}/issame-6000.u8`));
  const expected = JSON.parse(readFileSync(`${FIXTURES}/expected.json`, 'utf8')) as {
    cases: Record<string, {
      distance_metric: 0 | 1; subtract_mean: boolean; fold_accuracy: number[]; accuracy_mean: number;
      accuracy_std: number; val: number; val_std: number; far: number; auc: number; eer: number;
    }>;
  };
  return { embeddings, issame, expected };
}

test('np.arange thresholds: i * 0.01 and i * 0.001, not the decimal values', () => {
  assert.equal(ROC_THRESHOLDS.length, 400);
  assert.equal(VAL_THRESHOLDS.length, 4000);
  assert.equal(ROC_THRESHOLDS[35], 0.35000000000000003); // np.arange(0, 4, 0.01)[35]
  assert.equal(ROC_THRESHOLDS[41], 0.41000000000000003);
  assert.equal(ROC_THRESHOLDS[399], 3.99);
  assert.equal(VAL_THRESHOLDS[3999], 3.999);
  ROC_THRESHOLDS.forEach((t, i) => assert.equal(t, i * 0.01));
  assert.deepEqual([...npArange(1, 2, 0.25)], [1, 1.25, 1.5, 1.75]);
  assert.equal(npArange(0, -1, 0.5).length, 0);
});

test('parity with facenet on the 6000-pair fixture (4 settings)', () => {
  const { embeddings, issame, expected } = loadFixture();
  assert.equal(Object.keys(expected.cases).length, 4);
  for (const [name, want] of Object.entries(expected.cases)) {
    const got = evaluateLfw(embeddings, issame, { distanceMetric: want.distance_metric, subtractMean: want.subtract_mean });
    // fold accuracies are (tp + tn) / 600: they must be identical
    assert.deepEqual(got.fold_accuracy, want.fold_accuracy, `${name}: fold_accuracy`);
    for (const key of ['accuracy_mean', 'accuracy_std', 'val', 'val_std', 'far', 'auc', 'eer'] as const) {
      assert.ok(Math.abs(got[key] - want[key]) <= 1e-9, `${name}: ${key} ${got[key]} vs ${want[key]}`);
    }
    assert.equal(got.settings.nrofPairs, 6000);
    assert.equal(got.settings.embeddingSize, 128);
    assert.equal(got.tpr.length, 400);
    assert.equal(got.best_thresholds.length, 10);
  }
});

test('small synthetic evaluation: perfectly separable pairs', () => {
  // 20 pairs of 2-d unit vectors: same pairs 0.01 rad apart (squared distance ~1e-4), different
  // pairs 2 rad apart (squared distance 2 - 2 cos 2 ~ 2.83)
  const n = 20;
  const emb = new Float64Array(n * 4);
  const issame: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const same = i % 2 === 0;
    issame.push(same);
    const a = (i * Math.PI) / n;
    const b = same ? a + 0.01 : a + 2;
    emb.set([Math.cos(a), Math.sin(a), Math.cos(b), Math.sin(b)], i * 4);
  }
  const r = evaluateLfw(emb, issame, { nrofFolds: 5 });
  assert.deepEqual(r.fold_accuracy, [1, 1, 1, 1, 1]);
  assert.equal(r.accuracy_std, 0);
  assert.equal(r.auc, 1);
  assert.equal(r.eer, 0);
  assert.equal(r.val, 1);
  assert.equal(r.far, 0);
  // training FAR jumps from 0 (threshold 0) to 1 (first at threshold 2.833): 1e-3 of the way is 2.833e-3
  for (const t of r.val_thresholds) assert.ok(Math.abs(t - 2.833e-3) < 1e-12, `${t}`);
  // the first threshold above the same-pair distance wins the training accuracy
  assert.deepEqual(r.best_thresholds, Array(5).fill(0.01));
});

test('EER is NaN where the averaged ROC does not reach FAR 1', () => {
  assert.ok(Number.isNaN(equalErrorRate([0, 0.5], [0.5, 0.9])));
  assert.equal(equalErrorRate([0, 1], [0, 1]), 0.5);
});

test('argument checks', () => {
  assert.throws(() => evaluateLfw(new Float32Array(10), [true, false]), { code: 'SHAPE_MISMATCH' });
  assert.throws(() => evaluateLfw(new Float32Array(8), [true, false], { nrofFolds: 3 }), { code: 'BAD_ARGUMENT' });
  assert.throws(() => evaluateLfw(new Float32Array(8), [true, false], { nrofFolds: 2, farTarget: 0 }), { code: 'BAD_ARGUMENT' });
  assert.throws(() => evaluateLfw(new Float32Array(8), [true, false], { nrofFolds: 2, distanceMetric: 3 as 0 }), { code: 'BAD_ARGUMENT' });
  assert.throws(() => evaluateLfw(new Float32Array(0), []), { code: 'BAD_ARGUMENT' });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SvmClassifier } from './svm-classifier.js';
import { FacenetError } from '../errors.js';

// Three well-separated clusters on the unit circle in 4-D.
function data(perClass: number, seed = 1) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.1;
  const centres = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
  ];
  const x: number[] = [];
  const y: number[] = [];
  centres.forEach((c, k) => {
    for (let i = 0; i < perClass; i++) {
      x.push(...c.map((v) => v + rnd()));
      y.push(k);
    }
  });
  return { x: Float32Array.from(x), y };
}

test('linear SVM separates clusters, gives probabilities that sum to 1, and survives a JSON round trip', () => {
  const { x, y } = data(10);
  const clf = SvmClassifier.train(x, y, ['ann', 'bob', 'cy'], { dim: 4, model: 'test-model' });
  const preds = clf.predict(x);
  assert.equal(preds.filter((p, i) => p.bestClass === ['ann', 'bob', 'cy'][y[i]!]).length, 30);
  for (const p of preds) assert.ok(p.probability > 1 / 3 && p.probability <= 1);
  const again = SvmClassifier.fromJSON(JSON.parse(JSON.stringify(clf.toJSON())));
  assert.deepEqual(again.predict(x).map((p) => p.label), preds.map((p) => p.label));
  assert.equal(again.file.model, 'test-model');
  clf.dispose();
  again.dispose();
});

test("thresholds turn uncertain or distant faces into 'unknown'", () => {
  const { x, y } = data(10);
  const clf = SvmClassifier.train(x, y, ['ann', 'bob', 'cy'], { dim: 4, model: 'm' });
  const stranger = Float32Array.from([0, 0, 0, 1]);
  const [p] = clf.predict(stranger, { maxDistance: 0.5 });
  assert.equal(p!.label, 'unknown');
  assert.ok(p!.centroidDistance > 1.5);
  const [q] = clf.predict(x.subarray(0, 4), { minProbability: 1.01 });
  assert.equal(q!.label, 'unknown');
  assert.equal(q!.bestClass, 'ann');
  clf.dispose();
});

test('bad input: one class, row/label mismatch, foreign file', () => {
  const { x } = data(3);
  assert.throws(() => SvmClassifier.train(x, new Array(9).fill(0), ['a'], { dim: 4, model: 'm' }), (e: unknown) => e instanceof FacenetError && /at least 2 classes/.test(e.message));
  assert.throws(() => SvmClassifier.train(x, [0, 1], ['a', 'b'], { dim: 4, model: 'm' }), /9 embeddings but 2 labels/);
  assert.throws(() => SvmClassifier.train(x, [0, 1], ['a', 'b'], { dim: 5, model: 'm' }), /not rows of 5/);
  assert.throws(() => SvmClassifier.fromJSON({ hello: 1 }, 'x.json'), /x.json is not a facenet classifier file/);
});

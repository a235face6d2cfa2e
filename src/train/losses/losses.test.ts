import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, liveTensors } from '../../tensor/index.js';
import { CenterLoss } from './center-loss.js';
import { l2Loss, prelogitsNorm } from './regularizers.js';
import { tripletLoss } from './triplet-loss.js';
import { arcfaceLogits } from './arcface-margin.js';
import { ArcFaceHead, SoftmaxHead } from '../heads/classifier-head.js';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const closeAll = (a: ArrayLike<number>, b: number[], tol = 1e-5) => Array.from(a).forEach((v, i) => close(v, b[i]!, tol));

test('center loss: mean squared distance to the old centers; centers move by (1 - alfa)(c - f), duplicates adding up', () => {
  const cl = new CenterLoss(2, 2, 0.5);
  tidy(() => {
    const f = tensor([[1, 2], [3, 4], [5, 6]]).requiresGrad_();
    const y = tensor([0, 1, 0]).long();
    const loss = cl.loss(f, y);
    close(loss.item(), 91 / 6);
    loss.backward();
    closeAll(f.grad!.toFloat32(), [1, 2, 3, 4, 5, 6].map((v) => (2 * v) / 6)); // centers get no gradient
    cl.update(f, y);
    // c0 = 0 - 0.5 * ((0 - 1) + (0 - 5)), ... ; c1 = 0 - 0.5 * (0 - 3), ...
    closeAll(cl.centers.toFloat32(), [3, 4, 1.5, 2]);
    close(cl.loss(f, y).item(), (4 + 4 + 2.25 + 4 + 4 + 4) / 6);
  });
  cl.dispose();
});

test('prelogits norm: mean over rows of || |x| + 1e-4 ||_p, and the TF l2 loss', () => {
  tidy(() => {
    const x = tensor([[1, -2], [0, 3]]);
    close(prelogitsNorm(x, 1).item(), (3.0002 + 3.0002) / 2);
    close(prelogitsNorm(x, 2).item(), (Math.hypot(1.0001, 2.0001) + Math.hypot(0.0001, 3.0001)) / 2);
    close(prelogitsNorm(x, 3).item(), ((1.0001 ** 3 + 2.0001 ** 3) ** (1 / 3) + (0.0001 ** 3 + 3.0001 ** 3) ** (1 / 3)) / 2, 1e-4);
    close(l2Loss([tensor([[1, 2]]), tensor([3])]).item(), 7);
  });
});

test('triplet loss: mean of max(d(a,p) - d(a,n) + alpha, 0) over a, p, n rows', () => {
  tidy(() => {
    // Triplet 1: d(a,p) = 0.4, d(a,n) = 2 -> 0. Triplet 2: d(a,p) = 2, d(a,n) = 0.4 -> 1.8.
    const e = tensor([[1, 0], [0.8, 0.6], [0, 1], [1, 0], [0, 1], [0.8, 0.6]]);
    close(tripletLoss(e, 0.2).item(), 0.9);
    assert.throws(() => tripletLoss(tensor([[1, 0], [0, 1]]), 0.2), /multiple of 3/);
  });
});

test('ArcFace margin: target logit s*cos(theta+m), others s*cos(theta); the fallback past pi - m', () => {
  tidy(() => {
    const cos = tensor([[0.5, 0.2], [-0.95, 0.1]]);
    const logits = arcfaceLogits(cos, tensor([0, 0]).long(), { scale: 64, margin: 0.5 }).toFloat32();
    close(logits[0]!, 64 * Math.cos(Math.acos(0.5) + 0.5), 1e-3);
    close(logits[1]!, 64 * 0.2, 1e-4);
    close(logits[2]!, 64 * (-0.95 - Math.sin(Math.PI - 0.5) * 0.5), 1e-3); // cos(theta) <= cos(pi - m)
    close(logits[3]!, 64 * 0.1, 1e-4);
  });
});

test('heads: softmax logits [N, C]; ArcFace scores are cosines and its logits carry the margin', () => {
  const before = liveTensors().count;
  const soft = new SoftmaxHead(4, 3);
  const arc = new ArcFaceHead(4, 3, { scale: 64, margin: 0.5 });
  tidy(() => {
    const x = tensor([[1, 2, 3, 4], [-1, 0, 1, 0]]);
    const y = tensor([2, 0]).long();
    assert.deepEqual(soft.forward(x).logits.shape, [2, 3]);
    const { logits, scores } = arc.forward(x, y);
    const s = scores.toFloat32();
    assert.ok(s.every((v) => v >= -1 - 1e-6 && v <= 1 + 1e-6));
    const l = logits.toFloat32();
    close(l[0]!, 64 * s[0]!, 1e-3); // non-target: no margin
    assert.ok(l[2]! < 64 * s[2]!); // target: margin makes it smaller
    assert.equal(soft.decayedWeights().length, 1);
  });
  soft.dispose();
  arc.dispose();
  assert.equal(liveTensors().count, before);
});

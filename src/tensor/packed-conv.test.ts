/**
 * PackedConv2d (oneDNN prepacked inference convolution) against conv2d: same values in both memory
 * layouts and at several batch sizes, the fused ReLU and the residual add, the autograd and
 * float64 fallbacks, and disposal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PackedConv2d, conv2d, randn, manualSeed, tidy, noGrad, grad, liveTensors, type Tensor } from './index.js';
import { FacenetError } from '../errors.js';

/** float32 sums of ~100 products of N(0,1) values (magnitude ~10): oneDNN and libtorch's reference order them differently. */
const TOL = 1e-4;

function maxAbsDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  const x = a.toFloat32();
  const y = b.toFloat32();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

test('PackedConv2d: conv + bias + ReLU as conv2d(...).relu(), contiguous and channels_last, batch 1 and 3', () => {
  manualSeed(1);
  const before = liveTensors().count;
  tidy(() => {
    for (const format of ['contiguous', 'channels_last'] as const) {
      for (const [k, stride, padding] of [
        [3, 1, 1],
        [3, 2, 0],
        [1, 1, 0],
      ] as const) {
        const w = randn([16, 8, k, k]).contiguous(format);
        const b = randn([16]);
        const packed = new PackedConv2d(w, b, { stride, padding, relu: true });
        for (const n of [1, 3]) {
          const x = randn([n, 8, 11, 11]).contiguous(format);
          const got = noGrad(() => packed.forward(x));
          const want = conv2d(x, w, b, { stride, padding }).relu();
          assert.ok(maxAbsDiff(got, want) < TOL, `${format} k${k} s${stride} n${n}: ${maxAbsDiff(got, want)}`);
          if (format === 'channels_last') assert.ok(got.isContiguous('channels_last'), 'channels_last in, channels_last out');
        }
        packed.dispose();
      }
    }
  });
  assert.equal(liveTensors().count, before);
});

test('PackedConv2d: residual add, with and without the ReLU of the sum; no bias', () => {
  manualSeed(2);
  tidy(() => {
    const w = randn([8, 12, 1, 1]).contiguous('channels_last');
    const x = randn([2, 12, 5, 5]).contiguous('channels_last');
    const r = randn([2, 8, 5, 5]).contiguous('channels_last');
    const packed = new PackedConv2d(w, null);
    for (const reluAfter of [false, true]) {
      const got = noGrad(() => packed.forward(x, { add: r, reluAfter }));
      const sum = conv2d(x, w).add(r);
      assert.ok(maxAbsDiff(got, reluAfter ? sum.relu() : sum) < TOL);
    }
    packed.dispose();
  });
});

test('PackedConv2d: with autograd on the input it is conv2d (gradients flow); float64 works too', () => {
  manualSeed(3);
  tidy(() => {
    const w = randn([4, 3, 3, 3]);
    const b = randn([4]);
    const packed = new PackedConv2d(w, b, { padding: 1, relu: true });
    const x = randn([2, 3, 6, 6]).requiresGrad_(true);
    const y = packed.forward(x);
    const [g] = grad([y.sum()], [x]);
    const x2 = x.detach().requiresGrad_(true);
    const [g2] = grad([conv2d(x2, w, b, { padding: 1 }).relu().sum()], [x2]);
    assert.ok(maxAbsDiff(g!, g2!) < TOL);
    packed.dispose();

    const w64 = randn([4, 3, 3, 3], { dtype: 'float64' });
    const x64 = randn([1, 3, 5, 5], { dtype: 'float64' });
    const p64 = new PackedConv2d(w64, null, { padding: 1 });
    const got = noGrad(() => p64.forward(x64));
    assert.equal(got.dtype, 'float64');
    assert.ok(maxAbsDiff(got, conv2d(x64, w64, null, { padding: 1 })) < 1e-12);
    p64.dispose();
  });
});

test('PackedConv2d: keeps its own weights; use after dispose() is a DISPOSED error', () => {
  tidy(() => {
    const w = randn([4, 3, 1, 1]);
    const x = randn([1, 3, 4, 4]);
    const want = conv2d(x, w);
    const packed = new PackedConv2d(w, null);
    w.dispose(); // the handle is gone; the packed convolution still has the values
    assert.ok(maxAbsDiff(noGrad(() => packed.forward(x)), want) < TOL);
    packed.dispose();
    packed.dispose(); // twice is fine
    assert.throws(
      () => packed.forward(x),
      (e: unknown) => e instanceof FacenetError && e.code === 'DISPOSED',
    );
  });
  assert.equal(typeof PackedConv2d.available, 'boolean');
});

test('PackedConv2d: one handle over many input shapes (packed per shape, least recently used evicted) stays right, fp32 and bf16', () => {
  // Six shapes, more than a handle keeps packed, revisited in an order that evicts and re-packs.
  manualSeed(4);
  const before = liveTensors().count;
  tidy(() => {
    const w = randn([16, 8, 3, 3]).mul(0.1).contiguous('channels_last');
    const b = randn([16]);
    const order: [number, number][] = [[16, 11], [1, 11], [16, 11], [3, 11], [5, 11], [7, 11], [1, 9], [16, 11], [1, 11], [3, 11]];
    for (const dtype of ['float32', 'bfloat16'] as const) {
      const packed = new PackedConv2d(dtype === 'float32' ? w : w.to('bfloat16'), b, { padding: 1, relu: true });
      for (const [n, size] of order) {
        tidy(() => {
          const x = randn([n, 8, size, size]).contiguous('channels_last');
          const got = noGrad(() => packed.forward(dtype === 'float32' ? x : x.to('bfloat16'))).toFloat32();
          const want = conv2d(x, w, b, { padding: 1 }).relu().toFloat32();
          assert.equal(got.length, want.length, `${dtype} n${n} ${size}px: shape`);
          let err = 0;
          for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(want[i]! - got[i]!) / (1 + Math.abs(want[i]!)));
          assert.ok(err < (dtype === 'float32' ? TOL : 0.03), `${dtype} n${n} ${size}px: relative error ${err}`);
        });
      }
      packed.dispose();
    }
  });
  assert.equal(liveTensors().count, before);
});

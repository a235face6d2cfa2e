/**
 * Gradients of the differentiable ops against central finite differences in float64, and the
 * autograd API: backward, grad, zeroing, noGrad, detach, requiresGrad, isLeaf, retainGrad, grad().
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor,
  ones,
  tidy,
  noGrad,
  isGradEnabled,
  grad,
  createOptimizer,
  conv2d,
  batchNorm,
  linear,
  prelu,
  softmax,
  logSoftmax,
  maxPool2d,
  avgPool2d,
  adaptiveAvgPool2d,
  crossEntropy,
  normalize,
  interpolate,
  affineGrid,
  gridSample,
  cat,
  indexAdd,
  type Tensor,
} from './index.js';

/** Deterministic uniform values in [lo, hi) (mulberry32). */
function randomValues(n: number, seed: number, lo = -1, hi = 1): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo));
  }
  return out;
}
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

interface InputSpec {
  shape: number[];
  /** Values; random in [lo, hi) (default [-1, 1)) when omitted. */
  values?: number[];
  lo?: number;
  hi?: number;
  /** false: an input that is passed along but not differentiated. */
  grad?: boolean;
}

/**
 * Checks the gradients of f at float64 inputs against central differences: the scalar checked is
 * sum(f(inputs) * W) for fixed random weights W, so every output element matters (a plain sum of
 * softmax, say, would have zero gradient). Each input element is perturbed by ±h.
 */
function gradCheck(f: (...xs: Tensor[]) => Tensor, specs: InputSpec[], o: { tol?: number; h?: number; seed?: number } = {}): void {
  const tol = o.tol ?? 1e-5;
  const h = o.h ?? 1e-6;
  const seed = o.seed ?? 1;
  const values = specs.map((s, i) => s.values ?? randomValues(numel(s.shape), seed * 1000 + i, s.lo ?? -1, s.hi ?? 1));
  let weights: number[] | null = null;
  let outShape: number[] = [];

  const loss = (vals: number[][], withGrad: boolean): { value: number; grads: (number[] | null)[] } =>
    tidy(() => {
      const xs = vals.map((v, i) => {
        const t = tensor(v, specs[i]!.shape, { dtype: 'float64' });
        if (withGrad && specs[i]!.grad !== false) t.requiresGrad_();
        return t;
      });
      const run = () => {
        const out = f(...xs);
        assert.equal(out.dtype, 'float64', 'the checked function must stay in float64');
        if (!weights) {
          outShape = out.shape;
          weights = randomValues(out.size, seed * 7919 + 17, 0.5, 1.5).map((w, k) => (k % 2 ? -w : w));
        }
        return out.mul(tensor(weights, outShape, { dtype: 'float64' })).sum();
      };
      const l = withGrad ? run() : noGrad(run);
      if (withGrad) l.backward();
      const grads = xs.map((x, i) => {
        if (!withGrad || specs[i]!.grad === false) return null;
        const g = x.grad;
        return g ? g.toArray() : new Array<number>(x.size).fill(0);
      });
      return { value: l.item(), grads };
    });

  const analytic = loss(values, true).grads;
  specs.forEach((s, i) => {
    if (s.grad === false) return;
    const v = values[i]!;
    const a = analytic[i]!;
    for (let j = 0; j < v.length; j++) {
      const orig = v[j]!;
      v[j] = orig + h;
      const lp = loss(values, false).value;
      v[j] = orig - h;
      const lm = loss(values, false).value;
      v[j] = orig;
      const numeric = (lp - lm) / (2 * h);
      const err = Math.abs(a[j]! - numeric);
      if (!(err <= tol * Math.max(1, Math.abs(numeric)))) {
        assert.fail(`input ${i} element ${j}: backward gives ${a[j]}, finite differences ${numeric} (|diff| ${err.toExponential(2)})`);
      }
    }
  });
}

const i64 = (v: number[], shape?: number[]) => tensor(v, shape, { dtype: 'int64' });
const f64 = (v: number[], shape?: number[]) => tensor(v, shape, { dtype: 'float64' });

describe('gradients vs finite differences (float64)', () => {
  test('the checker notices a wrong gradient', () => {
    // f(x) = x * x but with its gradient doubled through a detached term: d/dx (x*x + x.detach()*x) = 3x, value x^2 + x^2
    assert.throws(() => gradCheck((x) => x.mul(x).add(x.detach().mul(x)).sub(x.detach().mul(x.detach())), [{ shape: [3] }]), /finite differences/);
  });

  describe('nn ops', () => {
    test('conv2d: input, weight, bias; stride 2, padding 1', () => {
      gradCheck((x, w, b) => conv2d(x, w, b, { stride: 2, padding: 1 }), [{ shape: [2, 2, 5, 5] }, { shape: [3, 2, 3, 3] }, { shape: [3] }]);
    });
    test('conv2d: dilation 2 and groups 2', () => {
      gradCheck((x, w) => conv2d(x, w, null, { dilation: 2, groups: 2, padding: 1 }), [{ shape: [1, 4, 6, 6] }, { shape: [4, 2, 3, 3] }]);
    });
    test('batchNorm in training mode: input, weight, bias', () => {
      gradCheck((x, w, b) => batchNorm(x, { weight: w, bias: b, training: true, eps: 1e-3 }), [{ shape: [3, 2, 2, 2] }, { shape: [2] }, { shape: [2] }]);
    });
    test('batchNorm in training mode with running statistics being updated', () => {
      const rm = f64([0, 0]);
      const rv = f64([1, 1]);
      gradCheck((x, w) => batchNorm(x, { weight: w, runningMean: rm, runningVar: rv, training: true }), [{ shape: [4, 2, 3] }, { shape: [2] }]);
      rm.dispose();
      rv.dispose();
    });
    test('linear: input, weight, bias', () => {
      gradCheck((x, w, b) => linear(x, w, b), [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [5] }]);
    });
    test('matmul: both operands, batched with broadcasting', () => {
      gradCheck((a, b) => a.matmul(b), [{ shape: [2, 3, 4] }, { shape: [4, 2] }]);
    });
    test('prelu: input and weight (per channel)', () => {
      gradCheck((x, w) => prelu(x, w), [{ shape: [2, 3, 2, 2] }, { shape: [3], lo: 0.05, hi: 0.5 }]);
    });
    test('prelu: single shared weight', () => {
      gradCheck((x, w) => prelu(x, w), [{ shape: [2, 3, 2] }, { shape: [1], values: [0.25] }]);
    });
    test('softmax and logSoftmax', () => {
      gradCheck((x) => softmax(x, 1), [{ shape: [3, 5], lo: -3, hi: 3 }]);
      gradCheck((x) => logSoftmax(x, -1), [{ shape: [3, 5], lo: -3, hi: 3 }]);
      gradCheck((x) => softmax(x, 0), [{ shape: [4, 2] }]);
    });
    test('crossEntropy: mean, label smoothing, class weights, sum', () => {
      const t = i64([1, 0, 3]);
      const w = f64([1, 2, 0.5, 1.5]);
      gradCheck((x) => crossEntropy(x, t), [{ shape: [3, 4], lo: -2, hi: 2 }]);
      gradCheck((x) => crossEntropy(x, t, { labelSmoothing: 0.2 }), [{ shape: [3, 4], lo: -2, hi: 2 }]);
      gradCheck((x) => crossEntropy(x, t, { weight: w }), [{ shape: [3, 4], lo: -2, hi: 2 }]);
      gradCheck((x) => crossEntropy(x, t, { reduction: 'sum' }), [{ shape: [3, 4], lo: -2, hi: 2 }]);
      t.dispose();
      w.dispose();
    });
    test('maxPool2d (plain and ceil mode with padding)', () => {
      gradCheck((x) => maxPool2d(x, 2), [{ shape: [1, 2, 4, 4] }]);
      gradCheck((x) => maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [{ shape: [1, 1, 6, 6] }]);
    });
    test('avgPool2d (with padding, with and without countIncludePad)', () => {
      gradCheck((x) => avgPool2d(x, 2), [{ shape: [1, 2, 4, 4] }]);
      gradCheck((x) => avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [{ shape: [1, 1, 5, 5] }]);
    });
    test('adaptiveAvgPool2d (overlapping bins)', () => {
      gradCheck((x) => adaptiveAvgPool2d(x, [2, 3]), [{ shape: [1, 2, 5, 7] }]);
    });
    test('normalize', () => {
      gradCheck((x) => normalize(x), [{ shape: [3, 4] }]);
      gradCheck((x) => normalize(x, { dim: 0 }), [{ shape: [3, 4] }]);
    });
    test('interpolate bilinear, alignCorners false and true', () => {
      gradCheck((x) => interpolate(x, [5, 3], 'bilinear', false), [{ shape: [1, 2, 3, 4] }]);
      gradCheck((x) => interpolate(x, [5, 7], 'bilinear', true), [{ shape: [1, 1, 3, 4] }]);
    });
    test('gridSample: input and grid', () => {
      gradCheck((x, g) => gridSample(x, g), [{ shape: [1, 2, 4, 5] }, { shape: [1, 3, 3, 2], lo: -0.9, hi: 0.9 }]);
      gradCheck((x, g) => gridSample(x, g, { alignCorners: true, padding: 'border' }), [{ shape: [1, 1, 4, 4] }, { shape: [1, 2, 2, 2], lo: -0.9, hi: 0.9 }]);
    });
    // theta is chosen so that no sample lands on a whole pixel coordinate, where bilinear sampling has a kink
    test('affineGrid + gridSample: gradient with respect to theta', () => {
      gradCheck((x, th) => gridSample(x, affineGrid(th, [1, 1, 4, 4])), [{ shape: [1, 1, 4, 4], grad: false }, { shape: [1, 2, 3], values: [0.913, 0.071, 0.0317, -0.0629, 0.871, 0.0173] }]);
    });
  });

  describe('elementwise and reductions', () => {
    test('pow with a number exponent and with a tensor exponent', () => {
      gradCheck((x) => x.pow(3), [{ shape: [5] }]);
      gradCheck((x) => x.pow(0.5), [{ shape: [5], lo: 0.2, hi: 2 }]);
      gradCheck((x, y) => x.pow(y), [{ shape: [4], lo: 0.2, hi: 2 }, { shape: [4], lo: -2, hi: 2 }]);
    });
    test('sqrt, exp, log', () => {
      gradCheck((x) => x.sqrt(), [{ shape: [5], lo: 0.1, hi: 3 }]);
      gradCheck((x) => x.exp(), [{ shape: [5], lo: -2, hi: 2 }]);
      gradCheck((x) => x.log(), [{ shape: [5], lo: 0.1, hi: 3 }]);
    });
    test('div: numerator and denominator', () => {
      gradCheck((a, b) => a.div(b), [{ shape: [2, 3] }, { shape: [3], lo: 0.5, hi: 2 }]);
    });
    test('sum and mean, over everything and along dims with keepdim', () => {
      gradCheck((x) => x.sum(), [{ shape: [2, 3] }]);
      gradCheck((x) => x.mean(1), [{ shape: [2, 3, 2] }]);
      gradCheck((x) => x.sum([0, 2], true).mul(x), [{ shape: [2, 3, 2] }]);
      gradCheck((x) => x.mean().mul(x), [{ shape: [4] }]);
    });
    test('a composite: tanh / sigmoid / mul / sub chain', () => {
      gradCheck((a, b) => a.tanh().mul(b.sigmoid()).sub(a.mul(b)), [{ shape: [6] }, { shape: [6] }]);
    });
  });

  describe('indexing ops', () => {
    test('cat and slice', () => {
      gradCheck((a, b) => cat([a, b.mul(2)], 1), [{ shape: [2, 2] }, { shape: [2, 3] }]);
      gradCheck((x) => x.slice(1, 1, null, 2), [{ shape: [3, 5] }]);
    });
    test('indexSelect with repeated indices', () => {
      const idx = i64([2, 0, 2]);
      gradCheck((x) => x.indexSelect(0, idx), [{ shape: [3, 2] }]);
      idx.dispose();
    });
    test('gather', () => {
      const idx = i64([1, 1, 0, 2, 2, 0], [2, 3]);
      gradCheck((x) => x.gather(1, idx), [{ shape: [2, 3] }]);
      idx.dispose();
    });
    test('indexAdd: the base and the source (repeated indices accumulate)', () => {
      const idx = i64([0, 2, 0]);
      gradCheck((x, s) => indexAdd(x, 0, idx, s, 0.5).mul(x), [{ shape: [3, 2] }, { shape: [3, 2] }]);
      idx.dispose();
    });
  });
});

describe('autograd API', () => {
  test('requiresGrad and isLeaf', () => {
    tidy(() => {
      const x = ones([2]);
      assert.equal(x.requiresGrad, false);
      assert.equal(x.isLeaf, true);
      assert.equal(x.requiresGrad_(), x);
      assert.equal(x.requiresGrad, true);
      const y = x.mul(2);
      assert.equal(y.requiresGrad, true);
      assert.equal(y.isLeaf, false);
      const z = ones([2]).mul(2); // no grad anywhere: a leaf
      assert.equal(z.requiresGrad, false);
      assert.equal(z.isLeaf, true);
      x.requiresGrad = false;
      assert.equal(x.requiresGrad, false);
    });
  });

  test('backward fills leaf gradients; they accumulate until cleared', () => {
    tidy(() => {
      const x = f64([1, -2, 3]).requiresGrad_();
      assert.equal(x.grad, null);
      x.mul(x).sum().backward();
      assert.deepEqual(x.grad!.toArray(), [2, -4, 6]);
      x.mul(x).sum().backward();
      assert.deepEqual(x.grad!.toArray(), [4, -8, 12]);
      x.grad = null;
      assert.equal(x.grad, null);
      x.mul(3).sum().backward();
      assert.deepEqual(x.grad!.toArray(), [3, 3, 3]);
      x.grad = f64([0.5, 0.5, 0.5]);
      assert.deepEqual(x.grad!.toArray(), [0.5, 0.5, 0.5]);
    });
  });

  test('optimizer zeroGrad clears the gradients (to null)', () => {
    tidy(() => {
      const x = f64([1, 2]).requiresGrad_();
      const opt = createOptimizer('sgd', [x], { lr: 0.1 });
      x.sum().backward();
      assert.notEqual(x.grad, null);
      opt.zeroGrad();
      assert.equal(x.grad, null);
      opt.dispose();
    });
  });

  test('backward with an explicit gradient for a non-scalar output', () => {
    tidy(() => {
      const x = f64([1, 2, 3]).requiresGrad_();
      x.mul(x).backward(f64([1, 0.5, -1]));
      assert.deepEqual(x.grad!.toArray(), [2, 2, -6]);
    });
  });

  test('retainGraph allows a second backward through the same graph', () => {
    tidy(() => {
      const x = f64([2]).requiresGrad_();
      const y = x.pow(3).sum();
      y.backward(undefined, true);
      y.backward();
      assert.deepEqual(x.grad!.toArray(), [24]); // 2 * 3x^2
      const z = x.exp().sum();
      z.backward();
      assert.throws(() => z.backward(), { name: 'FacenetError', code: 'NATIVE', message: /second time/ });
    });
  });

  test('noGrad records nothing, restores the mode, also after an exception, and nests', () => {
    tidy(() => {
      const x = f64([1]).requiresGrad_();
      assert.equal(isGradEnabled(), true);
      const y = noGrad(() => {
        assert.equal(isGradEnabled(), false);
        const inner = noGrad(() => x.mul(2));
        assert.equal(isGradEnabled(), false);
        return inner.add(x);
      });
      assert.equal(isGradEnabled(), true);
      assert.equal(y.requiresGrad, false);
      assert.throws(() => y.sum().backward(), { code: 'BAD_ARGUMENT', message: /does not require grad/ });
      assert.throws(() =>
        noGrad(() => {
          throw new Error('boom');
        }),
      /boom/);
      assert.equal(isGradEnabled(), true);
    });
  });

  test('detach stops the gradient and shares the values', () => {
    tidy(() => {
      const x = f64([1, 2, 3]).requiresGrad_();
      const d = x.detach();
      assert.equal(d.requiresGrad, false);
      assert.deepEqual(d.toArray(), [1, 2, 3]);
      d.mul(x).sum().backward(); // d/dx (c * x) with c = x detached
      assert.deepEqual(x.grad!.toArray(), [1, 2, 3]);
    });
  });

  test('retainGrad keeps the gradient of an intermediate', () => {
    tidy(() => {
      const x = f64([1, 2]).requiresGrad_();
      const h = x.mul(3);
      h.retainGrad();
      h.square().sum().backward();
      assert.deepEqual(h.grad!.toArray(), [6, 12]); // 2h
      assert.deepEqual(x.grad!.toArray(), [18, 36]); // 2h * 3
    });
  });

  test('grad(): first and second derivatives, gradOutputs, allowUnused; leaves .grad untouched', () => {
    tidy(() => {
      const x = f64([1, 2, -1]).requiresGrad_();
      const y = x.pow(3).sum();
      const [g1] = grad([y], [x], { createGraph: true });
      assert.deepEqual(g1!.toArray(), [3, 12, 3]); // 3x^2
      assert.equal(x.grad, null);
      const [g2] = grad([g1!.sum()], [x]);
      assert.deepEqual(g2!.toArray(), [6, 12, -6]); // 6x
      const v = x.mul(2);
      const [gv] = grad([v], [x], { gradOutputs: [f64([1, 2, 3])] });
      assert.deepEqual(gv!.toArray(), [2, 4, 6]);
      const unused = f64([5]).requiresGrad_();
      const res = grad([x.sum()], [x, unused], { allowUnused: true });
      assert.deepEqual(res[0]!.toArray(), [1, 1, 1]);
      assert.equal(res[1], null);
      assert.throws(() => grad([x.sum()], [x, unused]), { code: 'NATIVE', message: /not have been used/ });
      // retainGraph lets grad() run twice over one graph
      const w = x.square().sum();
      grad([w], [x], { retainGraph: true });
      assert.deepEqual(grad([w], [x])[0]!.toArray(), [2, 4, -2]);
    });
  });
});

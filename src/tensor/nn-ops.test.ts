/**
 * Neural-network ops against naive JS implementations and hand-worked values: conv2d, batchNorm,
 * linear/matmul, relu/prelu, softmax/logSoftmax, pooling, dropout, crossEntropy/nllLoss, normalize,
 * interpolate, affineGrid/gridSample, pad, oneHot, channels_last memory format.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor,
  arange,
  ones,
  zeros,
  manualSeed,
  tidy,
  conv2d,
  batchNorm,
  linear,
  prelu,
  softmax,
  logSoftmax,
  maxPool2d,
  avgPool2d,
  adaptiveAvgPool2d,
  dropout,
  crossEntropy,
  nllLoss,
  normalize,
  interpolate,
  affineGrid,
  gridSample,
  pad,
  oneHot,
  type Dtype,
  type Tensor,
} from './index.js';

function assertClose(actual: ArrayLike<number | bigint>, expected: ArrayLike<number>, tol = 1e-6, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) assert.fail(`${msg}[${i}]: got ${a}, expected ${e} (tol ${tol})`);
  }
}

/** Deterministic uniform values in [-1, 1) (mulberry32), independent of libtorch's generator. */
function randomValues(n: number, seed: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1);
  }
  return out;
}
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
/** A random tensor together with its values as float32-rounded (or float64) JS numbers. */
function rnd(shape: number[], seed: number, dtype: Dtype = 'float32'): { t: Tensor; v: number[] } {
  const raw = randomValues(numel(shape), seed);
  const v = dtype === 'float32' ? raw.map(Math.fround) : raw;
  return { t: tensor(v, shape, { dtype }), v };
}

// ---- naive references ---------------------------------------------------------------------------

type Shape4 = [number, number, number, number];
type Pair = [number, number];

function naiveConv2d(
  x: number[], [N, C, H, W]: Shape4,
  w: number[], [O, Cg, KH, KW]: Shape4,
  b: number[] | null,
  [sh, sw]: Pair, [ph, pw]: Pair, [dh, dw]: Pair, groups: number,
): { out: number[]; shape: number[] } {
  const OH = Math.floor((H + 2 * ph - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - dw * (KW - 1) - 1) / sw) + 1;
  const outPerGroup = O / groups;
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / outPerGroup);
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let s = b ? b[o]! : 0;
          for (let c = 0; c < Cg; c++)
            for (let ky = 0; ky < KH; ky++)
              for (let kx = 0; kx < KW; kx++) {
                const iy = oy * sh - ph + ky * dh;
                const ix = ox * sw - pw + kx * dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const ci = g * Cg + c;
                s += x[((n * C + ci) * H + iy) * W + ix]! * w[((o * Cg + c) * KH + ky) * KW + kx]!;
              }
          out.push(s);
        }
    }
  return { out, shape: [N, O, OH, OW] };
}

function naiveMatmul(a: number[], b: number[], M: number, K: number, N: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[k * N + j]!;
      out.push(s);
    }
  return out;
}

function naiveAdaptiveAvg(x: number[], [N, C, H, W]: Shape4, OH: number, OW: number): number[] {
  const out: number[] = [];
  for (let nc = 0; nc < N * C; nc++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++) {
        const y0 = Math.floor((i * H) / OH), y1 = Math.ceil(((i + 1) * H) / OH);
        const x0 = Math.floor((j * W) / OW), x1 = Math.ceil(((j + 1) * W) / OW);
        let s = 0;
        for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) s += x[nc * H * W + y * W + xx]!;
        out.push(s / ((y1 - y0) * (x1 - x0)));
      }
  return out;
}

function naiveMaxPool(x: number[], [N, C, H, W]: Shape4, k: number, s: number, p: number, OH: number, OW: number): number[] {
  const out: number[] = [];
  for (let nc = 0; nc < N * C; nc++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++) {
        let m = -Infinity;
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const y = i * s - p + ky, xx = j * s - p + kx;
            if (y >= 0 && y < H && xx >= 0 && xx < W) m = Math.max(m, x[nc * H * W + y * W + xx]!);
          }
        out.push(m);
      }
  return out;
}

function logSoftmaxRows(logits: number[], rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = logits.slice(r * cols, (r + 1) * cols);
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
    for (const v of row) out.push(v - lse);
  }
  return out;
}

// ---- conv2d ---------------------------------------------------------------------------------------

describe('conv2d against a naive convolution', () => {
  const configs: { name: string; x: Shape4; w: Shape4; stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number; bias?: boolean }[] = [
    { name: 'plain 3x3', x: [2, 3, 6, 6], w: [4, 3, 3, 3] },
    { name: 'stride 2, padding 1, bias', x: [2, 3, 7, 7], w: [5, 3, 3, 3], stride: [2, 2], padding: [1, 1], bias: true },
    { name: 'dilation 2, padding 2', x: [1, 2, 8, 8], w: [3, 2, 3, 3], dilation: [2, 2], padding: [2, 2], bias: true },
    { name: 'groups 2', x: [2, 4, 5, 5], w: [6, 2, 3, 3], groups: 2, padding: [1, 1], bias: true },
    { name: 'depthwise (groups = channels)', x: [1, 3, 5, 6], w: [3, 1, 3, 3], groups: 3 },
    { name: 'rectangular kernel, uneven stride/padding/dilation', x: [2, 2, 7, 9], w: [3, 2, 1, 3], stride: [1, 2], padding: [0, 2], dilation: [1, 2], bias: true },
    { name: '1x1 kernel', x: [2, 5, 3, 3], w: [2, 5, 1, 1], bias: true },
  ];
  configs.forEach((c, k) => {
    test(c.name, () => {
      tidy(() => {
        const x = rnd(c.x, 100 + k);
        const w = rnd(c.w, 200 + k);
        const b = c.bias ? rnd([c.w[0]], 300 + k) : null;
        const y = conv2d(x.t, w.t, b?.t ?? null, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
        const ref = naiveConv2d(x.v, c.x, w.v, c.w, b?.v ?? null, c.stride ?? [1, 1], c.padding ?? [0, 0], c.dilation ?? [1, 1], c.groups ?? 1);
        assert.deepEqual(y.shape, ref.shape);
        assertClose(y.toArray(), ref.out, 1e-5, c.name);
      });
    });
  });

  test('float64 conv agrees to 1e-12; a [C,H,W] input is treated as one unbatched image', () => {
    tidy(() => {
      const x = rnd([1, 3, 5, 5], 7, 'float64');
      const w = rnd([2, 3, 3, 3], 8, 'float64');
      const y = conv2d(x.t, w.t, null, { padding: 1 });
      assert.equal(y.dtype, 'float64');
      const ref = naiveConv2d(x.v, [1, 3, 5, 5], w.v, [2, 3, 3, 3], null, [1, 1], [1, 1], [1, 1], 1);
      assertClose(y.toArray(), ref.out, 1e-12);
      const y3 = conv2d(x.t.squeeze(0), w.t, null, { padding: 1 });
      assert.deepEqual(y3.shape, [2, 5, 5]);
      assertClose(y3.toArray(), ref.out, 1e-12);
    });
  });

  test('a scalar stride/padding applies to both axes', () => {
    tidy(() => {
      const x = rnd([1, 1, 6, 6], 9);
      const w = rnd([1, 1, 3, 3], 10);
      assert.deepEqual(conv2d(x.t, w.t, null, { stride: 2, padding: 1 }).toArray(), conv2d(x.t, w.t, null, { stride: [2, 2], padding: [1, 1] }).toArray());
    });
  });
});

// ---- batchNorm ----------------------------------------------------------------------------------

describe('batchNorm', () => {
  const shape = [4, 3, 2, 2];
  const [N, C, H, W] = shape as [number, number, number, number];
  function channelStats(v: number[]): { mean: number[]; varB: number[]; varU: number[] } {
    const mean: number[] = [], varB: number[] = [], varU: number[] = [];
    const m = N * H * W;
    for (let c = 0; c < C; c++) {
      const xs: number[] = [];
      for (let n = 0; n < N; n++) for (let i = 0; i < H * W; i++) xs.push(v[(n * C + c) * H * W + i]!);
      const mu = xs.reduce((a, b) => a + b, 0) / m;
      const ss = xs.reduce((a, b) => a + (b - mu) ** 2, 0);
      mean.push(mu);
      varB.push(ss / m);
      varU.push(ss / (m - 1));
    }
    return { mean, varB, varU };
  }
  const apply = (v: number[], mean: number[], vr: number[], g: number[], b: number[], eps: number) =>
    v.map((x, i) => {
      const c = Math.floor(i / (H * W)) % C;
      return ((x - mean[c]!) / Math.sqrt(vr[c]! + eps)) * g[c]! + b[c]!;
    });

  test('training: normalises with the batch statistics (biased variance) and updates running stats with momentum', () => {
    tidy(() => {
      const x = rnd(shape, 1, 'float64');
      x.v.forEach((_, i) => (x.v[i] = x.v[i]! * 3 + 1)); // mean ~1, not unit variance
      const xt = tensor(x.v, shape, { dtype: 'float64' });
      const g = [0.5, 2, -1];
      const b = [0.1, 0, -0.3];
      const rm0 = [0.5, -0.5, 0];
      const rv0 = [2, 1, 0.5];
      const rm = tensor(rm0, undefined, { dtype: 'float64' });
      const rv = tensor(rv0, undefined, { dtype: 'float64' });
      const momentum = 0.3;
      const eps = 1e-3;
      const y = batchNorm(xt, {
        weight: tensor(g, undefined, { dtype: 'float64' }),
        bias: tensor(b, undefined, { dtype: 'float64' }),
        runningMean: rm,
        runningVar: rv,
        training: true,
        momentum,
        eps,
      });
      const s = channelStats(x.v);
      assertClose(y.toArray(), apply(x.v, s.mean, s.varB, g, b, eps), 1e-12, 'output');
      assertClose(rm.toArray(), rm0.map((r, c) => (1 - momentum) * r + momentum * s.mean[c]!), 1e-12, 'running mean');
      assertClose(rv.toArray(), rv0.map((r, c) => (1 - momentum) * r + momentum * s.varU[c]!), 1e-12, 'running var (unbiased)');
    });
  });

  test('training without weight/bias: every channel comes out with mean 0 and variance v/(v+eps)', () => {
    tidy(() => {
      const x = rnd([8, 2, 3, 3], 2);
      const y = batchNorm(x.t, { training: true });
      const mean = y.mean([0, 2, 3]).toArray();
      assertClose(mean, [0, 0], 1e-6);
      const vb = y.sub(y.mean([0, 2, 3], true)).square().mean([0, 2, 3]).toArray();
      for (const v of vb) assert.ok(Math.abs(v - 1) < 1e-3, `variance ${v}`);
    });
  });

  test('eval: uses the running statistics and eps, and leaves them unchanged', () => {
    tidy(() => {
      const x = rnd(shape, 3, 'float64');
      const rm0 = [0.2, -0.1, 0.4];
      const rv0 = [0.5, 1.5, 3];
      const g = [1, -2, 0.5];
      const b = [0, 1, 2];
      const rm = tensor(rm0, undefined, { dtype: 'float64' });
      const rv = tensor(rv0, undefined, { dtype: 'float64' });
      for (const eps of [1e-5, 1]) {
        const y = batchNorm(x.t, {
          weight: tensor(g, undefined, { dtype: 'float64' }),
          bias: tensor(b, undefined, { dtype: 'float64' }),
          runningMean: rm,
          runningVar: rv,
          training: false,
          eps,
        });
        assertClose(y.toArray(), apply(x.v, rm0, rv0, g, b, eps), 1e-12, `eps ${eps}`);
      }
      assert.deepEqual(rm.toArray(), rm0);
      assert.deepEqual(rv.toArray(), rv0);
    });
  });

  test('2-D input [N, C] normalises each column', () => {
    tidy(() => {
      const x = tensor([1, 10, 3, 20, 5, 60], [3, 2], { dtype: 'float64' });
      const y = batchNorm(x, { training: true, eps: 0 });
      // column 0: 1,3,5 -> mean 3, biased var 8/3
      const s0 = Math.sqrt(8 / 3);
      const m1 = 30, v1 = (400 + 100 + 900) / 3;
      assertClose(y.toArray(), [-2 / s0, (10 - m1) / Math.sqrt(v1), 0, (20 - m1) / Math.sqrt(v1), 2 / s0, (60 - m1) / Math.sqrt(v1)], 1e-12);
    });
  });
});

// ---- linear / matmul ------------------------------------------------------------------------------

describe('linear and matmul against naive products', () => {
  test('matmul 2-D', () => {
    tidy(() => {
      const a = rnd([3, 4], 11), b = rnd([4, 5], 12);
      const y = a.t.matmul(b.t);
      assert.deepEqual(y.shape, [3, 5]);
      assertClose(y.toArray(), naiveMatmul(a.v, b.v, 3, 4, 5), 1e-5);
    });
  });

  test('matmul batched [2,3,4] x [4,5] and [2,3,4] x [2,4,5]', () => {
    tidy(() => {
      const a = rnd([2, 3, 4], 13), b = rnd([4, 5], 14), c = rnd([2, 4, 5], 15);
      const y = a.t.matmul(b.t);
      assert.deepEqual(y.shape, [2, 3, 5]);
      assertClose(y.toArray(), [...naiveMatmul(a.v.slice(0, 12), b.v, 3, 4, 5), ...naiveMatmul(a.v.slice(12), b.v, 3, 4, 5)], 1e-5);
      const z = a.t.matmul(c.t);
      assert.deepEqual(z.shape, [2, 3, 5]);
      assertClose(z.toArray(), [...naiveMatmul(a.v.slice(0, 12), c.v.slice(0, 20), 3, 4, 5), ...naiveMatmul(a.v.slice(12), c.v.slice(20), 3, 4, 5)], 1e-5);
    });
  });

  test('matmul of vectors: dot product (0-d) and matrix-vector', () => {
    tidy(() => {
      const d = tensor([1, 2, 3]).matmul(tensor([4, 5, 6]));
      assert.deepEqual(d.shape, []);
      assert.equal(d.item(), 32);
      const mv = tensor([1, 2, 3, 4, 5, 6], [2, 3]).matmul(tensor([1, 0, -1]));
      assert.deepEqual(mv.shape, [2]);
      assert.deepEqual(mv.toArray(), [-2, -2]);
    });
  });

  test('linear = x W^T + b, also for 3-D input and without bias', () => {
    tidy(() => {
      const x = rnd([2, 3, 4], 16), w = rnd([5, 4], 17), b = rnd([5], 18);
      const y = linear(x.t, w.t, b.t);
      assert.deepEqual(y.shape, [2, 3, 5]);
      const wT: number[] = [];
      for (let k = 0; k < 4; k++) for (let o = 0; o < 5; o++) wT.push(w.v[o * 4 + k]!);
      const ref = naiveMatmul(x.v, wT, 6, 4, 5).map((v, i) => v + b.v[i % 5]!);
      assertClose(y.toArray(), ref, 1e-5);
      assertClose(linear(x.t, w.t).toArray(), naiveMatmul(x.v, wT, 6, 4, 5), 1e-5);
    });
  });
});

// ---- activations and softmax -------------------------------------------------------------------------

describe('relu / prelu / softmax / logSoftmax', () => {
  test('relu zeroes negatives', () => {
    tidy(() => assert.deepEqual(tensor([-1, 0, 2]).relu().toArray(), [0, 0, 2]));
  });

  test('prelu: one slope for all channels, or one per channel', () => {
    tidy(() => {
      const x = tensor([-1, 2, -3, 4, -5, 6, -7, 8], [1, 2, 2, 2]);
      assert.deepEqual(prelu(x, tensor([0.25])).toArray(), [-0.25, 2, -0.75, 4, -1.25, 6, -1.75, 8]);
      assert.deepEqual(prelu(x, tensor([0.5, 0.1])).toArray(), [-0.5, 2, -1.5, 4, -0.5, 6, -0.7, 8].map(Math.fround));
    });
  });

  test('softmax matches exp / sum, rows sum to 1, and huge logits stay finite', () => {
    tidy(() => {
      const logits = [1, 2, 3, -1, 0, 1];
      const s = softmax(tensor(logits, [2, 3], { dtype: 'float64' }), 1);
      const e = logSoftmaxRows(logits, 2, 3).map(Math.exp);
      assertClose(s.toArray(), e, 1e-15);
      assertClose(s.sum(1).toArray(), [1, 1], 1e-15);
      const big = softmax(tensor([1000, 1001, 1002]), 0).toArray();
      assert.ok(big.every(Number.isFinite));
      assertClose(big, [1, Math.E, Math.E ** 2].map((v) => v / (1 + Math.E + Math.E ** 2)), 1e-6);
      // along dim 0 the columns sum to 1
      assertClose(softmax(tensor(logits, [2, 3]), 0).sum(0).toArray(), [1, 1, 1], 1e-6);
      const r = softmax(rnd([16, 10], 19).t.mul(5), -1);
      assertClose(r.sum(-1).toArray(), new Array(16).fill(1), 1e-6);
      assert.ok(r.min().item() > 0);
    });
  });

  test('logSoftmax = log(softmax) and is exact for large logits', () => {
    tidy(() => {
      const logits = [1, 2, 3, -1, 0, 1];
      const l = logSoftmax(tensor(logits, [2, 3], { dtype: 'float64' }), 1);
      assertClose(l.toArray(), logSoftmaxRows(logits, 2, 3), 1e-14);
      const x = rnd([4, 6], 20).t;
      assertClose(logSoftmax(x, 1).toArray(), softmax(x, 1).log().toArray(), 1e-5);
      const big = logSoftmax(tensor([0, 200]), 0).toArray();
      assertClose(big, [-200, 0], 1e-6);
    });
  });
});

// ---- pooling ---------------------------------------------------------------------------------------

describe('pooling', () => {
  // x = arange(25) as a 5x5 image:
  //   0  1  2  3  4
  //   5  6  7  8  9
  //  10 11 12 13 14
  //  15 16 17 18 19
  //  20 21 22 23 24
  const five = () => arange(0, 25, 1, { dtype: 'float32' }).reshape(1, 1, 5, 5);

  test('maxPool2d 2x2/2 on 5x5: floor mode drops the last row and column, ceil mode adds them', () => {
    tidy(() => {
      const f = maxPool2d(five(), 2);
      assert.deepEqual(f.shape, [1, 1, 2, 2]);
      assert.deepEqual(f.toArray(), [6, 8, 16, 18]);
      const c = maxPool2d(five(), 2, { ceilMode: true });
      assert.deepEqual(c.shape, [1, 1, 3, 3]);
      assert.deepEqual(c.toArray(), [6, 8, 9, 16, 18, 19, 21, 23, 24]);
    });
  });

  test('maxPool2d 3x3/2 with ceil mode (facenet MTCNN style) and padding', () => {
    tidy(() => {
      // 3x3/2 on 5x5: (5 - 3) / 2 is whole, so ceil mode adds no window
      assert.deepEqual(maxPool2d(five(), 3, { stride: 2 }).toArray(), [12, 14, 22, 24]);
      assert.deepEqual(maxPool2d(five(), 3, { stride: 2, ceilMode: true }).toArray(), [12, 14, 22, 24]);
      // 6x6 input, 3x3/2: floor gives 2x2, ceil gives 3x3 whose last window holds only the last row/col
      const six = arange(0, 36, 1, { dtype: 'float32' }).reshape(1, 1, 6, 6);
      assert.deepEqual(maxPool2d(six, 3, { stride: 2 }).toArray(), [14, 16, 26, 28]);
      assert.deepEqual(maxPool2d(six, 3, { stride: 2, ceilMode: true }).toArray(), [14, 16, 17, 26, 28, 29, 32, 34, 35]);
      // padding 1 on random input against a naive pool
      const x = rnd([2, 3, 7, 7], 21);
      const y = maxPool2d(x.t, 3, { stride: 2, padding: 1 });
      assert.deepEqual(y.shape, [2, 3, 4, 4]);
      assertClose(y.toArray(), naiveMaxPool(x.v, [2, 3, 7, 7], 3, 2, 1, 4, 4), 0);
    });
  });

  test('avgPool2d: block means, ceil mode divides by the clipped window, countIncludePad', () => {
    tidy(() => {
      const four = arange(0, 16, 1, { dtype: 'float32' }).reshape(1, 1, 4, 4);
      assert.deepEqual(avgPool2d(four, 2).toArray(), [2.5, 4.5, 10.5, 12.5]);
      assert.deepEqual(avgPool2d(five(), 2, { ceilMode: true }).toArray(), [3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24]);
      const o = ones([1, 1, 3, 3]);
      assert.deepEqual(avgPool2d(o, 2, { padding: 1 }).toArray(), [0.25, 0.5, 0.5, 1]);
      assert.deepEqual(avgPool2d(o, 2, { padding: 1, countIncludePad: false }).toArray(), [1, 1, 1, 1]);
      assert.deepEqual(avgPool2d(four, 2, { stride: 1 }).shape, [1, 1, 3, 3]);
    });
  });

  test('adaptiveAvgPool2d: global mean, exact blocks and overlapping bins', () => {
    tidy(() => {
      const x = rnd([2, 3, 5, 7], 22);
      const g = adaptiveAvgPool2d(x.t, 1);
      assert.deepEqual(g.shape, [2, 3, 1, 1]);
      assertClose(g.flatten().toArray(), x.t.mean([2, 3]).flatten().toArray(), 1e-6);
      for (const [oh, ow] of [[2, 2], [3, 4], [5, 7], [2, 3]] as [number, number][]) {
        const y = adaptiveAvgPool2d(x.t, [oh, ow]);
        assert.deepEqual(y.shape, [2, 3, oh, ow]);
        assertClose(y.toArray(), naiveAdaptiveAvg(x.v, [2, 3, 5, 7], oh, ow), 1e-6, `${oh}x${ow}`);
      }
      // 5 -> 2 bins are rows [0,3) and [2,5): the middle row counts twice
      assert.deepEqual(adaptiveAvgPool2d(five(), [2, 1]).toArray(), [(0 + 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13 + 14) / 15, (10 + 11 + 12 + 13 + 14 + 15 + 16 + 17 + 18 + 19 + 20 + 21 + 22 + 23 + 24) / 15]);
    });
  });
});

// ---- dropout --------------------------------------------------------------------------------------

describe('dropout', () => {
  test('training: about p of the units are zeroed and the rest scaled by 1/(1-p)', () => {
    tidy(() => {
      manualSeed(123);
      for (const p of [0.1, 0.5, 0.8]) {
        const n = 100000;
        const v = dropout(ones([n]), p, true).toFloat32();
        let zerosCount = 0;
        const scale = Math.fround(1 / (1 - p));
        for (const x of v) {
          if (x === 0) zerosCount++;
          else assert.ok(Math.abs(x - scale) < 1e-6, `kept unit is ${x}, expected ${scale}`);
        }
        assert.ok(Math.abs(zerosCount / n - p) < 0.01, `p=${p}: zero fraction ${zerosCount / n}`);
        // the expectation is preserved
        assert.ok(Math.abs(v.reduce((s, x) => s + x, 0) / n - 1) < 0.03);
      }
    });
  });

  test('eval mode and p = 0 are the identity; p = 1 zeroes everything', () => {
    tidy(() => {
      const x = rnd([3, 4], 23).t;
      assert.deepEqual(dropout(x, 0.5, false).toArray(), x.toArray());
      assert.deepEqual(dropout(x, 0, true).toArray(), x.toArray());
      assert.ok(dropout(x, 1, true).toArray().every((v) => v === 0)); // ±0
    });
  });

  test('is reproducible under manualSeed', () => {
    tidy(() => {
      manualSeed(77);
      const a = dropout(ones([200]), 0.5, true).toArray();
      manualSeed(77);
      assert.deepEqual(dropout(ones([200]), 0.5, true).toArray(), a);
    });
  });
});

// ---- losses ---------------------------------------------------------------------------------------

describe('crossEntropy / nllLoss', () => {
  const N = 4, C = 5;
  const logits = randomValues(N * C, 31).map((v) => v * 3);
  const target = [2, 0, 4, 2];
  const logp = logSoftmaxRows(logits, N, C);
  const nll = target.map((t, i) => -logp[i * C + t]!);
  const L = () => tensor(logits, [N, C], { dtype: 'float64' });
  const T = () => tensor(target, undefined, { dtype: 'int64' });

  test('equals -log softmax at the target: mean, sum, none', () => {
    tidy(() => {
      assertClose([crossEntropy(L(), T()).item()], [nll.reduce((a, b) => a + b) / N], 1e-14);
      assertClose([crossEntropy(L(), T(), { reduction: 'sum' }).item()], [nll.reduce((a, b) => a + b)], 1e-14);
      const none = crossEntropy(L(), T(), { reduction: 'none' });
      assert.deepEqual(none.shape, [N]);
      assertClose(none.toArray(), nll, 1e-14);
    });
  });

  test('labelSmoothing mixes in the mean of -log p over all classes', () => {
    tidy(() => {
      const eps = 0.1;
      const per = target.map((t, i) => {
        let all = 0;
        for (let c = 0; c < C; c++) all += -logp[i * C + c]!;
        return (1 - eps) * nll[i]! + (eps / C) * all;
      });
      assertClose(crossEntropy(L(), T(), { labelSmoothing: eps, reduction: 'none' }).toArray(), per, 1e-14);
      assertClose([crossEntropy(L(), T(), { labelSmoothing: eps }).item()], [per.reduce((a, b) => a + b) / N], 1e-14);
    });
  });

  test('class weights give a weighted mean', () => {
    tidy(() => {
      const w = [1, 2, 0.5, 1, 3];
      const num = target.reduce((s, t, i) => s + w[t]! * nll[i]!, 0);
      const den = target.reduce((s, t) => s + w[t]!, 0);
      assertClose([crossEntropy(L(), T(), { weight: tensor(w, undefined, { dtype: 'float64' }) }).item()], [num / den], 1e-14);
    });
  });

  test('nllLoss(logSoftmax(x)) = crossEntropy(x); a confident correct prediction costs ~0', () => {
    tidy(() => {
      assertClose([nllLoss(logSoftmax(L(), 1), T()).item()], [crossEntropy(L(), T()).item()], 1e-14);
      const sure = tensor([20, 0, 0, 0, 20, 0], [2, 3]);
      assert.ok(crossEntropy(sure, tensor([0, 1], undefined, { dtype: 'int64' })).item() < 1e-7);
      // uniform logits: loss = log C
      assertClose([crossEntropy(zeros([3, 7]), tensor([0, 3, 6], undefined, { dtype: 'int64' })).item()], [Math.log(7)], 1e-6);
    });
  });
});

// ---- normalize ------------------------------------------------------------------------------------

describe('normalize', () => {
  test('rows get unit L2 norm and keep their direction; a zero row stays zero', () => {
    tidy(() => {
      const x = tensor([3, 4, 0, 0, 0, 0, 0, 0, 1, 2, 2, 0], [3, 4], { dtype: 'float64' });
      const y = normalize(x);
      assertClose(y.toArray(), [0.6, 0.8, 0, 0, 0, 0, 0, 0, 1 / 3, 2 / 3, 2 / 3, 0], 1e-15);
      assert.ok(y.isfinite().all().item() === 1);
      const r = rnd([6, 5], 24).t.mul(10);
      const n = normalize(r);
      assertClose(n.norm(1).toArray(), new Array(6).fill(1), 1e-6);
      assertClose(n.mul(r.norm(1, true)).toArray(), r.toArray(), 1e-5);
    });
  });

  test('dim 0 normalises columns; p = 1 uses the L1 norm', () => {
    tidy(() => {
      const x = tensor([3, 1, 4, 1], [2, 2]);
      assertClose(normalize(x, { dim: 0 }).toArray(), [0.6, 1 / Math.SQRT2, 0.8, 1 / Math.SQRT2], 1e-6);
      assertClose(normalize(x, { p: 1 }).toArray(), [0.75, 0.25, 0.8, 0.2], 1e-6);
    });
  });
});

// ---- interpolate / affineGrid / gridSample ----------------------------------------------------------

describe('interpolate', () => {
  // [[0, 1], [2, 3]]: bilinear interpolation of a linear function is exact: v(y, x) = 2y + x
  const two = () => tensor([0, 1, 2, 3], [1, 1, 2, 2]);

  test('bilinear alignCorners=true 2x2 -> 3x3 puts the corners on the corners', () => {
    tidy(() => {
      const y = interpolate(two(), [3, 3], 'bilinear', true);
      assert.deepEqual(y.shape, [1, 1, 3, 3]);
      assertClose(y.toArray(), [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3], 1e-7);
    });
  });

  test('bilinear alignCorners=false 2x2 -> 4x4 samples at pixel centres (clamped at the border)', () => {
    tidy(() => {
      // source positions of the 4 output pixels along an axis: (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25
      // clamped to [0, 1]: 0, 0.25, 0.75, 1
      const p = [0, 0.25, 0.75, 1];
      const ref: number[] = [];
      for (const py of p) for (const px of p) ref.push(2 * py + px);
      assertClose(interpolate(two(), [4, 4], 'bilinear', false).toArray(), ref, 1e-7);
      assertClose(interpolate(two(), [4, 4]).toArray(), ref, 1e-7); // defaults
    });
  });

  test('area is the block average (adaptive average pooling)', () => {
    tidy(() => {
      const x = rnd([2, 3, 6, 6], 25).t;
      assertClose(interpolate(x, [3, 3], 'area').toArray(), avgPool2d(x, 2).toArray(), 1e-6);
      assertClose(interpolate(x, [2, 2], 'area').toArray(), avgPool2d(x, 3).toArray(), 1e-6);
      assertClose(interpolate(x, [4, 5], 'area').toArray(), adaptiveAvgPool2d(x, [4, 5]).toArray(), 1e-6);
    });
  });

  test('nearest repeats pixels; same-size bilinear is the identity', () => {
    tidy(() => {
      assert.deepEqual(interpolate(two(), [4, 4], 'nearest').toArray(), [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
      const x = rnd([1, 2, 5, 4], 26).t;
      assertClose(interpolate(x, [5, 4], 'bilinear', false).toArray(), x.toArray(), 1e-7);
      assertClose(interpolate(x, [5, 4], 'bilinear', true).toArray(), x.toArray(), 1e-6);
    });
  });
});

describe('affineGrid / gridSample', () => {
  const identity = () => tensor([1, 0, 0, 0, 1, 0], [1, 2, 3]);

  test('affineGrid of the identity gives normalised pixel coordinates', () => {
    tidy(() => {
      const gt = affineGrid(identity(), [1, 1, 2, 2], true);
      assert.deepEqual(gt.shape, [1, 2, 2, 2]);
      assertClose(gt.toArray(), [-1, -1, 1, -1, -1, 1, 1, 1], 1e-7); // (x, y) per pixel
      const gf = affineGrid(identity(), [1, 1, 2, 2], false);
      assertClose(gf.toArray(), [-0.5, -0.5, 0.5, -0.5, -0.5, 0.5, 0.5, 0.5], 1e-7);
    });
  });

  for (const alignCorners of [false, true]) {
    test(`identity transform reproduces the input (alignCorners=${alignCorners})`, () => {
      tidy(() => {
        const x = rnd([2, 3, 5, 7], 27).t;
        const theta = identity().expand(2, 2, 3);
        const grid = affineGrid(theta, [2, 3, 5, 7], alignCorners);
        assert.deepEqual(grid.shape, [2, 5, 7, 2]);
        const y = gridSample(x, grid, { alignCorners });
        assert.deepEqual(y.shape, [2, 3, 5, 7]);
        assertClose(y.toArray(), x.toArray(), 1e-5);
        assertClose(gridSample(x, grid, { alignCorners, mode: 'nearest' }).toArray(), x.toArray(), 0);
      });
    });
  }

  test('theta = diag(-1, 1) mirrors horizontally; a half-width shift moves by a quarter image', () => {
    tidy(() => {
      const x = rnd([1, 1, 4, 6], 28).t;
      const mirror = tensor([-1, 0, 0, 0, 1, 0], [1, 2, 3]);
      assertClose(gridSample(x, affineGrid(mirror, [1, 1, 4, 6])).toArray(), x.flip(3).toArray(), 1e-6);
      // x' = x + 2/3 in normalised units = 2 pixels on a 6-wide image: output column j reads input column j + 2
      const shift = tensor([1, 0, 2 / 3, 0, 1, 0], [1, 2, 3]);
      const y = gridSample(x, affineGrid(shift, [1, 1, 4, 6]), { padding: 'zeros' });
      assertClose(y.slice(3, 0, 4).toArray(), x.slice(3, 2, 6).toArray(), 1e-5);
      assertClose(y.slice(3, 4, 6).toArray(), new Array(8).fill(0), 1e-6);
    });
  });
});

// ---- pad / oneHot / channels_last -----------------------------------------------------------------

describe('pad / oneHot / memory format', () => {
  test('pad pairs run from the last dim backwards; value and negative (cropping) pads', () => {
    tidy(() => {
      const x = tensor([1, 2, 3, 4], [2, 2]);
      assert.deepEqual(pad(x, [1, 2]).toArray(), [0, 1, 2, 0, 0, 0, 3, 4, 0, 0]);
      const p = pad(x, [0, 1, 1, 0], -1);
      assert.deepEqual(p.shape, [3, 3]);
      assert.deepEqual(p.toArray(), [-1, -1, -1, 1, 2, -1, 3, 4, -1]);
      assert.deepEqual(pad(x, [-1, 0]).toArray(), [2, 4]);
      assert.deepEqual(pad(zeros([1, 1, 2, 2]), [1, 1, 1, 1]).shape, [1, 1, 4, 4]);
    });
  });

  test('oneHot gives an int64 [N, numClasses] matrix', () => {
    tidy(() => {
      const o = oneHot(tensor([0, 2, 1, 2], undefined, { dtype: 'int64' }), 3);
      assert.equal(o.dtype, 'int64');
      assert.deepEqual(o.shape, [4, 3]);
      assert.deepEqual(o.toArray(), [1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1]);
      assert.deepEqual(oneHot(tensor([1, 4], undefined, { dtype: 'int64' }), -1).shape, [2, 5]); // -1 infers
    });
  });

  test('channels_last contiguous() keeps the values and changes the strides', () => {
    tidy(() => {
      const x = rnd([2, 3, 4, 5], 29).t;
      const cl = x.contiguous('channels_last');
      assert.deepEqual(cl.shape, [2, 3, 4, 5]);
      assert.deepEqual(cl.strides, [60, 1, 15, 3]);
      assert.equal(cl.isContiguous('channels_last'), true);
      assert.equal(cl.isContiguous(), false);
      assert.equal(x.isContiguous('channels_last'), false);
      assert.deepEqual(cl.toArray(), x.toArray());
      assert.deepEqual(cl.contiguous().strides, [60, 20, 5, 1]);
      // ops accept it and give the same results
      const w = rnd([4, 3, 3, 3], 30).t;
      assertClose(conv2d(cl, w, null, { padding: 1 }).toArray(), conv2d(x, w, null, { padding: 1 }).toArray(), 1e-5);
      assertClose(maxPool2d(cl, 2).toArray(), maxPool2d(x, 2).toArray(), 0);
      assertClose(cl.add(1).toArray(), x.add(1).toArray(), 0);
    });
  });
});

/**
 * Elementwise arithmetic and math, dtype promotion with JS numbers (Python scalar rules),
 * comparisons, logical ops, where(), and the in-place ops.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, empty, where, tidy, type Tensor, type Dtype } from './index.js';

function assertClose(actual: ArrayLike<number | bigint>, expected: ArrayLike<number>, tol = 1e-6, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue; // infinities
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) assert.fail(`${msg}[${i}]: got ${a}, expected ${e} (tol ${tol})`);
  }
}

const f32 = (v: number[], shape?: number[]) => tensor(v, shape);
const f64 = (v: number[], shape?: number[]) => tensor(v, shape, { dtype: 'float64' });
const i64 = (v: number[], shape?: number[]) => tensor(v, shape, { dtype: 'int64' });

describe('arithmetic', () => {
  test('add / sub / mul / div between tensors', () => {
    tidy(() => {
      const a = f32([1, 2, 3, 4]);
      const b = f32([0.5, -1, 4, 8]);
      assert.deepEqual(a.add(b).toArray(), [1.5, 1, 7, 12]);
      assert.deepEqual(a.sub(b).toArray(), [0.5, 3, -1, -4]);
      assert.deepEqual(a.mul(b).toArray(), [0.5, -2, 12, 32]);
      assert.deepEqual(a.div(b).toArray(), [2, -2, 0.75, 0.5]);
    });
  });

  test('broadcasting [2,3] with [3] and [2,1]', () => {
    tidy(() => {
      const a = f32([1, 2, 3, 4, 5, 6], [2, 3]);
      const r = a.add(f32([10, 20, 30]));
      assert.deepEqual(r.shape, [2, 3]);
      assert.deepEqual(r.toArray(), [11, 22, 33, 14, 25, 36]);
      const c = a.mul(f32([1, -1], [2, 1]));
      assert.deepEqual(c.toArray(), [1, 2, 3, -4, -5, -6]);
      const outer = f32([1, 2], [2, 1]).mul(f32([1, 10, 100], [1, 3]));
      assert.deepEqual(outer.shape, [2, 3]);
      assert.deepEqual(outer.toArray(), [1, 10, 100, 2, 20, 200]);
    });
  });

  test('with JS numbers', () => {
    tidy(() => {
      const a = f32([1, 2, 4]);
      assert.deepEqual(a.add(1).toArray(), [2, 3, 5]);
      assert.deepEqual(a.sub(0.5).toArray(), [0.5, 1.5, 3.5]);
      assert.deepEqual(a.mul(2.5).toArray(), [2.5, 5, 10]);
      assert.deepEqual(a.div(4).toArray(), [0.25, 0.5, 1]);
      assert.deepEqual(a.neg().toArray(), [-1, -2, -4]);
    });
  });

  test('division by zero follows IEEE', () => {
    tidy(() => {
      const r = f32([1, -1, 0]).div(0).toArray();
      assert.equal(r[0], Infinity);
      assert.equal(r[1], -Infinity);
      assert.ok(Number.isNaN(r[2]));
    });
  });

  test('pow with a number and with a tensor exponent', () => {
    tidy(() => {
      const x = f64([1, 2, 3, 4]);
      assert.deepEqual(x.pow(2).toArray(), [1, 4, 9, 16]);
      assertClose(x.pow(0.5).toArray(), [1, Math.SQRT2, Math.sqrt(3), 2], 1e-15);
      assertClose(x.pow(-1).toArray(), [1, 0.5, 1 / 3, 0.25], 1e-15);
      assertClose(x.pow(f64([3, 0.5, 0, -2])).toArray(), [1, Math.SQRT2, 1, 1 / 16], 1e-15);
      assert.equal(x.pow(0).toArray().every((v) => v === 1), true);
    });
  });

  test('remainder and floorDivide round toward -infinity (Python semantics)', () => {
    tidy(() => {
      assert.deepEqual(f32([-3, 3, -7, 7]).remainder(2).toArray(), [1, 1, 1, 1]);
      assert.deepEqual(f32([-3, 3]).remainder(-2).toArray(), [-1, -1]);
      assert.deepEqual(f32([-7, 7, -6]).floorDivide(2).toArray(), [-4, 3, -3]);
      assert.deepEqual(i64([-7, 7]).floorDivide(2).toArray(), [-4, 3]);
    });
  });

  test('maximum / minimum', () => {
    tidy(() => {
      const a = f32([1, 5, -2]);
      assert.deepEqual(a.maximum(f32([3, 2, -1])).toArray(), [3, 5, -1]);
      assert.deepEqual(a.minimum(0).toArray(), [0, 0, -2]);
    });
  });
});

describe('math functions', () => {
  const xs = [0.25, 1, 2.5, 9];
  test('sqrt / exp / log / log1p / rsqrt / reciprocal / square against Math', () => {
    tidy(() => {
      const x = f64(xs);
      assertClose(x.sqrt().toArray(), xs.map(Math.sqrt), 1e-15);
      assertClose(x.exp().toArray(), xs.map(Math.exp), 1e-15);
      assertClose(x.log().toArray(), xs.map(Math.log), 1e-15);
      assertClose(x.log1p().toArray(), xs.map(Math.log1p), 1e-15);
      assertClose(x.rsqrt().toArray(), xs.map((v) => 1 / Math.sqrt(v)), 1e-15);
      assertClose(x.reciprocal().toArray(), xs.map((v) => 1 / v), 1e-15);
      assertClose(x.square().toArray(), xs.map((v) => v * v), 1e-15);
    });
  });

  test('identities in float32: exp(log x) = x, sqrt(x)^2 = x, log(exp x) = x', () => {
    tidy(() => {
      const x = f32(xs);
      assertClose(x.log().exp().toArray(), xs, 1e-6);
      assertClose(x.sqrt().square().toArray(), xs, 1e-6);
      assertClose(x.exp().log().toArray(), xs, 1e-6);
    });
  });

  test('edge values: log(0) = -inf, sqrt(-1) = NaN, isnan / isfinite', () => {
    tidy(() => {
      const x = f32([0, -1, 4]);
      const l = x.log().toArray();
      assert.equal(l[0], -Infinity);
      assert.ok(Number.isNaN(l[1]));
      const s = x.sqrt();
      assert.deepEqual(s.isnan().toArray(), [0, 1, 0]);
      assert.deepEqual(x.log().isfinite().toArray(), [0, 0, 1]);
      assert.equal(s.isnan().dtype, 'bool');
    });
  });

  test('abs / sign / floor / ceil / round (half to even) / relu / sigmoid / tanh / sin / cos / acos', () => {
    tidy(() => {
      const x = f64([-2.5, -0.5, 0, 0.5, 1.5, 2.5]);
      assert.deepEqual(x.abs().toArray(), [2.5, 0.5, 0, 0.5, 1.5, 2.5]);
      assert.deepEqual(x.sign().toArray(), [-1, -1, 0, 1, 1, 1]);
      assert.deepEqual(x.floor().toArray(), [-3, -1, 0, 0, 1, 2]);
      assert.deepEqual(x.ceil().toArray(), [-2, -0, 0, 1, 2, 3]);
      assert.deepEqual(x.round().toArray(), [-2, -0, 0, 0, 2, 2]);
      assert.deepEqual(x.relu().toArray(), [0, 0, 0, 0.5, 1.5, 2.5]);
      const v = [-2.5, -0.5, 0, 0.5, 1.5, 2.5];
      assertClose(x.sigmoid().toArray(), v.map((t) => 1 / (1 + Math.exp(-t))), 1e-15);
      assertClose(x.tanh().toArray(), v.map(Math.tanh), 1e-15);
      assertClose(x.sin().toArray(), v.map(Math.sin), 1e-15);
      assertClose(x.cos().toArray(), v.map(Math.cos), 1e-15);
      assertClose(f64([-1, 0, 0.5, 1]).acos().toArray(), [Math.PI, Math.PI / 2, Math.PI / 3, 0], 1e-15);
    });
  });

  test('clamp with min only, max only, both', () => {
    tidy(() => {
      const x = f32([-3, -1, 0, 2, 5]);
      assert.deepEqual(x.clamp(-1, 2).toArray(), [-1, -1, 0, 2, 2]);
      assert.deepEqual(x.clamp(0).toArray(), [0, 0, 0, 2, 5]);
      assert.deepEqual(x.clamp(null, 1).toArray(), [-3, -1, 0, 1, 1]);
      const i = i64([-3, 7]).clamp(0, 5);
      assert.equal(i.dtype, 'int64');
      assert.deepEqual(i.toArray(), [0, 5]);
    });
  });
});

describe('dtype promotion with numbers and tensors', () => {
  const cases: [string, () => Tensor, Dtype][] = [
    ['int64 + 1 stays int64', () => i64([1, 2]).add(1), 'int64'],
    ['int64 * 3 stays int64', () => i64([1, 2]).mul(3), 'int64'],
    ['int64 + 2.5 becomes float32 (default float)', () => i64([1, 2]).add(2.5), 'float32'],
    ['int64 / 2 is true division in float32', () => i64([1, 2]).div(2), 'float32'],
    ['int32 + 1 stays int32', () => tensor(new Int32Array([1])).add(1), 'int32'],
    ['uint8 + 1 stays uint8', () => tensor(new Uint8Array([1])).add(1), 'uint8'],
    ['bool + 1 becomes int64', () => tensor([1], undefined, { dtype: 'bool' }).add(1), 'int64'],
    ['float32 * 2.5 stays float32', () => f32([1]).mul(2.5), 'float32'],
    ['float32 + 1 stays float32', () => f32([1]).add(1), 'float32'],
    ['float64 * 2.5 stays float64', () => f64([1]).mul(2.5), 'float64'],
    ['float16 * 2 stays float16', () => f32([1]).to('float16').mul(2), 'float16'],
    ['int32 + int64 tensor is int64', () => tensor(new Int32Array([1])).add(i64([1])), 'int64'],
    ['int64 + float32 tensor is float32', () => i64([1]).add(f32([1])), 'float32'],
    ['float32 + float64 tensor is float64', () => f32([1]).add(f64([1])), 'float64'],
    ['int64 ** 2 stays int64', () => i64([3]).pow(2), 'int64'],
    ['int64 ** 0.5 becomes float32', () => i64([4]).pow(0.5), 'float32'],
    ['sqrt of int64 is float32', () => i64([4]).sqrt(), 'float32'],
    ['comparison is bool', () => f32([1]).lt(2), 'bool'],
  ];
  for (const [name, f, dtype] of cases) {
    test(name, () => {
      tidy(() => assert.equal(f().dtype, dtype));
    });
  }

  test('values survive promotion', () => {
    tidy(() => {
      assert.deepEqual(i64([1, 2]).add(1).data(), new BigInt64Array([2n, 3n]));
      assert.deepEqual(i64([1, 2]).add(2.5).toArray(), [3.5, 4.5]);
      assert.deepEqual(i64([1, 3]).div(2).toArray(), [0.5, 1.5]);
      // a float32 tensor times a number is computed in float32: 0.1 * 3 rounds as float32 does
      assert.equal(f32([0.1]).mul(3).item(), Math.fround(Math.fround(0.1) * 3));
      assert.equal(f64([0.1]).mul(3).item(), 0.1 * 3);
      assert.deepEqual(i64([9, 4]).pow(2).data(), new BigInt64Array([81n, 16n]));
    });
  });
});

describe('comparisons, logical ops and where', () => {
  test('eq ne lt le gt ge with tensors and numbers', () => {
    tidy(() => {
      const a = f32([1, 2, 3]);
      const b = f32([3, 2, 1]);
      assert.deepEqual(a.eq(b).toArray(), [0, 1, 0]);
      assert.deepEqual(a.ne(b).toArray(), [1, 0, 1]);
      assert.deepEqual(a.lt(b).toArray(), [1, 0, 0]);
      assert.deepEqual(a.le(b).toArray(), [1, 1, 0]);
      assert.deepEqual(a.gt(b).toArray(), [0, 0, 1]);
      assert.deepEqual(a.ge(b).toArray(), [0, 1, 1]);
      assert.deepEqual(a.gt(1.5).toArray(), [0, 1, 1]);
      assert.deepEqual(i64([1, 2]).eq(2).toArray(), [0, 1]);
      const m = a.ge(2);
      assert.equal(m.dtype, 'bool');
      assert.ok(m.data() instanceof Uint8Array);
    });
  });

  test('logicalAnd / logicalOr / logicalNot', () => {
    tidy(() => {
      const p = f32([0, 0, 1, 1]).gt(0);
      const q = f32([0, 1, 0, 1]).gt(0);
      assert.deepEqual(p.logicalAnd(q).toArray(), [0, 0, 0, 1]);
      assert.deepEqual(p.logicalOr(q).toArray(), [0, 1, 1, 1]);
      assert.deepEqual(p.logicalNot().toArray(), [1, 1, 0, 0]);
    });
  });

  test('where with tensors, numbers and broadcasting', () => {
    tidy(() => {
      const x = f32([-2, -1, 0, 1, 2]);
      const c = x.gt(0);
      assert.deepEqual(where(c, x, x.neg()).toArray(), [2, 1, -0, 1, 2]); // -0 from neg(0)
      assert.deepEqual(where(c, x, 0).toArray(), [0, 0, 0, 1, 2]);
      assert.equal(where(c, x, 0).dtype, 'float32');
      const ints = where(c, 1, 0);
      assert.equal(ints.dtype, 'int64');
      assert.deepEqual(ints.toArray(), [0, 0, 0, 1, 1]);
      const rows = f32([1, 0], [2, 1]).gt(0);
      const r = where(rows, f32([1, 2, 3]), f32([-1, -2, -3]));
      assert.deepEqual(r.shape, [2, 3]);
      assert.deepEqual(r.toArray(), [1, 2, 3, -1, -2, -3]);
    });
  });
});

describe('in-place ops', () => {
  test('add_ (with alpha), mul_, fill_, zero_ return the same tensor', () => {
    tidy(() => {
      const x = f32([1, 2, 3]);
      assert.equal(x.add_(f32([1, 1, 1]), 2), x);
      assert.deepEqual(x.toArray(), [3, 4, 5]);
      x.add_(1);
      assert.deepEqual(x.toArray(), [4, 5, 6]);
      x.mul_(0.5);
      assert.deepEqual(x.toArray(), [2, 2.5, 3]);
      x.mul_(f32([2, 0, 1]));
      assert.deepEqual(x.toArray(), [4, 0, 3]);
      x.fill_(7);
      assert.deepEqual(x.toArray(), [7, 7, 7]);
      x.zero_();
      assert.deepEqual(x.toArray(), [0, 0, 0]);
    });
  });

  test('copy_, lerp_, addcmul_, addcdiv_', () => {
    tidy(() => {
      const x = f64([1, 2, 3]);
      x.copy_(f64([10, 20, 30]));
      assert.deepEqual(x.toArray(), [10, 20, 30]);
      x.copy_(f32([1, 2, 4])); // copies across dtypes
      assert.equal(x.dtype, 'float64');
      assert.deepEqual(x.toArray(), [1, 2, 4]);
      x.lerp_(f64([3, 2, 0]), 0.25); // x += 0.25 (end - x)
      assert.deepEqual(x.toArray(), [1.5, 2, 3]);
      x.addcmul_(f64([1, 2, 3]), f64([2, 2, 2]), 0.5); // x += 0.5 a b
      assert.deepEqual(x.toArray(), [2.5, 4, 6]);
      x.addcdiv_(f64([1, 4, 9]), f64([2, 2, 3]), -1); // x -= a / b
      assert.deepEqual(x.toArray(), [2, 2, 3]);
    });
  });

  test('write_: a typed array into a tensor from an element offset, converting dtype; bad offsets and views refused', () => {
    tidy(() => {
      const m = empty([3, 2]);
      m.fill_(0);
      m.write_(new Float32Array([1, 2, 3, 4]), 2);
      assert.deepEqual(m.toArray(), [0, 0, 1, 2, 3, 4]); // toArray is flat
      const sub = new Float32Array([9, 8, 7, 6]).subarray(2); // the view's offset is honoured
      m.write_(sub, 0);
      assert.deepEqual(m.toArray(), [7, 6, 1, 2, 3, 4]);
      const bf = empty([2, 2], { dtype: 'bfloat16' });
      bf.write_(new Float32Array([1, 0.5, 1 + 2 ** -10, 3]));
      assert.deepEqual(Array.from(bf.toFloat32()), [1, 0.5, 1, 3]); // 1 + 2^-10 rounds to 1 in bf16
      assert.throws(() => m.write_(new Float32Array(3), 4), /3 values from element 4 overrun a tensor of 6/);
      assert.throws(() => m.write_(new Float32Array(1), -1), /offset must be an integer >= 0/);
      assert.throws(() => m.T.write_(new Float32Array(1), 0), /contiguous/);
    });
  });

  test('in-place ops on a view write through to the base (views share storage, as in torch)', () => {
    tidy(() => {
      const base = f32([1, 2, 3, 4], [2, 2]);
      base.select(0, 1).fill_(0);
      assert.deepEqual(base.toArray(), [1, 2, 0, 0]);
      const c = base.clone();
      c.fill_(9);
      assert.deepEqual(base.toArray(), [1, 2, 0, 0]);
    });
  });
});

/**
 * Tensor creation and read-back: tensor() from nested arrays and typed arrays of every dtype,
 * full/zeros/ones/arange, the seeded random creators (reproducibility and statistics), and
 * data()/toFloat32()/toArray()/item().
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor,
  full,
  zeros,
  ones,
  zerosLike,
  onesLike,
  arange,
  randn,
  rand,
  randint,
  randperm,
  manualSeed,
  tidy,
  type Dtype,
} from './index.js';

function assertClose(actual: ArrayLike<number | bigint>, expected: ArrayLike<number>, tol = 1e-6, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) assert.fail(`${msg}[${i}]: got ${a}, expected ${e} (tol ${tol})`);
  }
}

function stats(v: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    s += v[i]!;
    min = Math.min(min, v[i]!);
    max = Math.max(max, v[i]!);
  }
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length), min, max };
}

describe('tensor() from nested arrays', () => {
  test('infers the shape and defaults to float32', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.rank, 2);
    assert.equal(t.size, 6);
    assert.equal(t.dtype, 'float32');
    assert.equal(t.device, 'cpu');
    assert.deepEqual(t.strides, [3, 1]);
    assert.ok(t.data() instanceof Float32Array);
    assert.deepEqual(t.toArray(), [1, 2, 3, 4, 5, 6]);
    assert.equal(t.toString(), 'Tensor(float32, [2, 3], cpu)');
    t.dispose();
  });

  test('3-D nesting, a bare number (0-d) and an empty array', () => {
    tidy(() => {
      const t = tensor([[[1, 2]], [[3, 4]], [[5, 6]]]);
      assert.deepEqual(t.shape, [3, 1, 2]);
      assert.deepEqual(t.toArray(), [1, 2, 3, 4, 5, 6]);
      const s = tensor(7.5);
      assert.deepEqual(s.shape, []);
      assert.equal(s.size, 1);
      assert.equal(s.item(), 7.5);
      const e = tensor([]);
      assert.deepEqual(e.shape, [0]);
      assert.equal(e.size, 0);
      assert.equal(e.data().length, 0);
    });
  });

  test('an explicit shape reshapes the flat values', () => {
    tidy(() => {
      const t = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
      assert.deepEqual(t.shape, [3, 2]);
      assert.deepEqual(t.toArray(), [1, 2, 3, 4, 5, 6]);
    });
  });

  test('booleans become 1/0, and dtype bool reads back as a Uint8Array', () => {
    tidy(() => {
      assert.deepEqual(tensor([true, false, true]).toArray(), [1, 0, 1]);
      const b = tensor([true, false, true], undefined, { dtype: 'bool' });
      assert.equal(b.dtype, 'bool');
      const d = b.data();
      assert.ok(d instanceof Uint8Array);
      assert.deepEqual(Array.from(d), [1, 0, 1]);
    });
  });

  const cases: { dtype: Dtype; ctor: Function; values: number[]; expected: (number | bigint)[] }[] = [
    { dtype: 'float32', ctor: Float32Array, values: [1.5, -2.25, 3], expected: [1.5, -2.25, 3] },
    { dtype: 'float64', ctor: Float64Array, values: [0.1, -2.25, 1e300], expected: [0.1, -2.25, 1e300] },
    { dtype: 'int64', ctor: BigInt64Array, values: [1.7, -1.7, 2 ** 40], expected: [1n, -1n, 2n ** 40n] },
    { dtype: 'int32', ctor: Int32Array, values: [1.7, -1.7, 2 ** 30], expected: [1, -1, 2 ** 30] },
    { dtype: 'int16', ctor: Int16Array, values: [1, -300, 32767], expected: [1, -300, 32767] },
    { dtype: 'int8', ctor: Int8Array, values: [1, -128, 127], expected: [1, -128, 127] },
    { dtype: 'uint8', ctor: Uint8Array, values: [0, 200, 255], expected: [0, 200, 255] },
    { dtype: 'bool', ctor: Uint8Array, values: [0, 2, -1], expected: [0, 1, 1] },
  ];
  for (const c of cases) {
    test(`dtype ${c.dtype}: values, typed array class, truncation of fractions`, () => {
      tidy(() => {
        const t = tensor(c.values, undefined, { dtype: c.dtype });
        assert.equal(t.dtype, c.dtype);
        const d = t.data();
        assert.ok(d instanceof c.ctor, `${c.dtype} reads back as ${c.ctor.name}, got ${d.constructor.name}`);
        assert.deepEqual(Array.from(d as ArrayLike<number | bigint>), c.expected);
      });
    });
  }

  test('float16 and bfloat16 are made by conversion and read back as float32', () => {
    tidy(() => {
      const h = tensor([1.5, -2, 65504]).to('float16');
      assert.equal(h.dtype, 'float16');
      assert.ok(h.data() instanceof Float32Array);
      assert.deepEqual(h.toArray(), [1.5, -2, 65504]);
      assert.equal(h.slice(0, 0, 1).item(), 1.5);
      // float16 has 10 mantissa bits: 1 + 2^-11 rounds to 1.
      assert.equal(tensor([1 + 2 ** -11]).to('float16').item(), 1);
      const b = tensor([1.5, 1.001, 3e38]).to('bfloat16');
      assert.equal(b.dtype, 'bfloat16');
      const v = b.toArray();
      assert.equal(v[0], 1.5);
      assert.equal(v[1], 1); // 7 mantissa bits
      assert.ok(Math.abs(v[2]! - 3e38) / 3e38 < 0.01); // bfloat16 keeps float32's range
    });
  });
});

describe('tensor() from typed arrays', () => {
  const arrays: [string, ArrayBufferView, Dtype][] = [
    ['Float32Array', new Float32Array([1.5, -2, 3, 4]), 'float32'],
    ['Float64Array', new Float64Array([0.1, -2, 3, 4]), 'float64'],
    ['BigInt64Array', new BigInt64Array([1n, -2n, 2n ** 62n, 4n]), 'int64'],
    ['Int32Array', new Int32Array([1, -2, 2 ** 31 - 1, 4]), 'int32'],
    ['Int16Array', new Int16Array([1, -2, -32768, 4]), 'int16'],
    ['Int8Array', new Int8Array([1, -2, 127, 4]), 'int8'],
    ['Uint8Array', new Uint8Array([1, 2, 255, 4]), 'uint8'],
  ];
  for (const [name, arr, dtype] of arrays) {
    test(`${name} keeps its dtype and exact values`, () => {
      tidy(() => {
        const t = tensor(arr, [2, 2]);
        assert.equal(t.dtype, dtype);
        assert.deepEqual(t.shape, [2, 2]);
        const d = t.data();
        assert.equal(d.constructor, arr.constructor);
        assert.deepEqual(Array.from(d as ArrayLike<number | bigint>), Array.from(arr as unknown as ArrayLike<number | bigint>));
        // without a shape: 1-D
        assert.deepEqual(tensor(arr).shape, [4]);
      });
    });
  }

  test('int64 values beyond 2^53 survive exactly as BigInt', () => {
    tidy(() => {
      const big = 2n ** 62n + 12345n;
      const t = tensor(new BigInt64Array([big, -big]));
      const d = t.data();
      assert.ok(d instanceof BigInt64Array);
      assert.equal(d[0], big);
      assert.equal(d[1], -big);
    });
  });

  test('options.dtype converts the typed array', () => {
    tidy(() => {
      const a = tensor(new Float32Array([1.5, -2.5, 3.9]), undefined, { dtype: 'int32' });
      assert.equal(a.dtype, 'int32');
      assert.deepEqual(a.toArray(), [1, -2, 3]);
      const b = tensor(new BigInt64Array([5n, -6n]), undefined, { dtype: 'float64' });
      assert.equal(b.dtype, 'float64');
      assert.deepEqual(b.toArray(), [5, -6]);
      const c = tensor(new Int32Array([0, 7, -1]), undefined, { dtype: 'bool' });
      assert.deepEqual(Array.from(c.data() as Uint8Array), [0, 1, 1]);
      const d = tensor(new Uint8Array([1, 0, 2]), undefined, { dtype: 'bool' });
      assert.deepEqual(d.toArray(), [1, 0, 1]);
    });
  });

  test('a view with a byteOffset reads the right bytes', () => {
    tidy(() => {
      const backing = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(tensor(new Float32Array(backing.buffer, 8, 4)).toArray(), [2, 3, 4, 5]);
      assert.deepEqual(tensor(backing.subarray(5)).toArray(), [5, 6, 7]);
    });
  });

  test('the data is copied in both directions', () => {
    tidy(() => {
      const src = new Float32Array([1, 2, 3]);
      const t = tensor(src);
      src[0] = 100;
      assert.deepEqual(t.toArray(), [1, 2, 3]);
      const out = t.data() as Float32Array;
      out[1] = 200;
      assert.deepEqual(t.toArray(), [1, 2, 3]);
    });
  });
});

describe('full / zeros / ones / *Like / arange', () => {
  test('full, zeros, ones with shapes and dtypes', () => {
    tidy(() => {
      const f = full([2, 3], 2.5);
      assert.deepEqual(f.shape, [2, 3]);
      assert.equal(f.dtype, 'float32');
      assert.deepEqual(f.toArray(), [2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
      const z = zeros([4], { dtype: 'int64' });
      assert.equal(z.dtype, 'int64');
      assert.deepEqual(Array.from(z.data() as BigInt64Array), [0n, 0n, 0n, 0n]);
      const o = ones([2, 2], { dtype: 'float64' });
      assert.equal(o.dtype, 'float64');
      assert.deepEqual(o.toArray(), [1, 1, 1, 1]);
      const ob = ones([2], { dtype: 'bool' });
      assert.deepEqual(Array.from(ob.data() as Uint8Array), [1, 1]);
      const scalar = full([], 3);
      assert.deepEqual(scalar.shape, []);
      assert.equal(scalar.item(), 3);
      assert.deepEqual(zeros([0, 3]).shape, [0, 3]);
    });
  });

  test('zerosLike / onesLike keep shape and dtype', () => {
    tidy(() => {
      const src = tensor([[1, 2, 3]], undefined, { dtype: 'int32' });
      const z = zerosLike(src);
      assert.deepEqual(z.shape, [1, 3]);
      assert.equal(z.dtype, 'int32');
      assert.deepEqual(z.toArray(), [0, 0, 0]);
      const o = onesLike(src.to('float64'));
      assert.equal(o.dtype, 'float64');
      assert.deepEqual(o.toArray(), [1, 1, 1]);
    });
  });

  test('arange: integral arguments give int64, fractional give float32', () => {
    tidy(() => {
      const a = arange(0, 5);
      assert.equal(a.dtype, 'int64');
      assert.deepEqual(Array.from(a.data() as BigInt64Array), [0n, 1n, 2n, 3n, 4n]);
      assert.deepEqual(arange(2, 10, 3).toArray(), [2, 5, 8]);
      assert.deepEqual(arange(5, 0, -1).toArray(), [5, 4, 3, 2, 1]);
      const f = arange(0, 1, 0.25);
      assert.equal(f.dtype, 'float32');
      assert.deepEqual(f.toArray(), [0, 0.25, 0.5, 0.75]);
      assert.equal(arange(0, 1, 0.1).size, 10);
      const d = arange(0, 3, 1, { dtype: 'float64' });
      assert.equal(d.dtype, 'float64');
      assert.deepEqual(d.toArray(), [0, 1, 2]);
      assert.equal(arange(3, 3).size, 0);
    });
  });
});

describe('random creation', () => {
  test('manualSeed makes randn, rand, randint, randperm reproducible', () => {
    tidy(() => {
      const draw = () => [randn([50]).toArray(), rand([50]).toArray(), randint(0, 100, [50]).toArray(), randperm(50).toArray()];
      manualSeed(1234);
      const a = draw();
      manualSeed(1234);
      const b = draw();
      assert.deepEqual(a, b);
      manualSeed(1235);
      const c = draw();
      for (let k = 0; k < 4; k++) assert.notDeepEqual(a[k], c[k]);
    });
  });

  test('randn: mean 0, std 1, ~68.3% within one sigma, dtype option', () => {
    tidy(() => {
      manualSeed(7);
      const t = randn([200, 500]);
      assert.deepEqual(t.shape, [200, 500]);
      assert.equal(t.dtype, 'float32');
      const v = t.toFloat32();
      const s = stats(v);
      assert.ok(Math.abs(s.mean) < 0.01, `mean ${s.mean}`);
      assert.ok(Math.abs(s.std - 1) < 0.01, `std ${s.std}`);
      let inside = 0;
      for (const x of v) if (Math.abs(x) < 1) inside++;
      assert.ok(Math.abs(inside / v.length - 0.6827) < 0.005, `within 1 sigma: ${inside / v.length}`);
      assert.equal(randn([3], { dtype: 'float64' }).dtype, 'float64');
    });
  });

  test('rand: uniform in [0, 1), mean 1/2, variance 1/12', () => {
    tidy(() => {
      manualSeed(8);
      const v = rand([100000]).toFloat32();
      const s = stats(v);
      assert.ok(s.min >= 0 && s.max < 1, `range [${s.min}, ${s.max}]`);
      assert.ok(Math.abs(s.mean - 0.5) < 0.005, `mean ${s.mean}`);
      assert.ok(Math.abs(s.std ** 2 - 1 / 12) < 0.002, `var ${s.std ** 2}`);
      // each tenth of the interval gets ~10%
      const bins = new Array<number>(10).fill(0);
      for (const x of v) bins[Math.floor(x * 10)]!++;
      for (const b of bins) assert.ok(Math.abs(b / v.length - 0.1) < 0.006, `bin share ${b / v.length}`);
    });
  });

  test('randint: integers in [low, high), every value drawn, int64 by default', () => {
    tidy(() => {
      manualSeed(9);
      const t = randint(-3, 4, [7000]);
      assert.equal(t.dtype, 'int64');
      const counts = new Map<number, number>();
      for (const x of t.toArray()) counts.set(x, (counts.get(x) ?? 0) + 1);
      assert.deepEqual([...counts.keys()].sort((a, b) => a - b), [-3, -2, -1, 0, 1, 2, 3]);
      for (const c of counts.values()) assert.ok(Math.abs(c / 7000 - 1 / 7) < 0.02);
      const i32 = randint(0, 10, [2, 3], 'int32');
      assert.equal(i32.dtype, 'int32');
      assert.deepEqual(i32.shape, [2, 3]);
    });
  });

  test('randperm: a permutation of 0..n-1 as int64', () => {
    tidy(() => {
      manualSeed(10);
      const p = randperm(100);
      assert.equal(p.dtype, 'int64');
      const v = p.toArray();
      assert.deepEqual([...v].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
      assert.notDeepEqual(v, Array.from({ length: 100 }, (_, i) => i));
      assert.equal(randperm(0).size, 0);
    });
  });

  test('in-place initialisers uniform_ and normal_ follow the seed and their parameters', () => {
    tidy(() => {
      manualSeed(11);
      const u = zeros([50000]).uniform_(-2, 3).toFloat32();
      const su = stats(u);
      assert.ok(su.min >= -2 && su.max < 3);
      assert.ok(Math.abs(su.mean - 0.5) < 0.03);
      const n = zeros([50000]).normal_(5, 0.5).toFloat32();
      const sn = stats(n);
      assert.ok(Math.abs(sn.mean - 5) < 0.01, `mean ${sn.mean}`);
      assert.ok(Math.abs(sn.std - 0.5) < 0.01, `std ${sn.std}`);
      manualSeed(11);
      assert.deepEqual(Array.from(zeros([50000]).uniform_(-2, 3).toFloat32()), Array.from(u));
    });
  });
});

describe('read-back', () => {
  test('item() for 0-d and one-element tensors of several dtypes', () => {
    tidy(() => {
      assert.equal(tensor(0.1, undefined, { dtype: 'float64' }).item(), 0.1);
      assert.equal(tensor([[2.5]]).item(), 2.5);
      assert.equal(tensor([-7], undefined, { dtype: 'int64' }).item(), -7);
      assert.equal(tensor([true], undefined, { dtype: 'bool' }).item(), 1);
      assert.equal(tensor([1.5]).to('float16').item(), 1.5);
      assert.equal(tensor([200], undefined, { dtype: 'uint8' }).item(), 200);
    });
  });

  test('toFloat32() converts any dtype; toArray() gives plain numbers', () => {
    tidy(() => {
      const i = tensor(new BigInt64Array([3n, -4n]));
      const f = i.toFloat32();
      assert.ok(f instanceof Float32Array);
      assert.deepEqual(Array.from(f), [3, -4]);
      const arr = i.toArray();
      assert.deepEqual(arr, [3, -4]);
      assert.equal(typeof arr[0], 'number');
      const d = tensor(new Float64Array([0.1]));
      assert.equal(d.toFloat32()[0], Math.fround(0.1));
      assert.equal(d.toArray()[0], 0.1);
      assert.deepEqual(tensor([1, 0], undefined, { dtype: 'bool' }).toArray(), [1, 0]);
    });
  });

  test('data() of a non-contiguous view is row-major in the view order', () => {
    tidy(() => {
      const t = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const tt = t.transpose(0, 1);
      assert.equal(tt.isContiguous(), false);
      assert.deepEqual(tt.toArray(), [1, 4, 2, 5, 3, 6]);
      assert.deepEqual(t.slice(1, 0, null, 2).toArray(), [1, 3, 4, 6]);
    });
  });

  test('.to() converts dtypes: truncation toward zero, nonzero is true', () => {
    tidy(() => {
      const t = tensor([-1.7, -0.2, 0, 0.6, 2.9]);
      assert.deepEqual(t.to('int64').toArray(), [-1, 0, 0, 0, 2]);
      assert.deepEqual(t.long().toArray(), [-1, 0, 0, 0, 2]);
      assert.deepEqual(t.to('bool').toArray(), [1, 1, 0, 1, 1]);
      assert.equal(t.to('float64').dtype, 'float64');
      assertClose(t.to('float64').toArray(), [-1.7, -0.2, 0, 0.6, 2.9], 1e-7);
      assert.equal(t.to('int64').float().dtype, 'float32');
      assertClose(t.clone().toArray(), t.toArray(), 0);
    });
  });
});

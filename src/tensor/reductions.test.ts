/**
 * Reductions: sum mean max min argmax argmin maxDim minDim topk sort var std norm prod logsumexp
 * cumsum any all, over all elements, one dim, several dims, with and without keepdim.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, randn, manualSeed } from './index.js';

function assertClose(actual: ArrayLike<number | bigint>, expected: ArrayLike<number>, tol = 1e-6, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) assert.fail(`${msg}[${i}]: got ${a}, expected ${e} (tol ${tol})`);
  }
}

// m = [[1, 5, 3],
//      [4, 2, 6]]
const M = [1, 5, 3, 4, 2, 6];
const m = () => tensor(M, [2, 3]);

describe('sum / mean / prod', () => {
  test('over everything gives a 0-d tensor', () => {
    tidy(() => {
      const s = m().sum();
      assert.deepEqual(s.shape, []);
      assert.equal(s.item(), 21);
      assert.equal(m().mean().item(), 3.5);
      assert.equal(m().prod().item(), 720);
    });
  });

  test('over one dim, negative dims, several dims', () => {
    tidy(() => {
      assert.deepEqual(m().sum(0).toArray(), [5, 7, 9]);
      assert.deepEqual(m().sum(1).toArray(), [9, 12]);
      assert.deepEqual(m().sum(-1).toArray(), [9, 12]);
      assert.deepEqual(m().mean(0).toArray(), [2.5, 3.5, 4.5]);
      assert.deepEqual(m().mean(1).toArray(), [3, 4]);
      assert.deepEqual(m().prod(1).toArray(), [15, 48]);
      const t = tensor(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
      const s02 = t.sum([0, 2]);
      assert.deepEqual(s02.shape, [3]);
      // sum over i and k of (12 i + 4 j + k) = 2*4*4j + (0+12)*4 + 2*(0+1+2+3)
      assert.deepEqual(s02.toArray(), [0, 1, 2].map((j) => 32 * j + 48 + 12));
      assert.deepEqual(t.mean([1, 2]).toArray(), [5.5, 17.5]);
    });
  });

  test('keepdim keeps a size-1 dim', () => {
    tidy(() => {
      const s = m().sum(1, true);
      assert.deepEqual(s.shape, [2, 1]);
      assert.deepEqual(s.toArray(), [9, 12]);
      assert.deepEqual(m().mean(0, true).shape, [1, 3]);
      assert.deepEqual(m().max(1, true).shape, [2, 1]);
      assert.deepEqual(m().var(1, true).shape, [2, 1]);
      assert.deepEqual(m().norm(1, true).shape, [2, 1]);
      assert.deepEqual(m().argmax(1, true).shape, [2, 1]);
      assert.deepEqual(m().maxDim(1, true).values.shape, [2, 1]);
      assert.deepEqual(tensor(Array(24).fill(1), [2, 3, 4]).sum([0, 2], true).shape, [1, 3, 1]);
      // a keepdim result broadcasts back against its input: centring rows
      assert.deepEqual(m().sub(m().mean(1, true)).toArray(), [-2, 2, 0, 0, -2, 2]);
    });
  });

  test('integer and bool sums are int64; the mean of integers is refused', () => {
    tidy(() => {
      const i = tensor(new Int32Array([1, 2, 3]));
      assert.equal(i.sum().dtype, 'int64');
      assert.equal(i.sum().item(), 6);
      const b = tensor([1, 0, 1, 1]).gt(0);
      assert.equal(b.sum().dtype, 'int64');
      assert.equal(b.sum().item(), 3);
      assert.throws(() => tensor([1, 2], undefined, { dtype: 'int64' }).mean(), /mean/);
      assert.equal(tensor([1, 2], undefined, { dtype: 'int64' }).float().mean().item(), 1.5);
    });
  });
});

describe('max / min / argmax / argmin / maxDim / minDim', () => {
  test('over everything and along dims', () => {
    tidy(() => {
      assert.equal(m().max().item(), 6);
      assert.equal(m().min().item(), 1);
      assert.deepEqual(m().max(0).toArray(), [4, 5, 6]);
      assert.deepEqual(m().min(1).toArray(), [1, 2]);
      const am = m().argmax();
      assert.equal(am.dtype, 'int64');
      assert.equal(am.item(), 5); // flat index of 6
      assert.equal(m().argmin().item(), 0);
      assert.deepEqual(m().argmax(1).toArray(), [1, 2]);
      assert.deepEqual(m().argmin(0).toArray(), [0, 1, 0]);
      assert.deepEqual(m().max([0, 1]).item(), 6);
    });
  });

  test('maxDim / minDim give values and int64 indices', () => {
    tidy(() => {
      const { values, indices } = m().maxDim(1);
      assert.deepEqual(values.toArray(), [5, 6]);
      assert.deepEqual(indices.toArray(), [1, 2]);
      assert.equal(indices.dtype, 'int64');
      const mn = m().minDim(0);
      assert.deepEqual(mn.values.toArray(), [1, 2, 3]);
      assert.deepEqual(mn.indices.toArray(), [0, 1, 0]);
    });
  });
});

describe('topk / sort', () => {
  const v = [3, 1, 4, 1, 5, 9, 2, 6];
  test('topk largest and smallest, with indices', () => {
    tidy(() => {
      const t = tensor(v);
      const big = t.topk(3);
      assert.deepEqual(big.values.toArray(), [9, 6, 5]);
      assert.deepEqual(big.indices.toArray(), [5, 7, 4]);
      const small = t.topk(2, -1, false);
      assert.deepEqual(small.values.toArray(), [1, 1]);
      assert.deepEqual(new Set(small.indices.toArray()), new Set([1, 3]));
      // along dim 1 of a matrix
      const r = m().topk(2, 1);
      assert.deepEqual(r.values.toArray(), [5, 3, 6, 4]);
      assert.deepEqual(r.indices.toArray(), [1, 2, 2, 0]);
      // unsorted topk holds the same set
      const u = t.topk(3, -1, true, false);
      assert.deepEqual([...u.values.toArray()].sort((a, b) => b - a), [9, 6, 5]);
    });
  });

  test('sort ascending / descending; stable sort keeps ties in input order', () => {
    tidy(() => {
      const t = tensor(v);
      const a = t.sort();
      assert.deepEqual(a.values.toArray(), [...v].sort((x, y) => x - y));
      assert.deepEqual(a.indices.toArray(), [1, 3, 6, 0, 2, 4, 7, 5]);
      const d = t.sort(-1, true);
      assert.deepEqual(d.values.toArray(), [...v].sort((x, y) => y - x));
      assert.deepEqual(d.indices.toArray(), [5, 7, 4, 2, 0, 6, 1, 3]);
      // sort rows of a matrix along dim 1 and columns along dim 0
      assert.deepEqual(m().sort(1).values.toArray(), [1, 3, 5, 2, 4, 6]);
      assert.deepEqual(m().sort(0).values.toArray(), [1, 2, 3, 4, 5, 6]);
      // values gathered by the indices reproduce the sorted values
      assert.deepEqual(t.gather(0, a.indices).toArray(), a.values.toArray());
    });
  });
});

describe('var / std / norm / logsumexp / cumsum / any / all', () => {
  // the textbook example: mean 5, population variance 4, sample variance 32/7
  const X = [2, 4, 4, 4, 5, 5, 7, 9];
  test('var and std are unbiased (n-1); stdPopulation divides by n', () => {
    tidy(() => {
      const x = tensor(X, undefined, { dtype: 'float64' });
      assertClose([x.var().item()], [32 / 7], 1e-14);
      assertClose([x.std().item()], [Math.sqrt(32 / 7)], 1e-14);
      assertClose([x.stdPopulation().item()], [2], 1e-14);
      const rows = tensor([1, 2, 3, 4, 10, 20, 30, 40], [2, 4]);
      assertClose(rows.var(1).toArray(), [5 / 3, 500 / 3], 1e-6);
      assertClose(rows.std(0).toArray(), [9, 18, 27, 36].map((d) => Math.sqrt((d * d) / 2)), 1e-6);
    });
  });

  test('norm is the L2 norm (all elements, or along dims)', () => {
    tidy(() => {
      assertClose([tensor([3, 4]).norm().item()], [5]);
      assertClose(tensor([3, 4, 0, 5, 12, 0], [2, 3]).norm(1).toArray(), [5, 13]);
      assertClose(tensor([3, 4, 0, 5, 12, 0], [2, 3]).norm(0).toArray(), [Math.sqrt(34), Math.sqrt(160), 0]);
      manualSeed(3);
      const r = randn([4, 5]);
      assertClose(r.norm(1).toArray(), r.square().sum(1).sqrt().toArray(), 1e-6);
    });
  });

  test('logsumexp = log(sum(exp)) and stays finite for large inputs', () => {
    tidy(() => {
      const x = tensor([0.5, -1, 2, 3], [2, 2], { dtype: 'float64' });
      assertClose(x.logsumexp(1).toArray(), [Math.log(Math.exp(0.5) + Math.exp(-1)), Math.log(Math.exp(2) + Math.exp(3))], 1e-14);
      const big = tensor([1000, 1000]);
      assertClose([big.logsumexp(0).item()], [1000 + Math.log(2)], 1e-6);
    });
  });

  test('cumsum along a dim', () => {
    tidy(() => {
      assert.deepEqual(tensor([1, 2, 3, 4]).cumsum(0).toArray(), [1, 3, 6, 10]);
      assert.deepEqual(m().cumsum(1).toArray(), [1, 6, 9, 4, 6, 12]);
      assert.deepEqual(m().cumsum(0).toArray(), [1, 5, 3, 5, 7, 9]);
    });
  });

  test('any / all over everything and along a dim', () => {
    tidy(() => {
      const b = tensor([1, 0, 1, 1], [2, 2]).gt(0);
      assert.equal(b.any().item(), 1);
      assert.equal(b.all().item(), 0);
      assert.deepEqual(b.all(1).toArray(), [0, 1]);
      assert.deepEqual(b.any(0).toArray(), [1, 1]);
      assert.equal(b.all(1).dtype, 'bool');
    });
  });
});

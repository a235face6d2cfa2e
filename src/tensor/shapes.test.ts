/**
 * Shape and indexing ops: reshape permute transpose T flip squeeze unsqueeze expand repeat flatten
 * cat stack split chunk slice select indexSelect gather maskedFill maskedSelect nonzero.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, arange, cat, stack, tidy, zeros } from './index.js';

const idx = (v: number[], shape?: number[]) => tensor(v, shape, { dtype: 'int64' });
/** t[i][j][k] = 100 i + 10 j + k for a [2, 3, 4] tensor: every value names its position. */
const cube = () => tensor(Array.from({ length: 24 }, (_, n) => 100 * Math.floor(n / 12) + 10 * Math.floor((n % 12) / 4) + (n % 4)), [2, 3, 4]);

describe('reshape / flatten / squeeze / unsqueeze', () => {
  test('reshape keeps row-major order; -1 infers a dim; both call forms', () => {
    tidy(() => {
      const t = arange(0, 6);
      assert.deepEqual(t.reshape(2, 3).shape, [2, 3]);
      assert.deepEqual(t.reshape([3, 2]).shape, [3, 2]);
      assert.deepEqual(t.reshape(3, -1).shape, [3, 2]);
      assert.deepEqual(t.reshape(-1).shape, [6]);
      assert.deepEqual(t.reshape(2, 3).toArray(), [0, 1, 2, 3, 4, 5]);
      // reshape of a non-contiguous tensor copies in logical order
      assert.deepEqual(t.reshape(2, 3).transpose(0, 1).reshape(6).toArray(), [0, 3, 1, 4, 2, 5]);
      assert.deepEqual(tensor([5]).reshape().shape, []);
    });
  });

  test('flatten with start and end dims', () => {
    tidy(() => {
      const t = zeros([2, 3, 4, 5]);
      assert.deepEqual(t.flatten().shape, [120]);
      assert.deepEqual(t.flatten(1).shape, [2, 60]);
      assert.deepEqual(t.flatten(1, 2).shape, [2, 12, 5]);
      assert.deepEqual(t.flatten(0, -2).shape, [24, 5]);
      assert.deepEqual(cube().flatten(1).toArray(), cube().toArray());
    });
  });

  test('squeeze all size-1 dims or one; unsqueeze inserts one', () => {
    tidy(() => {
      const t = zeros([2, 1, 3, 1]);
      assert.deepEqual(t.squeeze().shape, [2, 3]);
      assert.deepEqual(t.squeeze(1).shape, [2, 3, 1]);
      assert.deepEqual(t.squeeze(-1).shape, [2, 1, 3]);
      assert.deepEqual(t.squeeze(0).shape, [2, 1, 3, 1]); // not size 1: unchanged
      const v = tensor([1, 2, 3]);
      assert.deepEqual(v.unsqueeze(0).shape, [1, 3]);
      assert.deepEqual(v.unsqueeze(1).shape, [3, 1]);
      assert.deepEqual(v.unsqueeze(-1).shape, [3, 1]);
      assert.deepEqual(v.unsqueeze(1).toArray(), [1, 2, 3]);
    });
  });
});

describe('permute / transpose / T / flip', () => {
  test('permute moves every element to its permuted position', () => {
    tidy(() => {
      const p = cube().permute(2, 0, 1); // [4, 2, 3]: p[k][i][j] = t[i][j][k]
      assert.deepEqual(p.shape, [4, 2, 3]);
      const v = p.toArray();
      for (let k = 0; k < 4; k++)
        for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) assert.equal(v[k * 6 + i * 3 + j], 100 * i + 10 * j + k);
      assert.equal(p.isContiguous(), false);
      assert.equal(p.contiguous().isContiguous(), true);
      assert.deepEqual(p.contiguous().toArray(), v);
    });
  });

  test('transpose swaps two dims; T is the matrix transpose', () => {
    tidy(() => {
      const t = cube().transpose(0, 2); // [4, 3, 2]: r[k][j][i] = t[i][j][k]
      assert.deepEqual(t.shape, [4, 3, 2]);
      assert.equal(t.toArray()[3 * 6 + 2 * 2 + 1], 100 + 20 + 3);
      const m = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      assert.deepEqual(m.T.shape, [3, 2]);
      assert.deepEqual(m.T.toArray(), [1, 4, 2, 5, 3, 6]);
      assert.deepEqual(m.T.strides, [1, 3]);
    });
  });

  test('flip reverses one or several dims', () => {
    tidy(() => {
      const m = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      assert.deepEqual(m.flip(1).toArray(), [3, 2, 1, 6, 5, 4]);
      assert.deepEqual(m.flip(0).toArray(), [4, 5, 6, 1, 2, 3]);
      assert.deepEqual(m.flip([0, 1]).toArray(), [6, 5, 4, 3, 2, 1]);
      assert.deepEqual(m.flip(-1).toArray(), [3, 2, 1, 6, 5, 4]);
    });
  });
});

describe('expand / repeat', () => {
  test('expand broadcasts size-1 dims without copying (stride 0)', () => {
    tidy(() => {
      const c = tensor([1, 2, 3], [3, 1]);
      const e = c.expand(3, 4);
      assert.deepEqual(e.shape, [3, 4]);
      assert.deepEqual(e.strides, [1, 0]);
      assert.deepEqual(e.toArray(), [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
      const r = tensor([1, 2, 3]).expand(2, -1); // new leading dim, -1 keeps the size
      assert.deepEqual(r.shape, [2, 3]);
      assert.deepEqual(r.toArray(), [1, 2, 3, 1, 2, 3]);
    });
  });

  test('repeat tiles the data', () => {
    tidy(() => {
      const t = tensor([1, 2, 3, 4], [2, 2]);
      assert.deepEqual(t.repeat(1, 2).toArray(), [1, 2, 1, 2, 3, 4, 3, 4]);
      assert.deepEqual(t.repeat(2, 1).toArray(), [1, 2, 3, 4, 1, 2, 3, 4]);
      const r = tensor([7, 8]).repeat(2, 2);
      assert.deepEqual(r.shape, [2, 4]);
      assert.deepEqual(r.toArray(), [7, 8, 7, 8, 7, 8, 7, 8]);
    });
  });
});

describe('cat / stack / split / chunk', () => {
  test('cat along dims 0, 1 and -1', () => {
    tidy(() => {
      const a = tensor([1, 2, 3, 4], [2, 2]);
      const b = tensor([5, 6], [1, 2]);
      const c = tensor([7, 8], [2, 1]);
      assert.deepEqual(cat([a, b]).shape, [3, 2]);
      assert.deepEqual(cat([a, b]).toArray(), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(cat([a, c], 1).toArray(), [1, 2, 7, 3, 4, 8]);
      assert.deepEqual(cat([a, c], -1).shape, [2, 3]);
      assert.deepEqual(cat([a]).toArray(), [1, 2, 3, 4]);
    });
  });

  test('stack adds a new dim', () => {
    tidy(() => {
      const a = tensor([1, 2]);
      const b = tensor([3, 4]);
      assert.deepEqual(stack([a, b]).shape, [2, 2]);
      assert.deepEqual(stack([a, b]).toArray(), [1, 2, 3, 4]);
      assert.deepEqual(stack([a, b], 1).toArray(), [1, 3, 2, 4]);
      assert.deepEqual(stack([a, b, a], -1).shape, [2, 3]);
    });
  });

  test('split by size (last piece shorter) and by sizes', () => {
    tidy(() => {
      const t = arange(0, 7);
      assert.deepEqual(t.split(3).map((p) => p.toArray()), [[0, 1, 2], [3, 4, 5], [6]]);
      assert.deepEqual(t.split([2, 5]).map((p) => p.toArray()), [[0, 1], [2, 3, 4, 5, 6]]);
      const m = arange(0, 6).reshape(2, 3);
      const cols = m.split(1, 1);
      assert.equal(cols.length, 3);
      assert.deepEqual(cols[2]!.shape, [2, 1]);
      assert.deepEqual(cols[2]!.toArray(), [2, 5]);
      // split then cat is the identity
      assert.deepEqual(cat(t.split([3, 4])).toArray(), t.toArray());
    });
  });

  test('chunk into n pieces', () => {
    tidy(() => {
      const t = arange(0, 5);
      assert.deepEqual(t.chunk(3).map((p) => p.toArray()), [[0, 1], [2, 3], [4]]);
      assert.deepEqual(t.chunk(5).length, 5);
      const m = arange(0, 8).reshape(2, 4);
      assert.deepEqual(m.chunk(2, 1).map((p) => p.toArray()), [[0, 1, 4, 5], [2, 3, 6, 7]]);
    });
  });
});

describe('slice / select', () => {
  test('slice with start, end, step, negative indices and open ends', () => {
    tidy(() => {
      const t = arange(0, 10);
      assert.deepEqual(t.slice(0, 2, 5).toArray(), [2, 3, 4]);
      assert.deepEqual(t.slice(0, 7).toArray(), [7, 8, 9]);
      assert.deepEqual(t.slice(0, -3).toArray(), [7, 8, 9]);
      assert.deepEqual(t.slice(0, 1, -1, 3).toArray(), [1, 4, 7]);
      assert.deepEqual(t.slice(0, null, 3).toArray(), [0, 1, 2]);
      assert.deepEqual(t.slice(0, 0, null, 4).toArray(), [0, 4, 8]);
      const m = arange(0, 12).reshape(3, 4);
      assert.deepEqual(m.slice(1, 1, 3).toArray(), [1, 2, 5, 6, 9, 10]);
      assert.deepEqual(m.slice(-1, 3).shape, [3, 1]);
    });
  });

  test('slice beyond the end is clamped, as in torch (no error)', () => {
    tidy(() => {
      const t = arange(0, 5);
      assert.deepEqual(t.slice(0, 3, 100).toArray(), [3, 4]);
      assert.deepEqual(t.slice(0, 7, 9).shape, [0]);
      assert.deepEqual(t.slice(0, -100, 2).toArray(), [0, 1]);
    });
  });

  test('select removes the dim; negative indices count from the end', () => {
    tidy(() => {
      const c = cube();
      const s = c.select(1, 2); // [2, 4]: s[i][k] = t[i][2][k]
      assert.deepEqual(s.shape, [2, 4]);
      assert.deepEqual(s.toArray(), [20, 21, 22, 23, 120, 121, 122, 123]);
      assert.deepEqual(c.select(0, -1).select(0, 0).toArray(), [100, 101, 102, 103]);
      assert.deepEqual(c.select(2, 3).toArray(), [3, 13, 23, 103, 113, 123]);
    });
  });
});

describe('indexSelect / gather / maskedFill / maskedSelect / nonzero', () => {
  test('indexSelect picks rows or columns, repeats allowed', () => {
    tidy(() => {
      const m = arange(0, 12).reshape(3, 4);
      assert.deepEqual(m.indexSelect(0, idx([2, 0, 2])).toArray(), [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
      assert.deepEqual(m.indexSelect(1, idx([3, 1])).toArray(), [3, 1, 7, 5, 11, 9]);
      assert.deepEqual(m.indexSelect(1, tensor(new Int32Array([0]))).toArray(), [0, 4, 8]);
    });
  });

  test('gather: out[i][j] = x[i][index[i][j]] (dim 1) and out[i][j] = x[index[i][j]][j] (dim 0)', () => {
    tidy(() => {
      const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      assert.deepEqual(x.gather(1, idx([2, 0, 1, 1], [2, 2])).toArray(), [3, 1, 5, 5]);
      assert.deepEqual(x.gather(0, idx([1, 0, 1], [1, 3])).toArray(), [4, 2, 6]);
      // picking each row's target logit, as cross-entropy does
      const target = idx([2, 0]);
      assert.deepEqual(x.gather(1, target.unsqueeze(1)).squeeze(1).toArray(), [3, 4]);
    });
  });

  test('maskedFill and maskedSelect with bool masks (broadcast masks too)', () => {
    tidy(() => {
      const x = tensor([1, -2, 3, -4], [2, 2]);
      const neg = x.lt(0);
      assert.deepEqual(x.maskedFill(neg, 0).toArray(), [1, 0, 3, 0]);
      assert.deepEqual(x.maskedFill(tensor([1, 0]).gt(0), -9).toArray(), [-9, -2, -9, -4]);
      const sel = x.maskedSelect(neg);
      assert.deepEqual(sel.shape, [2]);
      assert.deepEqual(sel.toArray(), [-2, -4]);
      assert.equal(x.maskedSelect(x.gt(100)).size, 0);
      assert.deepEqual(x.toArray(), [1, -2, 3, -4]); // out of place
    });
  });

  test('maskedFill refuses a non-bool mask (libtorch would silently fill nothing)', () => {
    tidy(() => {
      assert.throws(() => tensor([1, 2, 3]).maskedFill(tensor([0, 1, 1]), 5), { name: 'FacenetError', code: 'BAD_ARGUMENT', message: /mask must be a bool tensor/ });
      assert.throws(() => tensor([1, 2, 3]).maskedFill(idx([0, 1, 1]), 5), { code: 'BAD_ARGUMENT' });
    });
  });

  test('nonzero lists the coordinates of nonzero entries as int64 [k, rank]', () => {
    tidy(() => {
      const x = tensor([0, 3, 0, 0, 0, 7], [2, 3]);
      const nz = x.nonzero();
      assert.equal(nz.dtype, 'int64');
      assert.deepEqual(nz.shape, [2, 2]);
      assert.deepEqual(nz.toArray(), [0, 1, 1, 2]);
      assert.deepEqual(zeros([3]).nonzero().shape, [0, 1]);
    });
  });
});

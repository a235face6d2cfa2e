/**
 * Memory scopes: tidy() frees intermediates and keeps what it returns (a tensor, arrays, plain
 * objects, Maps), nests, frees everything when fn throws, refuses Promises; keep() and dispose().
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, ones, tidy, keep, dispose, liveTensors, type Tensor } from './index.js';

const live = () => liveTensors().count;

describe('tidy', () => {
  test('frees every intermediate and returns plain values unchanged', () => {
    const x = tensor([1, 2, 3]);
    const before = live();
    const made: Tensor[] = [];
    const r = tidy(() => {
      const a = x.add(1);
      const b = a.mul(2).exp();
      made.push(a, b);
      return b.sum().item();
    });
    assert.equal(typeof r, 'number');
    assert.equal(live(), before);
    assert.ok(made.every((t) => t.isDisposed));
    assert.equal(x.isDisposed, false); // created outside: untouched
    x.dispose();
  });

  test('keeps a returned tensor (moved to the enclosing scope), frees the rest', () => {
    const before = live();
    let tmp: Tensor | undefined;
    const y = tidy(() => {
      tmp = ones([2]).mul(3);
      return tmp.add(1);
    });
    assert.equal(tmp!.isDisposed, true);
    assert.equal(y.isDisposed, false);
    assert.deepEqual(y.toArray(), [4, 4]);
    assert.equal(live(), before + 1);
    y.dispose();
    assert.equal(live(), before);
  });

  test('keeps tensors inside arrays, plain objects, Maps and nestings of them', () => {
    const before = live();
    const r = tidy(() => {
      const a = zeros([1]);
      const b = ones([1]);
      const c = ones([2]);
      const d = zeros([3]);
      zeros([5]); // dropped
      return { pair: [a, b], nested: { deep: [c] }, map: new Map([['d', d]]), n: 3 };
    });
    assert.equal(live(), before + 4);
    assert.equal(r.n, 3);
    for (const t of [r.pair[0]!, r.pair[1]!, r.nested.deep[0]!, r.map.get('d')!]) assert.equal(t.isDisposed, false);
    dispose(r);
    assert.equal(live(), before);
    for (const t of [r.pair[0]!, r.pair[1]!, r.nested.deep[0]!, r.map.get('d')!]) assert.equal(t.isDisposed, true);
  });

  test('returning a tensor created outside the scope leaves it alone', () => {
    const x = zeros([2]);
    const before = live();
    const y = tidy(() => {
      x.add(1);
      return x;
    });
    assert.equal(y, x);
    assert.equal(x.isDisposed, false);
    assert.equal(live(), before);
    x.dispose();
  });

  test('nested scopes: an inner result belongs to the outer scope until returned from it', () => {
    const before = live();
    let innerResult: Tensor | undefined;
    let innerTemp: Tensor | undefined;
    const outer = tidy(() => {
      innerResult = tidy(() => {
        innerTemp = ones([2]).add(1);
        return innerTemp.mul(2);
      });
      assert.equal(innerTemp!.isDisposed, true); // freed when the inner scope closed
      assert.equal(innerResult.isDisposed, false); // alive in the outer scope
      const kept = innerResult.add(1);
      return kept;
    });
    assert.equal(innerResult!.isDisposed, true); // not returned by the outer scope: freed
    assert.deepEqual(outer.toArray(), [5, 5]);
    assert.equal(live(), before + 1);
    outer.dispose();
    // the inner result survives both when passed all the way out
    const both = tidy(() => tidy(() => zeros([1])));
    assert.equal(both.isDisposed, false);
    both.dispose();
    assert.equal(live(), before);
  });

  test('an exception inside tidy frees everything and propagates; later scopes work normally', () => {
    const before = live();
    const made: Tensor[] = [];
    assert.throws(
      () =>
        tidy(() => {
          made.push(ones([3]), zeros([3]).add(2));
          tidy(() => {
            made.push(ones([4]));
            throw new RangeError('inner failure');
          });
        }),
      RangeError,
    );
    assert.equal(live(), before);
    assert.ok(made.every((t) => t.isDisposed));
    // an engine error inside tidy behaves the same
    assert.throws(() => tidy(() => ones([2, 3]).matmul(ones([2, 3]))), { name: 'FacenetError', code: 'NATIVE' });
    assert.equal(live(), before);
    // the scope stack was unwound: a tensor made now, outside any scope, is not freed by a later tidy
    const outside = ones([1]);
    tidy(() => {
      zeros([1]);
    });
    assert.equal(outside.isDisposed, false);
    outside.dispose();
    assert.equal(live(), before);
  });

  test('keep() lets a tensor survive its scopes, nested ones included', () => {
    const before = live();
    let kept: Tensor | undefined;
    tidy(() => {
      tidy(() => {
        kept = keep(ones([2]).mul(5));
      });
      assert.equal(kept!.isDisposed, false);
    });
    assert.equal(kept!.isDisposed, false);
    assert.deepEqual(kept!.toArray(), [5, 5]);
    assert.equal(live(), before + 1);
    kept!.dispose();
    assert.equal(live(), before);
  });

  test('a tensor disposed by hand inside tidy is fine (dispose twice is harmless)', () => {
    const before = live();
    tidy(() => {
      const t = ones([2]);
      t.dispose();
      return 0;
    });
    assert.equal(live(), before);
  });

  test('a Promise-returning fn is refused, and what it made synchronously is freed', () => {
    const before = live();
    let made: Tensor | undefined;
    assert.throws(
      () =>
        tidy(() => {
          made = ones([2]);
          return Promise.resolve(made);
        }),
      { name: 'TypeError', message: /must be synchronous/ },
    );
    assert.equal(made!.isDisposed, true);
    assert.equal(live(), before);
    // an async function is refused the same way
    assert.throws(() => tidy(async () => zeros([1])), TypeError);
    assert.equal(live(), before);
  });
});

describe('dispose()', () => {
  test('frees a tensor, arrays, objects and Maps of tensors, and ignores other values', () => {
    const before = live();
    const a = ones([1]);
    const b = ones([1]);
    const c = ones([1]);
    dispose({ list: [a, { b }], map: new Map([[1, c]]), other: 'text', n: null });
    assert.ok([a, b, c].every((t) => t.isDisposed));
    const d = zeros([2]);
    dispose(d);
    assert.equal(d.isDisposed, true);
    dispose(undefined);
    dispose(42);
    assert.equal(live(), before);
  });

  test('Symbol.dispose: a `using`-style scope', () => {
    const before = live();
    const t = ones([3]);
    t[Symbol.dispose]();
    assert.equal(t.isDisposed, true);
    assert.equal(live(), before);
  });
});

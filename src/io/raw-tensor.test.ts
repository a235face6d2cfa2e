import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FacenetError } from '../errors.js';
import {
  checkRawTensor,
  dtypeItemSize,
  float16BitsToNumber,
  gatherStrided,
  rawFromBytes,
  rawToBytes,
  shapeNumel,
  toFloat32,
  type RawTensor,
} from './raw-tensor.js';

test('float16 bit patterns decode exactly', () => {
  assert.equal(float16BitsToNumber(0x3c00), 1);
  assert.equal(float16BitsToNumber(0xc000), -2);
  assert.equal(float16BitsToNumber(0x7bff), 65504);
  assert.equal(float16BitsToNumber(0x0001), 2 ** -24);
  assert.equal(float16BitsToNumber(0x0400), 2 ** -14);
  assert.equal(float16BitsToNumber(0x3555), 0.333251953125);
  assert.equal(float16BitsToNumber(0x7c00), Infinity);
  assert.equal(float16BitsToNumber(0xfc00), -Infinity);
  assert.ok(Number.isNaN(float16BitsToNumber(0x7e00)));
  assert.ok(Object.is(float16BitsToNumber(0x8000), -0));
});

test('toFloat32 converts every dtype', () => {
  const cases: [RawTensor, number[]][] = [
    [{ dtype: 'float32', shape: [2], data: new Float32Array([1.5, -2]) }, [1.5, -2]],
    [{ dtype: 'float64', shape: [2], data: new Float64Array([0.25, 1e10]) }, [0.25, 1e10]],
    [{ dtype: 'float16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x3800]) }, [1, -2, 0.5]],
    [{ dtype: 'bfloat16', shape: [3], data: new Uint16Array([0x3f80, 0xc040, 0x4049]) }, [1, -3, 3.140625]],
    [{ dtype: 'int64', shape: [2], data: new BigInt64Array([-7n, 16777216n]) }, [-7, 16777216]],
    [{ dtype: 'int32', shape: [1], data: new Int32Array([-5]) }, [-5]],
    [{ dtype: 'int16', shape: [1], data: new Int16Array([-300]) }, [-300]],
    [{ dtype: 'int8', shape: [1], data: new Int8Array([-128]) }, [-128]],
    [{ dtype: 'uint8', shape: [1], data: new Uint8Array([255]) }, [255]],
    [{ dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) }, [1, 0]],
  ];
  for (const [raw, expected] of cases) {
    const out = toFloat32(raw);
    assert.ok(out instanceof Float32Array, raw.dtype);
    assert.deepEqual([...out], expected, raw.dtype);
    assert.notEqual(out.buffer, raw.data.buffer, `${raw.dtype}: must be a fresh array`);
  }
});

test('rawFromBytes copies into a fresh, aligned buffer', () => {
  // Float32 data starting at an odd byte offset: a typed-array view could not be made over it.
  const src = new Uint8Array(1 + 8);
  new DataView(src.buffer).setFloat32(1, 3.5, true);
  new DataView(src.buffer).setFloat32(5, -1, true);
  const raw = rawFromBytes('float32', [2], src.subarray(1));
  assert.deepEqual([...(raw.data as Float32Array)], [3.5, -1]);
  assert.equal(raw.data.byteOffset, 0);
  src.fill(0);
  assert.deepEqual([...(raw.data as Float32Array)], [3.5, -1], 'must not alias the source');
});

test('rawFromBytes handles big-endian input and normalises bools', () => {
  const be = new Uint8Array(8);
  new DataView(be.buffer).setInt32(0, -2, false);
  new DataView(be.buffer).setInt32(4, 70000, false);
  assert.deepEqual([...(rawFromBytes('int32', [2], be, { bigEndian: true }).data as Int32Array)], [-2, 70000]);
  assert.deepEqual([...(rawFromBytes('bool', [3], new Uint8Array([0, 2, 255])).data as Uint8Array)], [0, 1, 1]);
  assert.throws(() => rawFromBytes('float32', [3], new Uint8Array(8)), { code: 'BAD_ARGUMENT' });
});

test('gatherStrided: contiguous, transposed, offset, expanded and scalar views', () => {
  const src = new Uint8Array(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]).buffer);
  const f = (bytes: Uint8Array): number[] => [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)];
  assert.deepEqual(f(gatherStrided(src, 4, 0, [2, 3], [3, 1])), [0, 1, 2, 3, 4, 5]);
  // transpose of a 2x3 matrix: shape [3,2], strides [1,3]
  assert.deepEqual(f(gatherStrided(src, 4, 0, [3, 2], [1, 3])), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(f(gatherStrided(src, 4, 2, [2, 2], [4, 1])), [2, 3, 6, 7]);
  assert.deepEqual(f(gatherStrided(src, 4, 1, [2, 3], [0, 2])), [1, 3, 5, 1, 3, 5]);
  assert.deepEqual(f(gatherStrided(src, 4, 5, [], [])), [5]);
  assert.deepEqual(f(gatherStrided(src, 4, 0, [2, 0, 3], [0, 3, 1])), []);
  // 3-d permutation (2,2,2) with strides (1,4,2)
  assert.deepEqual(f(gatherStrided(src, 4, 0, [2, 2, 2], [1, 4, 2])), [0, 2, 4, 6, 1, 3, 5, 7]);
});

test('helpers: item sizes, numel, bytes view, validation', () => {
  assert.equal(dtypeItemSize('bfloat16'), 2);
  assert.equal(dtypeItemSize('int64'), 8);
  assert.equal(shapeNumel([]), 1);
  assert.equal(shapeNumel([2, 0, 5]), 0);
  const raw: RawTensor = { dtype: 'int16', shape: [2], data: new Int16Array([1, -1]) };
  assert.deepEqual([...rawToBytes(raw)], [1, 0, 255, 255]);
  checkRawTensor(raw, 'x');
  assert.throws(() => checkRawTensor({ dtype: 'int16', shape: [3], data: new Int16Array(2) }, 't'), (e: unknown) => {
    assert.ok(e instanceof FacenetError);
    assert.equal(e.code, 'BAD_ARGUMENT');
    assert.match(e.message, /t: shape \[3\] has 3 elements but the data has 2/);
    return true;
  });
  assert.throws(() => checkRawTensor({ dtype: 'float32', shape: [2], data: new Float64Array(2) }, 't'), /Float32Array/);
});

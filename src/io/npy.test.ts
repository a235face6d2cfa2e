import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FacenetError } from '../errors.js';
import { encodeNpy, parseNpy, parseNpyHeader, parseNpyObject, readNpy, readNpyObject, writeNpy } from './npy.js';
import type { RawTensor } from './raw-tensor.js';

import { ZOO } from '../test-support/shared.js';
const MTCNN = `${ZOO}/mtcnn`;

/** An .npy file as numpy lays it out: magic, version, header length, padded dict literal, data. */
function npy(descr: string, shape: number[], data: Uint8Array, opts: { fortran?: boolean; version?: 1 | 2 | 3; header?: string } = {}): Buffer {
  const version = opts.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = opts.header ?? `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  const dictBytes = Buffer.byteLength(dict, version === 3 ? 'utf8' : 'latin1');
  dict += ' '.repeat((64 - ((prefix + dictBytes + 1) % 64)) % 64) + '\n';
  const header = Buffer.from(dict, version === 3 ? 'utf8' : 'latin1');
  const pre = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(pre);
  if (version === 1) pre.writeUInt16LE(header.length, 8);
  else pre.writeUInt32LE(header.length, 8);
  return Buffer.concat([pre, header, data]);
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function badFile(name: string, pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof FacenetError, String(e));
    assert.equal(e.code, 'BAD_FILE');
    assert.ok(e.message.includes(name), e.message);
    assert.match(e.message, pattern);
    return true;
  };
}

// Layers and shapes from REFERENCE.md section 1 (facenet's detect_face weights).
const DET_LAYERS: Record<string, { params: number; layers: Record<string, Record<string, number[]>> }> = {
  det1: {
    params: 6632,
    layers: {
      conv1: { weights: [3, 3, 3, 10], biases: [10] },
      PReLU1: { alpha: [10] },
      conv2: { weights: [3, 3, 10, 16], biases: [16] },
      PReLU2: { alpha: [16] },
      conv3: { weights: [3, 3, 16, 32], biases: [32] },
      PReLU3: { alpha: [32] },
      'conv4-1': { weights: [1, 1, 32, 2], biases: [2] },
      'conv4-2': { weights: [1, 1, 32, 4], biases: [4] },
    },
  },
  det2: {
    params: 100178,
    layers: {
      conv1: { weights: [3, 3, 3, 28], biases: [28] },
      prelu1: { alpha: [28] },
      conv2: { weights: [3, 3, 28, 48], biases: [48] },
      prelu2: { alpha: [48] },
      conv3: { weights: [2, 2, 48, 64], biases: [64] },
      prelu3: { alpha: [64] },
      conv4: { weights: [576, 128], biases: [128] },
      prelu4: { alpha: [128] },
      'conv5-1': { weights: [128, 2], biases: [2] },
      'conv5-2': { weights: [128, 4], biases: [4] },
    },
  },
  det3: {
    params: 389040,
    layers: {
      conv1: { weights: [3, 3, 3, 32], biases: [32] },
      prelu1: { alpha: [32] },
      conv2: { weights: [3, 3, 32, 64], biases: [64] },
      prelu2: { alpha: [64] },
      conv3: { weights: [3, 3, 64, 64], biases: [64] },
      prelu3: { alpha: [64] },
      conv4: { weights: [2, 2, 64, 128], biases: [128] },
      prelu4: { alpha: [128] },
      conv5: { weights: [1152, 256], biases: [256] },
      prelu5: { alpha: [256] },
      'conv6-1': { weights: [256, 2], biases: [2] },
      'conv6-2': { weights: [256, 4], biases: [4] },
      'conv6-3': { weights: [256, 10], biases: [10] },
    },
  },
};

test('det1/det2/det3.npy: every layer, shape and parameter count', async () => {
  for (const [file, spec] of Object.entries(DET_LAYERS)) {
    const obj = (await readNpyObject(`${MTCNN}/${file}.npy`)) as Record<string, Record<string, RawTensor>>;
    assert.deepEqual(Object.keys(obj).sort(), Object.keys(spec.layers).sort(), file);
    let params = 0;
    for (const [layer, arrays] of Object.entries(spec.layers)) {
      assert.deepEqual(Object.keys(obj[layer]!).sort(), Object.keys(arrays).sort(), `${file} ${layer}`);
      for (const [name, shape] of Object.entries(arrays)) {
        const t = obj[layer]![name]!;
        assert.equal(t.dtype, 'float32', `${file} ${layer}.${name}`);
        assert.ok(t.data instanceof Float32Array);
        assert.deepEqual(t.shape, shape, `${file} ${layer}.${name}`);
        params += t.data.length;
      }
    }
    assert.equal(params, spec.params, file);
  }
});

test('det*.npy weights come out in C order (they are stored Fortran-ordered)', async () => {
  // Order-sensitive checksums sum(v[i] * (i % 7 + 1)) over the C-order flattening, computed with numpy.
  const expected: [string, string, number, number, number][] = [
    ['det1', 'conv1', 22.98994258698076, 0.48790067434310913, 0.5087199807167053],
    ['det2', 'conv4', -287.01982170525025, 0.024346530437469482, -0.043069686740636826],
    ['det3', 'conv6-3', -5.09892412274985, -0.00322969863191247, -0.022812549024820328],
    ['det2', 'conv5-2', -4.866366028829361, -0.09544777870178223, -0.025467075407505035],
  ];
  for (const [file, layer, checksum, second, last] of expected) {
    const obj = (await readNpyObject(`${MTCNN}/${file}.npy`)) as Record<string, Record<string, RawTensor>>;
    const data = obj[layer]!['weights']!.data as Float32Array;
    let s = 0;
    for (let i = 0; i < data.length; i++) s += data[i]! * ((i % 7) + 1);
    assert.ok(Math.abs(s - checksum) < 1e-6 * Math.abs(checksum), `${file} ${layer}: ${s} vs ${checksum}`);
    assert.equal(data[1], second);
    assert.equal(data[data.length - 1], last);
  }
});

test('plain arrays of every supported dtype, both byte orders, versions 1-3', () => {
  const cases: [string, ArrayBufferView, string, unknown[]][] = [
    ['<f4', Float32Array.from([1.5, -2]), 'float32', [1.5, -2]],
    ['<f8', Float64Array.from([Math.E, 0]), 'float64', [Math.E, 0]],
    ['<f2', Uint16Array.from([0x3c00, 0x4000]), 'float16', [0x3c00, 0x4000]],
    ['<i8', BigInt64Array.from([-5n, 1n << 60n]), 'int64', [-5n, 1n << 60n]],
    ['<i4', Int32Array.from([-1, 2 ** 30]), 'int32', [-1, 2 ** 30]],
    ['<i2', Int16Array.from([-32768, 3]), 'int16', [-32768, 3]],
    ['|i1', Int8Array.from([-1, 1]), 'int8', [-1, 1]],
    ['|u1', Uint8Array.from([0, 255]), 'uint8', [0, 255]],
    ['|b1', Uint8Array.from([1, 0]), 'bool', [1, 0]],
  ];
  for (const version of [1, 2, 3] as const) {
    for (const [descr, arr, dtype, values] of cases) {
      const t = parseNpy(npy(descr, [2], bytesOf(arr), { version }), `${descr}.npy`);
      assert.equal(t.dtype, dtype, descr);
      assert.deepEqual(t.shape, [2]);
      assert.deepEqual([...t.data], values, `${descr} v${version}`);
    }
  }
  // big-endian
  const be = Buffer.alloc(8);
  be.writeFloatBE(3.25, 0);
  be.writeFloatBE(-1, 4);
  assert.deepEqual([...parseNpy(npy('>f4', [2], be), 'be.npy').data], [3.25, -1]);
  const be8 = Buffer.alloc(8);
  be8.writeBigInt64BE(-3n, 0);
  assert.deepEqual([...parseNpy(npy('>i8', [], be8), 'be8.npy').data], [-3n]);
  // scalar and empty arrays
  assert.deepEqual(parseNpy(npy('<f4', [], bytesOf(Float32Array.from([7]))), 's.npy').shape, []);
  assert.equal(parseNpy(npy('<f4', [0, 3], new Uint8Array(0)), 'e.npy').data.length, 0);
  // version 3 allows a UTF-8 header
  const v3 = npy('', [], bytesOf(Float32Array.from([1])), { version: 3, header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'note': 'é'}" });
  assert.deepEqual([...parseNpy(v3, 'v3.npy').data], [1]);
});

test('fortran_order arrays are transposed to row-major', () => {
  // A 2x3 array [[0,1,2],[3,4,5]] stored column-major is 0 3 1 4 2 5.
  const t = parseNpy(npy('<f4', [2, 3], bytesOf(Float32Array.from([0, 3, 1, 4, 2, 5])), { fortran: true }), 'f.npy');
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual([...t.data], [0, 1, 2, 3, 4, 5]);
  // 3-d: element (i,j,k) = 100i + 10j + k, shape (2,3,4), column-major
  const shape = [2, 3, 4];
  const col: number[] = [];
  for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) col.push(100 * i + 10 * j + k);
  const t3 = parseNpy(npy('>i2', shape, Buffer.from(Int16Array.from(col).buffer).swap16(), { fortran: true }), 'f3.npy');
  const row: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) row.push(100 * i + 10 * j + k);
  assert.deepEqual([...t3.data], row);
});

test('writeNpy writes numpy format 1.0, atomically, and reads back', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facenet-npy-'));
  try {
    const path = join(dir, 'emb.npy');
    const raw: RawTensor = { dtype: 'float32', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
    await writeNpy(path, raw);
    assert.deepEqual(await readdir(dir), ['emb.npy']);
    const bytes = await readFile(path);
    const header = parseNpyHeader(bytes, path);
    // byte for byte what np.save writes for np.arange(6, dtype=np.float32).reshape(3, 2)
    assert.deepEqual(header, { version: [1, 0], descr: '<f4', fortranOrder: false, shape: [3, 2], dataOffset: 128 });
    assert.equal(bytes.readUInt16LE(8), 118);
    assert.equal(bytes.subarray(10, 128).toString('latin1'), `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }`.padEnd(117) + '\n');
    assert.deepEqual(await readNpy(path), raw);
    // other dtypes and shapes
    for (const r of [
      { dtype: 'int64', shape: [2], data: BigInt64Array.from([1n, -1n]) },
      { dtype: 'bool', shape: [], data: Uint8Array.from([1]) },
      { dtype: 'float16', shape: [1, 1, 1], data: Uint16Array.from([0x3c00]) },
      { dtype: 'uint8', shape: [0], data: new Uint8Array(0) },
    ] as RawTensor[]) {
      assert.deepEqual(parseNpy(Buffer.concat(encodeNpy(r)), 'x.npy'), r);
    }
    assert.throws(() => encodeNpy({ dtype: 'bfloat16', shape: [1], data: new Uint16Array(1) }), { code: 'BAD_ARGUMENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readNpyObject on a plain array gives its RawTensor; readNpy refuses object arrays', async () => {
  const plain = npy('<i4', [2], bytesOf(Int32Array.from([4, 5])));
  assert.deepEqual(parseNpyObject(plain, 'p.npy'), { dtype: 'int32', shape: [2], data: Int32Array.from([4, 5]) });
  await assert.rejects(readNpy(`${MTCNN}/det1.npy`), badFile('det1.npy', /holds Python objects.*readNpyObject/));
});

test('bad .npy files are BAD_FILE naming the file', async () => {
  const name = 'bad.npy';
  const f4 = bytesOf(Float32Array.from([1, 2]));
  assert.throws(() => parseNpy(Buffer.from('not numpy at all'), name), badFile(name, /does not start with \\x93NUMPY/));
  assert.throws(() => parseNpy(npy('<f4', [2], f4, { header: "{'descr': '<f4', 'shape': (2,)}" }), name), badFile(name, /fortran_order/));
  assert.throws(() => parseNpy(npy('<f4', [2], f4, { header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,}" }), name), badFile(name, /does not parse/));
  assert.throws(() => parseNpy(npy('<f4', [2], f4, { header: "__import__('os').system('ls')" }), name), badFile(name, /does not parse/));
  assert.throws(() => parseNpy(npy('<c8', [2], f4), name), badFile(name, /dtype <c8 is not supported/));
  assert.throws(() => parseNpy(npy('<f4', [3], f4), name), badFile(name, /needs 12 data bytes but the file has 8 \(truncated\?\)/));
  assert.throws(() => parseNpy(npy('<f4', [1], f4), name), badFile(name, /needs 4 data bytes but the file has 8/));
  assert.throws(() => parseNpy(npy('<f4', [2], f4, { header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}" }), name), badFile(name, /structured/));
  const lying = npy('<f4', [2], f4);
  lying.writeUInt16LE(60000, 8);
  assert.throws(() => parseNpy(lying, name), badFile(name, /header length \(60000\) runs past the end/));
  const v9 = npy('<f4', [2], f4);
  v9[6] = 9;
  assert.throws(() => parseNpy(v9, name), badFile(name, /unsupported format version 9/));
  // an object array whose pickle names a forbidden global
  const evil = Buffer.concat([npy('|O', [], new Uint8Array(0)), Buffer.from('\x80\x02cos\nsystem\nq\x00.', 'latin1')]);
  assert.throws(() => parseNpyObject(evil, name), badFile(name, /refuses to load: the pickle names os\.system/));
  // truncated det1.npy
  const dir = await mkdtemp(join(tmpdir(), 'facenet-npy-'));
  try {
    const det1 = await readFile(`${MTCNN}/det1.npy`);
    const cut = join(dir, 'det1-cut.npy');
    await writeFile(cut, det1.subarray(0, det1.length - 500));
    await assert.rejects(readNpyObject(cut), badFile(cut, /truncated/));
    await assert.rejects(readNpy(join(dir, 'missing.npy')), { code: 'NOT_FOUND' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

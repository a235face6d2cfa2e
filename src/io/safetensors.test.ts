import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FacenetError } from '../errors.js';
import type { RawTensor } from './raw-tensor.js';
import { encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors } from './safetensors.js';

/** A safetensors file from a header object and a data section, exactly as given. */
function build(header: unknown, data: Uint8Array, headerText?: string): Buffer {
  const json = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

function badFile(name: string, pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof FacenetError, String(e));
    assert.equal(e.code, 'BAD_FILE');
    assert.ok(e.message.includes(name), e.message);
    assert.match(e.message, pattern);
    return true;
  };
}

test('parses a hand-built file (format as specified)', () => {
  const data = Buffer.alloc(8 + 2 * 8 + 2);
  data.writeFloatLE(1.5, 0);
  data.writeFloatLE(-2, 4);
  data.writeBigInt64LE(-3n, 8);
  data.writeBigInt64LE(1n << 40n, 16);
  data.writeUInt16LE(0x3c00, 24);
  const buf = build(
    {
      __metadata__: { format: 'pt' },
      w: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] },
      n: { dtype: 'I64', shape: [2], data_offsets: [8, 24] },
      h: { dtype: 'F16', shape: [], data_offsets: [24, 26] },
    },
    data,
  );
  const { tensors, metadata } = parseSafetensors(buf, 'mem.safetensors');
  assert.deepEqual(metadata, { format: 'pt' });
  assert.deepEqual([...tensors.keys()], ['w', 'n', 'h']);
  assert.deepEqual(tensors.get('w')!.shape, [1, 2]);
  assert.deepEqual([...(tensors.get('w')!.data as Float32Array)], [1.5, -2]);
  assert.deepEqual([...(tensors.get('n')!.data as BigInt64Array)], [-3n, 1n << 40n]);
  assert.equal(tensors.get('h')!.dtype, 'float16');
  assert.deepEqual([...(tensors.get('h')!.data as Uint16Array)], [0x3c00]);
});

test('write/read round trip of every dtype, with metadata, atomically', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facenet-st-'));
  try {
    const tensors: Record<string, RawTensor> = {
      f32: { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      f64: { dtype: 'float64', shape: [1], data: Float64Array.from([Math.PI]) },
      f16: { dtype: 'float16', shape: [2], data: Uint16Array.from([0x3c00, 0xbc00]) },
      bf16: { dtype: 'bfloat16', shape: [1], data: Uint16Array.from([0x3f80]) },
      i64: { dtype: 'int64', shape: [], data: BigInt64Array.from([-9n]) },
      i32: { dtype: 'int32', shape: [3], data: Int32Array.from([1, -1, 7]) },
      i16: { dtype: 'int16', shape: [1], data: Int16Array.from([-2]) },
      i8: { dtype: 'int8', shape: [3], data: Int8Array.from([-1, 0, 1]) },
      u8: { dtype: 'uint8', shape: [1], data: Uint8Array.from([200]) },
      b: { dtype: 'bool', shape: [2], data: Uint8Array.from([1, 0]) },
      empty: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
    };
    const path = join(dir, 'all.safetensors');
    await writeSafetensors(path, tensors, { note: 'round trip' });
    assert.deepEqual(await readdir(dir), ['all.safetensors'], 'no temp file is left behind');

    const bytes = await readFile(path);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    assert.equal(headerLen % 8, 0, 'header padded to 8 bytes');
    const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, { dtype: string; data_offsets: number[] }>;
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const itemSize = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I16: 2, I8: 1, U8: 1, BOOL: 1 }[info.dtype]!;
      assert.equal(info.data_offsets[0]! % itemSize, 0, `${name} is aligned`);
    }

    const { tensors: back, metadata } = await readSafetensors(path);
    assert.deepEqual(metadata, { note: 'round trip' });
    assert.equal(back.size, Object.keys(tensors).length);
    for (const [name, raw] of Object.entries(tensors)) {
      const got = back.get(name)!;
      assert.equal(got.dtype, raw.dtype, name);
      assert.deepEqual(got.shape, raw.shape, name);
      assert.deepEqual(got.data, raw.data, name);
    }
    // Map input and overwrite of an existing file
    await writeSafetensors(path, new Map([['x', tensors['f32']!]]));
    assert.deepEqual([...(await readSafetensors(path)).tensors.keys()], ['x']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writer rejects inconsistent tensors', () => {
  assert.throws(() => encodeSafetensors({ a: { dtype: 'float32', shape: [3], data: new Float32Array(2) } }), { code: 'BAD_ARGUMENT' });
  assert.throws(() => encodeSafetensors({ a: { dtype: 'int64', shape: [1], data: new Float64Array(1) } as unknown as RawTensor }), {
    code: 'BAD_ARGUMENT',
  });
  assert.throws(() => encodeSafetensors({ __metadata__: { dtype: 'uint8', shape: [0], data: new Uint8Array(0) } }), { code: 'BAD_ARGUMENT' });
});

test('lying and malformed headers are BAD_FILE naming the file and the problem', () => {
  const f32 = (n: number): Uint8Array => new Uint8Array(n * 4);
  const name = 'lying.safetensors';
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  // header length beyond the file
  const lenOnly = Buffer.alloc(16);
  lenOnly.writeBigUInt64LE(1000n);
  assert.throws(() => parseSafetensors(lenOnly, name), badFile(name, /header length field says 1000 bytes but only 8/));
  const huge = Buffer.alloc(8);
  huge.writeBigUInt64LE(0xffffffffffffffffn);
  assert.throws(() => parseSafetensors(huge, name), badFile(name, /header length/));
  assert.throws(() => parseSafetensors(new Uint8Array(3), name), badFile(name, /fewer than the 8-byte/));
  // not JSON / not an object
  assert.throws(() => parseSafetensors(build(null, f32(0), '{"a": '), name), badFile(name, /not valid UTF-8 JSON/));
  assert.throws(() => parseSafetensors(build(null, f32(0), '[1,2]'), name), badFile(name, /not a JSON object/));
  // data offsets out of range
  assert.throws(
    () => parseSafetensors(build({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)), name),
    badFile(name, /"a".*beyond the 8 data bytes/),
  );
  // byte count not matching shape * itemsize
  assert.throws(
    () => parseSafetensors(build({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)), name),
    badFile(name, /"a" \(F32 \[3\]\) needs 12 bytes but its data_offsets span 8/),
  );
  // overlapping tensors
  assert.throws(
    () =>
      parseSafetensors(
        build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)),
        name,
      ),
    badFile(name, /overlaps/),
  );
  // holes and trailing bytes
  assert.throws(() => parseSafetensors(build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), name), badFile(name, /unused bytes/));
  assert.throws(() => parseSafetensors(build(ok, f32(3)), name), badFile(name, /cover 8 data bytes but the file has 12/));
  // reversed offsets, bad dtype, bad shape, bad metadata
  assert.throws(() => parseSafetensors(build({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, f32(2)), name), badFile(name, /end before/));
  assert.throws(() => parseSafetensors(build({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, f32(2)), name), badFile(name, /unsupported dtype "C64"/));
  assert.throws(() => parseSafetensors(build({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f32(2)), name), badFile(name, /invalid shape/));
  assert.throws(() => parseSafetensors(build({ a: { dtype: 'F32', shape: [2], data_offsets: [0] } }, f32(2)), name), badFile(name, /invalid data_offsets/));
  assert.throws(() => parseSafetensors(build({ ...ok, __metadata__: { n: 1 } }, f32(2)), name), badFile(name, /__metadata__ value for "n"/));
});

test('missing file is NOT_FOUND; a truncated written file is BAD_FILE', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facenet-st-'));
  try {
    await assert.rejects(readSafetensors(join(dir, 'nope.safetensors')), { code: 'NOT_FOUND' });
    const path = join(dir, 't.safetensors');
    await writeSafetensors(path, { a: { dtype: 'float32', shape: [100], data: new Float32Array(100) } });
    const full = await readFile(path);
    await writeFile(path, full.subarray(0, full.length - 10));
    await assert.rejects(readSafetensors(path), badFile(path, /beyond the \d+ data bytes/));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

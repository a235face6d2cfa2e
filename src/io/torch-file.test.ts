import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { crc32, deflateRawSync } from 'node:zlib';
import { FacenetError } from '../errors.js';
import { readNpyObject } from './npy.js';
import { toFloat32, type RawTensor } from './raw-tensor.js';
import { parseTorchStateDict, readTorchStateDict } from './torch-file.js';

import { ZOO, FIXTURES } from '../test-support/shared.js';

// ---------------------------------------------------------------------------------------------
// Builders for hand-made torch.save files, so that strides, offsets, views, dtypes and both
// container formats are tested beyond what the fixture files happen to contain.

class PickleBuilder {
  private readonly parts: Buffer[] = [];
  op(...bytes: number[]): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  text(s: string): this {
    this.parts.push(Buffer.from(s, 'latin1'));
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    this.parts.push(Buffer.from([0x58]), len, b);
    return this;
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(n, 1);
    this.parts.push(b);
    return this;
  }
  tuple(items: number[]): this {
    this.op(0x28);
    for (const i of items) this.int(i);
    return this.op(0x74);
  }
  global(module: string, name: string): this {
    return this.text(`c${module}\n${name}\n`);
  }
  orderedDict(): this {
    return this.global('collections', 'OrderedDict').op(0x29, 0x52);
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

interface StorageSpec {
  key: string;
  type: string; // e.g. 'FloatStorage'
  numel: number;
  bytes: Uint8Array;
}

interface TensorSpec {
  name: string;
  storage: StorageSpec;
  size: number[];
  stride?: number[];
  offset?: number;
  /** legacy-format storage view: (view_key, element offset, element count) */
  view?: [string, number, number];
}

function contiguousStrides(size: number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= size[d]!;
  }
  return s;
}

function pickleTensor(p: PickleBuilder, t: TensorSpec, legacy: boolean): void {
  p.global('torch._utils', '_rebuild_tensor_v2').op(0x28);
  p.op(0x28).str('storage').global('torch', t.storage.type).str(t.storage.key).str('cpu').int(t.storage.numel);
  if (legacy) {
    if (t.view) p.op(0x28).str(t.view[0]).int(t.view[1]).int(t.view[2]).op(0x74);
    else p.op(0x4e);
  }
  p.op(0x74, 0x51); // TUPLE, BINPERSID
  p.int(t.offset ?? 0).tuple(t.size).tuple(t.stride ?? contiguousStrides(t.size)).op(0x89).orderedDict();
  p.op(0x74, 0x52); // TUPLE, REDUCE
}

function pickleMain(tensors: TensorSpec[], legacy: boolean, wrap?: string, metadata = false): Buffer {
  const p = new PickleBuilder().op(0x80, 2);
  if (wrap) p.op(0x7d, 0x28).str(wrap);
  p.orderedDict().op(0x28);
  for (const t of tensors) {
    p.str(t.name);
    pickleTensor(p, t, legacy);
  }
  p.op(0x75); // SETITEMS
  if (metadata) {
    // BUILD {'_metadata': OrderedDict([('', {'version': 1})])}, as torch writes it
    p.op(0x7d).str('_metadata').orderedDict().str('').op(0x7d).str('version').int(1).op(0x73, 0x73, 0x73, 0x62);
  }
  if (wrap) p.str('epoch').int(3).op(0x75);
  return p.op(0x2e).build();
}

function uniqueStorages(tensors: TensorSpec[]): StorageSpec[] {
  const seen = new Map<string, StorageSpec>();
  for (const t of tensors) seen.set(t.storage.key, t.storage);
  return [...seen.values()];
}

function legacyFile(tensors: TensorSpec[], opts: { wrap?: string; metadata?: boolean; sizeLie?: boolean } = {}): Buffer {
  const magic = Buffer.from([0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
  const version = Buffer.from([0x80, 2, 0x4d, 0xe9, 0x03, 0x2e]);
  const sysInfo = new PickleBuilder().op(0x80, 2, 0x7d, 0x28).str('little_endian').op(0x88, 0x75, 0x2e).build();
  const storages = uniqueStorages(tensors);
  const keys = new PickleBuilder().op(0x80, 2, 0x5d, 0x28);
  for (const s of storages) keys.str(s.key);
  keys.op(0x65, 0x2e);
  const data: Buffer[] = [];
  for (const s of storages) {
    const n = Buffer.alloc(8);
    n.writeBigUInt64LE(BigInt(s.numel + (opts.sizeLie ? 1 : 0)));
    data.push(n, Buffer.from(s.bytes));
  }
  return Buffer.concat([magic, version, sysInfo, pickleMain(tensors, true, opts.wrap, opts.metadata), keys.build(), ...data]);
}

function zipArchive(entries: [string, Uint8Array][], deflate = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const packed = deflate ? deflateRawSync(data) : Buffer.from(data);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    // torch aligns data with a local-only extra field; mimic it so the reader must use the local header
    const extra = Buffer.alloc(4 + ((64 - ((offset + 30 + nameBytes.length + 4) % 64)) % 64));
    extra.writeUInt16LE(0xcafe, 0);
    extra.writeUInt16LE(extra.length - 4, 2);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, extra, packed);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + extra.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

function zipFile(tensors: TensorSpec[], opts: { deflate?: boolean; bigEndian?: boolean; wrap?: string } = {}): Buffer {
  const entries: [string, Uint8Array][] = [['archive/data.pkl', pickleMain(tensors, false, opts.wrap)]];
  if (opts.bigEndian !== undefined) entries.push(['archive/byteorder', Buffer.from(opts.bigEndian ? 'big' : 'little')]);
  for (const s of uniqueStorages(tensors)) {
    const bytes = Buffer.from(s.bytes);
    if (opts.bigEndian) {
      const size = bytes.length / s.numel;
      for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
    }
    entries.push([`archive/data/${s.key}`, bytes]);
  }
  entries.push(['archive/version', Buffer.from('3\n')]);
  return zipArchive(entries, opts.deflate);
}

const f32Storage = (key: string, values: number[]): StorageSpec => ({
  key,
  type: 'FloatStorage',
  numel: values.length,
  bytes: new Uint8Array(Float32Array.from(values).buffer),
});

const twelve = f32Storage('0', Array.from({ length: 12 }, (_, i) => i));
const VIEW_TENSORS: TensorSpec[] = [
  { name: 'full', storage: twelve, size: [3, 4] },
  { name: 'transposed', storage: twelve, size: [4, 3], stride: [1, 4] },
  { name: 'offset', storage: twelve, size: [2, 2], stride: [4, 1], offset: 5 },
  { name: 'expanded', storage: twelve, size: [2, 3], stride: [0, 1], offset: 1 },
  { name: 'scalar', storage: twelve, size: [], offset: 11 },
  { name: 'permuted3d', storage: twelve, size: [2, 3, 2], stride: [1, 4, 2] },
];
const VIEW_EXPECTED: Record<string, number[]> = {
  full: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  transposed: [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11],
  offset: [5, 6, 9, 10],
  expanded: [1, 2, 3, 1, 2, 3],
  scalar: [11],
  permuted3d: [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11],
};

function dtypeTensors(): TensorSpec[] {
  const typed = (key: string, type: string, arr: ArrayBufferView & { length: number }): StorageSpec => ({
    key,
    type,
    numel: arr.length,
    bytes: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength),
  });
  return [
    { name: 'long', storage: typed('l', 'LongStorage', BigInt64Array.from([-1n, 1n << 50n])), size: [2] },
    { name: 'int', storage: typed('i', 'IntStorage', Int32Array.from([-7, 70000])), size: [2] },
    { name: 'short', storage: typed('s', 'ShortStorage', Int16Array.from([-300, 5])), size: [2] },
    { name: 'char', storage: typed('c', 'CharStorage', Int8Array.from([-128, 127])), size: [2] },
    { name: 'byte', storage: typed('b', 'ByteStorage', Uint8Array.from([0, 255])), size: [2] },
    { name: 'bool', storage: typed('o', 'BoolStorage', Uint8Array.from([1, 0])), size: [2] },
    { name: 'double', storage: typed('d', 'DoubleStorage', Float64Array.from([Math.PI, -0.5])), size: [2] },
    { name: 'half', storage: typed('h', 'HalfStorage', Uint16Array.from([0x3c00, 0xc000])), size: [2] },
    { name: 'bf16', storage: typed('f', 'BFloat16Storage', Uint16Array.from([0x3f80, 0x4049])), size: [2] },
  ];
}

function checkDtypes(sd: Map<string, RawTensor>): void {
  const expect: Record<string, [string, unknown[]]> = {
    long: ['int64', [-1n, 1n << 50n]],
    int: ['int32', [-7, 70000]],
    short: ['int16', [-300, 5]],
    char: ['int8', [-128, 127]],
    byte: ['uint8', [0, 255]],
    bool: ['bool', [1, 0]],
    double: ['float64', [Math.PI, -0.5]],
    half: ['float16', [0x3c00, 0xc000]],
    bf16: ['bfloat16', [0x3f80, 0x4049]],
  };
  for (const [name, [dtype, values]] of Object.entries(expect)) {
    const t = sd.get(name)!;
    assert.equal(t.dtype, dtype, name);
    assert.deepEqual([...t.data], values, name);
    assert.equal(t.data.byteOffset, 0, `${name} owns its buffer`);
  }
  assert.deepEqual([...toFloat32(sd.get('half')!)], [1, -2]);
  assert.deepEqual([...toFloat32(sd.get('bf16')!)], [1, 3.140625]);
}

function checkViews(sd: Map<string, RawTensor>): void {
  for (const t of VIEW_TENSORS) {
    const got = sd.get(t.name)!;
    assert.deepEqual(got.shape, t.size, t.name);
    assert.deepEqual([...(got.data as Float32Array)], VIEW_EXPECTED[t.name], t.name);
  }
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

// ---------------------------------------------------------------------------------------------

test('pnet.pt (legacy) and pnet-zip.pt (zip) match pnet-expected.json', async () => {
  const expected = JSON.parse(await readFile(`${FIXTURES}/torch-formats/pnet-expected.json`, 'utf8')) as Record<
    string,
    { shape: number[]; sum: number; first: number }
  >;
  for (const path of [`${ZOO}/mtcnn/pnet.pt`, `${FIXTURES}/torch-formats/pnet-zip.pt`]) {
    const sd = await readTorchStateDict(path);
    assert.deepEqual([...sd.keys()], Object.keys(expected), path);
    for (const [name, exp] of Object.entries(expected)) {
      const t = sd.get(name)!;
      assert.equal(t.dtype, 'float32');
      assert.ok(t.data instanceof Float32Array);
      assert.deepEqual(t.shape, exp.shape, `${path} ${name}`);
      let sum = 0;
      for (const v of t.data as Float32Array) sum += v;
      assert.ok(Math.abs(sum - exp.sum) <= 1e-9 * Math.max(1, Math.abs(exp.sum)), `${path} ${name}: sum ${sum} vs ${exp.sum}`);
      assert.equal(t.data[0], exp.first, `${path} ${name} first`);
    }
  }
});

test('the legacy and zip pnet files hold identical tensors', async () => {
  const a = await readTorchStateDict(`${ZOO}/mtcnn/pnet.pt`);
  const b = await readTorchStateDict(`${FIXTURES}/torch-formats/pnet-zip.pt`);
  for (const [k, t] of a) assert.deepEqual(b.get(k), t, k);
});

test('rnet.pt and onet.pt load with the facenet-pytorch layer names and shapes', async () => {
  const rnet = await readTorchStateDict(`${ZOO}/mtcnn/rnet.pt`);
  assert.equal(rnet.size, 16);
  assert.deepEqual(rnet.get('conv3.weight')!.shape, [64, 48, 2, 2]);
  assert.deepEqual(rnet.get('dense4.weight')!.shape, [128, 576]);
  assert.deepEqual(rnet.get('dense5_2.bias')!.shape, [4]);
  const onet = await readTorchStateDict(`${ZOO}/mtcnn/onet.pt`);
  assert.equal(onet.size, 21);
  assert.deepEqual(onet.get('dense5.weight')!.shape, [256, 1152]);
  assert.deepEqual(onet.get('dense6_3.weight')!.shape, [10, 256]);
  assert.deepEqual(onet.get('prelu5.weight')!.shape, [256]);
  let params = 0;
  for (const t of onet.values()) params += t.data.length;
  assert.equal(params, 389040, 'same parameter count as det3.npy');
});

test('pnet.pt and det1.npy hold the same P-Net weights (two independent readers agree)', async () => {
  const pt = await readTorchStateDict(`${ZOO}/mtcnn/pnet.pt`);
  const npy = (await readNpyObject(`${ZOO}/mtcnn/det1.npy`)) as Record<string, Record<string, RawTensor>>;
  const sorted = (t: RawTensor): number[] => [...(t.data as Float32Array)].sort((x, y) => x - y);
  assert.deepEqual(sorted(pt.get('conv1.weight')!), sorted(npy['conv1']!['weights']!));
  assert.deepEqual(sorted(pt.get('conv3.bias')!), sorted(npy['conv3']!['biases']!));
  assert.deepEqual(sorted(pt.get('prelu2.weight')!), sorted(npy['PReLU2']!['alpha']!));
});

test('random-weights.pt (InceptionResnetV1, ~90 MB legacy) loads fast and correctly', async () => {
  const path = `${FIXTURES}/inception-resnet-v1/random-weights.pt`;
  await readTorchStateDict(path); // warm-up (module compilation, page cache)
  const t0 = performance.now();
  const sd = await readTorchStateDict(path);
  const ms = performance.now() - t0;
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  assert.equal(sd.size, 716);
  assert.deepEqual(sd.get('conv2d_1a.conv.weight')!.shape, [32, 3, 3, 3]);
  assert.deepEqual(sd.get('last_linear.weight')!.shape, [512, 1792]);
  assert.deepEqual(sd.get('logits.weight')!.shape, [10, 512]);
  assert.deepEqual(sd.get('logits.bias')!.shape, [10]);
  const nbt = [...sd.entries()].filter(([k]) => k.endsWith('num_batches_tracked'));
  assert.equal(nbt.length, 112);
  for (const [k, t] of nbt) {
    assert.equal(t.dtype, 'int64', k);
    assert.ok(t.data instanceof BigInt64Array, k);
    assert.deepEqual(t.shape, [], k);
  }
  assert.deepEqual([...sd.get('conv2d_1a.bn.num_batches_tracked')!.data], [4n]);
  // sums computed with numpy from the same file
  const sums: Record<string, [number, number]> = {
    'conv2d_1a.conv.weight': [-3.022120252251625, -0.11297646164894104],
    'last_linear.weight': [13.731012154836208, -0.013625415042042732],
    'logits.weight': [0.562136335298419, 0.037896834313869476],
    'last_bn.running_var': [476.3568394780159, 0.788361132144928],
  };
  for (const [k, [sum, first]] of Object.entries(sums)) {
    const data = sd.get(k)!.data as Float32Array;
    let s = 0;
    for (const v of data) s += v;
    assert.ok(Math.abs(s - sum) < 1e-6 * Math.max(1, Math.abs(sum)), `${k}: ${s} vs ${sum}`);
    assert.equal(data[0], first, k);
  }
});

test('hand-built legacy file: offsets, strides, expanded and scalar tensors', () => {
  checkViews(parseTorchStateDict(legacyFile(VIEW_TENSORS), 'views.pt'));
});

test('hand-built zip file: offsets, strides, stored and deflated, little and big endian', () => {
  checkViews(parseTorchStateDict(zipFile(VIEW_TENSORS), 'views-zip.pt'));
  checkViews(parseTorchStateDict(zipFile(VIEW_TENSORS, { deflate: true }), 'views-deflate.pt'));
  checkViews(parseTorchStateDict(zipFile(VIEW_TENSORS, { bigEndian: false }), 'views-le.pt'));
  checkViews(parseTorchStateDict(zipFile(VIEW_TENSORS, { bigEndian: true }), 'views-be.pt'));
});

test('every supported storage dtype, in both formats', () => {
  checkDtypes(parseTorchStateDict(legacyFile(dtypeTensors()), 'dtypes.pt'));
  checkDtypes(parseTorchStateDict(zipFile(dtypeTensors()), 'dtypes-zip.pt'));
  checkDtypes(parseTorchStateDict(zipFile(dtypeTensors(), { bigEndian: true }), 'dtypes-be.pt'));
});

test('legacy storage views (view_metadata) and shared storages', () => {
  const root = f32Storage('r', [10, 11, 12, 13, 14, 15]);
  const sd = parseTorchStateDict(
    legacyFile([
      { name: 'view', storage: root, size: [3], view: ['v', 2, 3] },
      { name: 'viewOffset', storage: root, size: [2], offset: 1, view: ['v', 2, 3] },
      { name: 'whole', storage: root, size: [2, 3] },
    ]),
    'legacy-views.pt',
  );
  assert.deepEqual([...sd.get('view')!.data], [12, 13, 14]);
  assert.deepEqual([...sd.get('viewOffset')!.data], [13, 14]);
  assert.deepEqual([...sd.get('whole')!.data], [10, 11, 12, 13, 14, 15]);
  assert.notEqual(sd.get('view')!.data.buffer, sd.get('whole')!.data.buffer, 'tensors never share memory');
});

test('state_dict wrapped in a checkpoint dict, and _metadata on the OrderedDict', () => {
  for (const wrap of ['state_dict', 'model']) {
    checkViews(parseTorchStateDict(legacyFile(VIEW_TENSORS, { wrap }), `wrapped-${wrap}.pt`));
    checkViews(parseTorchStateDict(zipFile(VIEW_TENSORS, { wrap }), `wrapped-${wrap}-zip.pt`));
  }
  checkViews(parseTorchStateDict(legacyFile(VIEW_TENSORS, { metadata: true }), 'meta.pt'));
  assert.throws(() => parseTorchStateDict(legacyFile(VIEW_TENSORS, { wrap: 'optimizer' }), 'ckpt.pt'), badFile('ckpt.pt', /does not hold a state_dict/));
});

test('inconsistent hand-built files are BAD_FILE', () => {
  const small = f32Storage('0', [1, 2, 3]);
  assert.throws(
    () => parseTorchStateDict(legacyFile([{ name: 'w', storage: small, size: [2, 2] }]), 'oob.pt'),
    badFile('oob.pt', /tensor "w": size \[2, 2\], stride \[2, 1\] and offset 0 reach element 3 of a storage of 3/),
  );
  assert.throws(
    () => parseTorchStateDict(zipFile([{ name: 'w', storage: small, size: [3], offset: 1 }]), 'oob-zip.pt'),
    badFile('oob-zip.pt', /reach element 3/),
  );
  assert.throws(
    () => parseTorchStateDict(legacyFile([{ name: 'w', storage: small, size: [3] }], { sizeLie: true }), 'lie.pt'),
    badFile('lie.pt', /storage 0 holds 4 elements, but 3 were declared/),
  );
  const complex: StorageSpec = { key: 'c', type: 'ComplexFloatStorage', numel: 1, bytes: new Uint8Array(8) };
  assert.throws(() => parseTorchStateDict(legacyFile([{ name: 'z', storage: complex, size: [1] }]), 'complex.pt'), badFile('complex.pt', /torch\.ComplexFloatStorage/));
  // a zip whose storage entry is shorter than declared
  const shortZip = zipArchive([
    ['archive/data.pkl', pickleMain([{ name: 'w', storage: small, size: [3] }], false)],
    ['archive/data/0', new Uint8Array(8)],
  ]);
  assert.throws(() => parseTorchStateDict(shortZip, 'short.pt'), badFile('short.pt', /storage 0 has 8 bytes, but 12 were declared/));
  const noPkl = zipArchive([['archive/other.txt', new Uint8Array(3)]]);
  assert.throws(() => parseTorchStateDict(noPkl, 'nopkl.pt'), badFile('nopkl.pt', /without data\.pkl/));
  const script = zipArchive([
    ['archive/data.pkl', pickleMain([], false)],
    ['archive/constants.pkl', new Uint8Array(1)],
  ]);
  assert.throws(() => parseTorchStateDict(script, 'script.pt'), badFile('script.pt', /TorchScript/));
  // an empty state_dict is valid
  assert.equal(parseTorchStateDict(legacyFile([]), 'empty-sd.pt').size, 0);
});

/**
 * Reads PyTorch `torch.save` files that hold a state_dict, without PyTorch and without executing
 * anything from the file. Both on-disk formats are supported:
 *
 * - legacy (torch < 1.6 and `_use_new_zipfile_serialization=False`, the format of facenet-pytorch's
 *   published weights): five pickles in a row (magic number, protocol version, sys_info, the object,
 *   the list of storage keys), then for each storage key a u64 element count and the raw bytes;
 * - zip (torch >= 1.6): `<archive>/data.pkl` plus one entry `<archive>/data/<key>` per storage.
 *
 * In both, tensors are pickled as `torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
 * ...)` with the storage given by a persistent id. Storages are resolved after the pickle is read,
 * then every tensor is copied out row-major contiguous, honouring its offset and strides.
 */

import { FacenetError } from '../errors.js';
import { readWholeFile } from './fs-util.js';
import { resolveNumpyGlobal } from './numpy-pickle.js';
import { chainResolvers, PyGlobal, resolveBuiltinGlobal, unpickle, type GlobalResolver } from './pickle.js';
import {
  dtypeItemSize,
  gatherStrided,
  shapeNumel,
  swapBytesInPlace,
  typedArrayFor,
  type RawDtype,
  type RawTensor,
} from './raw-tensor.js';
import { looksLikeZip, ZipReader } from './zip-reader.js';

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;
// Expanding a stride-0 tensor can ask for far more memory than the file holds; above this many bytes
// such a tensor is treated as a corrupt or hostile file rather than allocated.
const MAX_EXPANDED_BYTES = 1 << 30;

const STORAGE_DTYPES: Readonly<Record<string, RawDtype>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** `torch.FloatStorage` and friends: only used as a dtype tag inside persistent ids. */
class TorchStorageType extends PyGlobal {
  constructor(
    name: string,
    readonly dtype: RawDtype,
  ) {
    super('torch', name);
  }
}

/** A typed storage (or, in legacy files, a typed view of one) named by a persistent id. */
class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: RawDtype,
    /** Elements visible through this reference. */
    readonly numel: number,
    /** Element offset into the root storage (non-zero only for legacy storage views). */
    readonly elementOffset: number,
  ) {}
}

/** A tensor whose storage bytes may not have been read yet (legacy files put them after the pickle). */
class PendingTensor {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

interface RootStorage {
  dtype: RawDtype;
  numel: number;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function intTuple(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every(isIndex)) throw new Error(`${what} is not a tuple of non-negative integers`);
  return v as number[];
}

function rebuildTensor(args: unknown[]): PendingTensor {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw new Error('_rebuild_tensor_v2 without a storage');
  if (!isIndex(offset)) throw new Error('_rebuild_tensor_v2 with an invalid storage offset');
  const shape = intTuple(size, 'tensor size');
  const strides = intTuple(stride, 'tensor stride');
  if (shape.length !== strides.length) throw new Error(`tensor size has ${shape.length} dims but stride has ${strides.length}`);
  return new PendingTensor(storage, offset, [...shape], [...strides]);
}

/** The torch part of the allow-list (numpy and harmless builtins are chained in as well). */
function resolveTorchGlobal(fileName: string): GlobalResolver {
  return (module, name) => {
    const g = (behaviour: ConstructorParameters<typeof PyGlobal>[2]): PyGlobal => new PyGlobal(module, name, behaviour);
    if (module === 'torch') {
      const dtype = STORAGE_DTYPES[name];
      if (dtype) return new TorchStorageType(name, dtype);
      if (name.endsWith('Storage')) {
        throw new FacenetError('BAD_FILE', `${fileName}: holds tensors of type torch.${name}, which this reader does not support`);
      }
      if (name === 'Tensor') return g({});
    }
    if (module === 'torch.nn.parameter' && name === 'Parameter') return g({});
    if (module === 'torch._utils') {
      if (name === '_rebuild_tensor_v2' || name === '_rebuild_tensor') return g({ call: rebuildTensor });
      // A Parameter pickles as its data tensor plus flags; the flags do not matter for weights.
      if (name === '_rebuild_parameter' || name === '_rebuild_parameter_with_state') {
        return g({
          call: (args) => {
            if (!(args[0] instanceof PendingTensor)) throw new Error(`${name} without a tensor`);
            return args[0];
          },
        });
      }
    }
    if (module === 'torch._tensor' && name === '_rebuild_from_type_v2') {
      // (func, new_type, args, state): used for tensor subclasses; only plain Tensor/Parameter pass.
      return g({
        call: (args) => {
          const [func, newType, fargs] = args;
          if (!(newType instanceof PyGlobal) || !['torch.Tensor', 'torch.nn.parameter.Parameter'].includes(newType.qualifiedName)) {
            throw new Error('_rebuild_from_type_v2 of a tensor subclass');
          }
          if (!(func instanceof PyGlobal) || !func.behaviour.call || !Array.isArray(fargs)) throw new Error('bad _rebuild_from_type_v2 arguments');
          return func.behaviour.call(fargs);
        },
      });
    }
    return undefined;
  };
}

/** Collects storages named by persistent ids while a pickle runs. */
class StorageTable {
  readonly roots = new Map<string, RootStorage>();

  constructor(private readonly fileName: string) {}

  persistentLoad = (pid: unknown): StorageRef => {
    const bad = (problem: string): FacenetError => new FacenetError('BAD_FILE', `${this.fileName}: ${problem}`);
    if (!Array.isArray(pid) || pid.length === 0) throw bad('a persistent id is not a tuple');
    if (pid[0] === 'module') throw bad('holds a whole pickled nn.Module, not a state_dict; save model.state_dict() instead');
    if (pid[0] !== 'storage' || pid.length < 5) throw bad(`unknown persistent id kind ${JSON.stringify(String(pid[0]))}`);
    const [, type, key, , numel, view] = pid as unknown[];
    if (!(type instanceof TorchStorageType)) throw bad('a storage persistent id has no storage type');
    if (typeof key !== 'string' && !isIndex(key)) throw bad('a storage persistent id has an invalid key');
    if (!isIndex(numel)) throw bad(`storage ${String(key)} has an invalid size`);
    const k = String(key);
    const itemSize = dtypeItemSize(type.dtype);
    const root = this.roots.get(k);
    if (!root) this.roots.set(k, { dtype: type.dtype, numel });
    else if (root.numel * dtypeItemSize(root.dtype) !== numel * itemSize) {
      throw bad(`storage ${k} is declared with two different sizes`);
    }
    if (view === undefined || view === null) return new StorageRef(k, type.dtype, numel, 0);
    // Legacy storage views: (view_key, offset, view_size) into the root storage.
    if (!Array.isArray(view) || view.length !== 3 || !isIndex(view[1]) || !isIndex(view[2])) {
      throw bad(`storage ${k} has invalid view metadata`);
    }
    const [, offset, size] = view as [unknown, number, number];
    if (offset + size > numel) throw bad(`a view of storage ${k} (elements ${offset}..${offset + size}) lies outside it (${numel} elements)`);
    return new StorageRef(k, type.dtype, size, offset);
  };
}

/** Copies one pending tensor out of its storage bytes. */
function materialize(name: string, t: PendingTensor, bytes: Uint8Array, bigEndian: boolean, fileName: string): RawTensor {
  const bad = (problem: string): FacenetError => new FacenetError('BAD_FILE', `${fileName}: tensor "${name}": ${problem}`);
  const { dtype } = t.storage;
  const itemSize = dtypeItemSize(dtype);
  const numel = shapeNumel(t.shape);
  if (numel > 0) {
    let last = t.offset;
    for (let d = 0; d < t.shape.length; d++) last += (t.shape[d]! - 1) * t.stride[d]!;
    if (last >= t.storage.numel) {
      throw bad(`size [${t.shape.join(', ')}], stride [${t.stride.join(', ')}] and offset ${t.offset} reach element ${last} of a storage of ${t.storage.numel}`);
    }
    if (numel > t.storage.numel && numel * itemSize > MAX_EXPANDED_BYTES) {
      throw bad(`would expand ${t.storage.numel} stored elements to ${numel}`);
    }
  }
  const start = t.storage.elementOffset * itemSize;
  if (start + t.storage.numel * itemSize > bytes.length) throw bad('its storage is shorter than declared (truncated?)');
  const out = gatherStrided(bytes.subarray(start), itemSize, t.offset, t.shape, t.stride);
  if (bigEndian) swapBytesInPlace(out, itemSize);
  if (dtype === 'bool') for (let i = 0; i < out.length; i++) if (out[i] !== 0) out[i] = 1;
  return { dtype, shape: [...t.shape], data: typedArrayFor(dtype, out.buffer, 0, numel) };
}

function isTensorDict(v: unknown): v is Map<string, PendingTensor> {
  if (!(v instanceof Map)) return false;
  for (const [k, t] of v) if (typeof k !== 'string' || !(t instanceof PendingTensor)) return false;
  return true;
}

/** Picks the state_dict out of the unpickled object: the object itself, or its 'state_dict'/'model'. */
function selectStateDict(top: unknown, fileName: string): Map<string, PendingTensor> {
  if (isTensorDict(top)) return top;
  if (top instanceof Map) {
    for (const key of ['state_dict', 'model']) {
      const inner = top.get(key);
      if (isTensorDict(inner)) return inner;
    }
    const keys = [...top.keys()].slice(0, 8).map(String);
    const firstOther = [...top.entries()].find(([, v]) => !(v instanceof PendingTensor));
    throw new FacenetError(
      'BAD_FILE',
      `${fileName}: does not hold a state_dict: the saved dict (keys ${keys.join(', ')}${top.size > 8 ? ', ...' : ''}) ` +
        `has non-tensor values${firstOther ? ` (e.g. "${String(firstOther[0])}")` : ''} and no 'state_dict' or 'model' entry of tensors`,
    );
  }
  throw new FacenetError('BAD_FILE', `${fileName}: does not hold a state_dict (the saved object is not a dict)`);
}

function resolverFor(fileName: string): GlobalResolver {
  return chainResolvers(resolveBuiltinGlobal, resolveTorchGlobal(fileName), resolveNumpyGlobal);
}

function parseZip(buf: Uint8Array, fileName: string): Map<string, RawTensor> {
  const zip = new ZipReader(buf, fileName);
  const pklName = [...zip.entries.keys()].find((n) => n === 'data.pkl' || /^[^/]+\/data\.pkl$/.test(n));
  if (!pklName) throw new FacenetError('BAD_FILE', `${fileName}: a zip file without data.pkl, so not a torch.save file`);
  const prefix = pklName.slice(0, -'data.pkl'.length);
  if (zip.entries.has(`${prefix}constants.pkl`) || [...zip.entries.keys()].some((n) => n.startsWith(`${prefix}code/`))) {
    throw new FacenetError('BAD_FILE', `${fileName}: is a TorchScript archive (torch.jit.save), not a torch.save state_dict`);
  }
  let bigEndian = false;
  if (zip.entries.has(`${prefix}byteorder`)) {
    const order = Buffer.from(zip.read(`${prefix}byteorder`)).toString('latin1').trim();
    if (order !== 'little' && order !== 'big') throw new FacenetError('BAD_FILE', `${fileName}: unknown byte order "${order}"`);
    bigEndian = order === 'big';
  }
  const table = new StorageTable(fileName);
  const { value } = unpickle(zip.read(pklName), {
    fileName,
    resolveGlobal: resolverFor(fileName),
    persistentLoad: table.persistentLoad,
  });
  const stateDict = selectStateDict(value, fileName);
  const storageBytes = new Map<string, Uint8Array>();
  const out = new Map<string, RawTensor>();
  for (const [name, t] of stateDict) {
    const key = t.storage.key;
    let bytes = storageBytes.get(key);
    if (!bytes) {
      const entry = `${prefix}data/${key}`;
      if (!zip.entries.has(entry)) throw new FacenetError('BAD_FILE', `${fileName}: storage ${key} of tensor "${name}" is missing from the archive`);
      bytes = zip.read(entry);
      const root = table.roots.get(key)!;
      const need = root.numel * dtypeItemSize(root.dtype);
      if (bytes.length !== need) {
        throw new FacenetError('BAD_FILE', `${fileName}: storage ${key} has ${bytes.length} bytes, but ${need} were declared`);
      }
      storageBytes.set(key, bytes);
    }
    out.set(name, materialize(name, t, bytes, bigEndian, fileName));
  }
  return out;
}

function parseLegacy(buf: Uint8Array, fileName: string): Map<string, RawTensor> {
  const bad = (problem: string): FacenetError => new FacenetError('BAD_FILE', `${fileName}: ${problem}`);
  const plain = { fileName, resolveGlobal: resolveBuiltinGlobal };
  const magic = unpickle(buf, { ...plain, offset: 0 });
  if (magic.value !== LEGACY_MAGIC) throw bad('not a PyTorch file (bad magic number)');
  const version = unpickle(buf, { ...plain, offset: magic.end });
  if (version.value !== LEGACY_PROTOCOL_VERSION) throw bad(`unsupported torch.save protocol version ${String(version.value)}`);
  const sysInfo = unpickle(buf, { ...plain, offset: version.end });
  const bigEndian = sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false;

  const table = new StorageTable(fileName);
  const main = unpickle(buf, { fileName, resolveGlobal: resolverFor(fileName), persistentLoad: table.persistentLoad, offset: sysInfo.end });
  const keysPickle = unpickle(buf, { ...plain, offset: main.end });
  const keys = keysPickle.value;
  if (!Array.isArray(keys)) throw bad('the storage key list is not a list');

  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const storageBytes = new Map<string, Uint8Array>();
  let pos = keysPickle.end;
  for (const rawKey of keys) {
    const key = String(rawKey);
    const root = table.roots.get(key);
    if (!root) throw bad(`storage ${key} is listed but no tensor uses it`);
    if (pos + 8 > buf.length) throw bad(`the data of storage ${key} is missing (truncated at byte ${buf.length})`);
    const numel = view.getBigUint64(pos, true);
    if (numel !== BigInt(root.numel)) throw bad(`storage ${key} holds ${numel} elements, but ${root.numel} were declared`);
    const nbytes = root.numel * dtypeItemSize(root.dtype);
    const start = pos + 8;
    if (start + nbytes > buf.length) {
      throw bad(`the data of storage ${key} (bytes ${start}..${start + nbytes}) runs past the end of the file at ${buf.length} (truncated?)`);
    }
    storageBytes.set(key, buf.subarray(start, start + nbytes));
    pos = start + nbytes;
  }

  const stateDict = selectStateDict(main.value, fileName);
  const out = new Map<string, RawTensor>();
  for (const [name, t] of stateDict) {
    const bytes = storageBytes.get(t.storage.key);
    if (!bytes) throw bad(`the data of storage ${t.storage.key} (tensor "${name}") is not in the file`);
    out.set(name, materialize(name, t, bytes, bigEndian, fileName));
  }
  return out;
}

/** Parses torch.save bytes (zip or legacy format) holding a state_dict; `nameForErrors` goes into messages. */
export function parseTorchStateDict(buf: Uint8Array, nameForErrors: string): Map<string, RawTensor> {
  if (buf.length === 0) throw new FacenetError('BAD_FILE', `${nameForErrors}: the file is empty (0 bytes)`);
  if (looksLikeZip(buf)) return parseZip(buf, nameForErrors);
  // The legacy format opens with the magic number pickled at protocol 2: PROTO 2, LONG1.
  if (buf.length >= 3 && buf[0] === 0x80 && buf[1] === 0x02 && buf[2] === 0x8a) return parseLegacy(buf, nameForErrors);
  throw new FacenetError('BAD_FILE', `${nameForErrors}: not a PyTorch file (neither the zip nor the legacy format of torch.save)`);
}

/** Reads a torch.save file holding a state_dict (or a dict with a 'state_dict'/'model' entry). */
export async function readTorchStateDict(path: string): Promise<Map<string, RawTensor>> {
  return parseTorchStateDict(await readWholeFile(path), path);
}

/**
 * The numpy part of the pickle allow-list: how pickled ndarrays, dtypes and numpy scalars are
 * rebuilt without numpy, plus the conversion of an unpickled value into plain JS (ndarrays become
 * RawTensor, dicts with string keys become objects).
 *
 * A pickled ndarray is `_reconstruct(ndarray, (0,), b'b')` followed by BUILD with the state
 * (version, shape, dtype, is_fortran, rawdata); a dtype is `dtype('f4', False, True)` followed by
 * BUILD with (version, byteorder, ...). Only these shapes of pickle are accepted.
 */

import { FacenetError } from '../errors.js';
import { PyGlobal, SET_STATE, type GlobalResolver, type Stateful } from './pickle.js';
import {
  dtypeItemSize,
  float16BitsToNumber,
  gatherStrided,
  rawFromBytes,
  shapeNumel,
  type RawDtype,
  type RawTensor,
} from './raw-tensor.js';

/** A numpy element type as this project understands it. */
export interface NumpyType {
  dtype: RawDtype | 'object';
  bigEndian: boolean;
}

const KIND_SIZE_TO_DTYPE: Readonly<Record<string, RawDtype>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  b1: 'bool',
};

/**
 * Parses a numpy type string such as '<f4', '>i8', '|b1', 'f4', 'O8' or '|O'. Returns undefined for
 * types this project has no RawDtype for (complex, unsigned > 8 bit, strings, structured).
 */
export function parseNumpyTypestr(typestr: string): NumpyType | undefined {
  let s = typestr;
  let bigEndian = false;
  const order = s[0];
  if (order === '<' || order === '>' || order === '|' || order === '=') {
    bigEndian = order === '>';
    s = s.slice(1);
  }
  if (s === 'O' || s === 'O8' || s === 'O4') return { dtype: 'object', bigEndian: false };
  // numpy's one-letter codes, as used by np.dtype('f') and by older pickles.
  const aliases: Record<string, string> = { f: 'f4', d: 'f8', e: 'f2', b: 'i1', B: 'u1', h: 'i2', i: 'i4', l: 'i8', q: 'i8', '?': 'b1' };
  const key = aliases[s] ?? s;
  const dtype = KIND_SIZE_TO_DTYPE[key];
  if (!dtype) return undefined;
  return { dtype, bigEndian: bigEndian && dtypeItemSize(dtype) > 1 };
}

/** A numpy dtype rebuilt from a pickle. */
export class NumpyDtype implements Stateful {
  byteOrder = '=';
  structured = false;

  constructor(readonly typestr: string) {}

  [SET_STATE](state: unknown): void {
    if (!Array.isArray(state)) throw new Error('numpy dtype state is not a tuple');
    // (version, byteorder, subarray, names, fields, elsize, alignment, flags); version 0/1 omit some.
    const [, byteOrder, subarray, names] = state as unknown[];
    if (typeof byteOrder === 'string') this.byteOrder = byteOrder;
    if ((subarray !== null && subarray !== undefined) || (names !== null && names !== undefined)) this.structured = true;
  }

  get type(): NumpyType | undefined {
    if (this.structured) return undefined;
    const t = parseNumpyTypestr(this.typestr);
    if (!t) return undefined;
    return { dtype: t.dtype, bigEndian: this.byteOrder === '>' && t.dtype !== 'object' && dtypeItemSize(t.dtype) > 1 };
  }
}

/** An ndarray rebuilt from a pickle; turned into a RawTensor (or JS values) by `numpyToJs`. */
export class NumpyArray implements Stateful {
  shape: number[] = [];
  dtype: NumpyDtype | undefined;
  fortran = false;
  raw: Uint8Array | unknown[] | undefined;

  [SET_STATE](state: unknown): void {
    if (!Array.isArray(state)) throw new Error('ndarray state is not a tuple');
    // (version, shape, dtype, is_fortran, rawdata), or the same without version.
    const s = state.length === 5 ? state.slice(1) : state;
    if (s.length !== 4) throw new Error(`ndarray state has ${state.length} items, expected 4 or 5`);
    const [shape, dtype, fortran, raw] = s as [unknown, unknown, unknown, unknown];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new Error('ndarray shape is not a tuple of non-negative integers');
    }
    if (!(dtype instanceof NumpyDtype)) throw new Error('ndarray dtype is not a numpy dtype');
    this.shape = shape as number[];
    this.dtype = dtype;
    this.fortran = fortran === true || fortran === 1;
    if (typeof raw === 'string') this.raw = new Uint8Array(Buffer.from(raw, 'latin1'));
    else if (raw instanceof Uint8Array || Array.isArray(raw)) this.raw = raw;
    else throw new Error('ndarray data is neither bytes nor a list');
  }
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return new Uint8Array(Buffer.from(value, 'latin1'));
  throw new Error('expected bytes');
}

function scalarValue(dtype: unknown, data: unknown): unknown {
  if (!(dtype instanceof NumpyDtype)) throw new Error('numpy scalar without a dtype');
  const t = dtype.type;
  if (!t || t.dtype === 'object') throw new Error(`numpy scalar of unsupported dtype ${dtype.typestr}`);
  const raw = rawFromBytes(t.dtype, [], toBytes(data), { bigEndian: t.bigEndian });
  const v = raw.data[0]!;
  if (t.dtype === 'bool') return v !== 0;
  if (t.dtype === 'float16') return float16BitsToNumber(v as number);
  if (t.dtype === 'bfloat16') return new Float32Array(new Uint32Array([(v as number) << 16]).buffer)[0];
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  return v;
}

/** Allow-list entries for numpy (both the numpy 1 `numpy.core` and numpy 2 `numpy._core` spellings). */
export const resolveNumpyGlobal: GlobalResolver = (module, name) => {
  const g = (behaviour: ConstructorParameters<typeof PyGlobal>[2]): PyGlobal => new PyGlobal(module, name, behaviour);
  const multiarray = module === 'numpy.core.multiarray' || module === 'numpy._core.multiarray';
  if (module === 'numpy' && name === 'ndarray') return g({});
  if (module === 'numpy' && name === 'dtype') {
    return g({
      call: (args) => {
        const [typestr] = args;
        if (typeof typestr !== 'string') throw new Error('numpy.dtype needs a type string');
        return new NumpyDtype(typestr);
      },
    });
  }
  if (multiarray && name === '_reconstruct') {
    return g({
      call: (args) => {
        const [subtype] = args;
        if (!(subtype instanceof PyGlobal) || subtype.name !== 'ndarray') {
          throw new Error(`_reconstruct of ${subtype instanceof PyGlobal ? subtype.qualifiedName : 'a non-class'}; only numpy.ndarray is supported`);
        }
        return new NumpyArray();
      },
    });
  }
  if (multiarray && name === 'scalar') return g({ call: (args) => scalarValue(args[0], args[1]) });
  if ((module === 'numpy.core.numeric' || module === 'numpy._core.numeric') && name === '_frombuffer') {
    return g({
      call: (args) => {
        const [data, dtype, shape, order] = args;
        const arr = new NumpyArray();
        arr[SET_STATE]([shape, dtype, order === 'F', toBytes(data)]);
        return arr;
      },
    });
  }
  return undefined;
};

/** Fortran-order (column-major) strides, in elements, for `shape`. */
export function fortranStrides(shape: readonly number[]): number[] {
  const strides: number[] = [];
  let s = 1;
  for (const d of shape) {
    strides.push(s);
    s *= d;
  }
  return strides;
}

/** Row-major RawTensor from array bytes, honouring byte order and Fortran order. */
export function numpyBytesToRaw(type: NumpyType & { dtype: RawDtype }, shape: number[], bytes: Uint8Array, fortran: boolean): RawTensor {
  if (!fortran || shape.length < 2) return rawFromBytes(type.dtype, shape, bytes, { bigEndian: type.bigEndian });
  const itemSize = dtypeItemSize(type.dtype);
  const numel = shapeNumel(shape);
  if (bytes.length !== numel * itemSize) return rawFromBytes(type.dtype, shape, bytes); // throws the size error
  const rowMajor = gatherStrided(bytes, itemSize, 0, shape, fortranStrides(shape));
  return rawFromBytes(type.dtype, shape, rowMajor, { bigEndian: type.bigEndian });
}

function arrayToJs(arr: NumpyArray, fileName: string, convert: (v: unknown) => unknown): unknown {
  const bad = (problem: string): FacenetError => new FacenetError('BAD_FILE', `${fileName}: ${problem}`);
  const t = arr.dtype?.type;
  if (!arr.dtype || arr.raw === undefined) throw bad('a pickled numpy array has no state (missing BUILD)');
  if (!t) throw bad(`a numpy array has dtype ${arr.dtype.typestr}, which is not supported`);
  const numel = shapeNumel(arr.shape);
  if (t.dtype === 'object') {
    if (!Array.isArray(arr.raw) || arr.raw.length !== numel) {
      throw bad(`a numpy object array of shape (${arr.shape.join(', ')}) holds ${Array.isArray(arr.raw) ? arr.raw.length : 'no'} items`);
    }
    const items = arr.raw.map(convert);
    if (arr.shape.length === 0) return items[0];
    // Nest row-major (object arrays are pickled in C order whatever their flags say).
    const nest = (dim: number, offset: number): unknown[] => {
      const n = arr.shape[dim]!;
      if (dim === arr.shape.length - 1) return items.slice(offset, offset + n);
      const stride = shapeNumel(arr.shape.slice(dim + 1));
      return Array.from({ length: n }, (_, i) => nest(dim + 1, offset + i * stride));
    };
    return nest(0, 0);
  }
  if (!(arr.raw instanceof Uint8Array)) throw bad('a numeric numpy array holds a list instead of bytes');
  const need = numel * dtypeItemSize(t.dtype);
  if (arr.raw.length !== need) {
    throw bad(`a numpy ${arr.dtype.typestr} array of shape (${arr.shape.join(', ')}) needs ${need} bytes but holds ${arr.raw.length}`);
  }
  return numpyBytesToRaw({ dtype: t.dtype, bigEndian: t.bigEndian }, arr.shape, arr.raw, arr.fortran);
}

function defineValue(obj: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not assignment: a key named "__proto__" must stay a plain key.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Converts an unpickled value to plain JS: ndarrays -> RawTensor (object arrays -> their items),
 * dicts with only string keys -> objects (others stay Maps), tuples/lists -> arrays.
 * Shared references stay shared and cycles are preserved.
 */
export function numpyToJs(value: unknown, fileName: string): unknown {
  const seen = new Map<unknown, unknown>();
  let depth = 0;
  const convert = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null || v instanceof Uint8Array || v instanceof PyGlobal) return v;
    if (seen.has(v)) return seen.get(v);
    if (++depth > 10_000) throw new FacenetError('BAD_FILE', `${fileName}: the pickled value is nested too deeply`);
    try {
      if (v instanceof NumpyArray) {
        const out = arrayToJs(v, fileName, convert);
        seen.set(v, out);
        return out;
      }
      if (v instanceof NumpyDtype) return v.typestr;
      if (Array.isArray(v)) {
        const out: unknown[] = [];
        seen.set(v, out);
        for (const it of v) out.push(convert(it));
        return out;
      }
      if (v instanceof Map) {
        if ([...v.keys()].every((k) => typeof k === 'string')) {
          const out: Record<string, unknown> = {};
          seen.set(v, out);
          for (const [k, it] of v) defineValue(out, k as string, convert(it));
          return out;
        }
        const out = new Map<unknown, unknown>();
        seen.set(v, out);
        for (const [k, it] of v) out.set(convert(k), convert(it));
        return out;
      }
      if (v instanceof Set) {
        const out = new Set<unknown>();
        seen.set(v, out);
        for (const it of v) out.add(convert(it));
        return out;
      }
      return v;
    } finally {
      depth--;
    }
  };
  return convert(value);
}

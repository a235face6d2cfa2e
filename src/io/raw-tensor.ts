/**
 * RawTensor: the plain, tensor-library-free form in which every weight reader in src/io hands back
 * its data. Readers never return views into the file buffer: each tensor owns a fresh, correctly
 * aligned, row-major contiguous copy, so callers may keep it after the file buffer is gone and may
 * hand it to native code that expects aligned memory.
 */

import { FacenetError } from '../errors.js';

export type RawDtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

export type RawData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | BigInt64Array
  | Uint16Array;

export interface RawTensor {
  dtype: RawDtype;
  shape: number[];
  /** float16/bfloat16 hold raw bits (Uint16Array); int64 is a BigInt64Array; bool is a Uint8Array of 0/1. */
  data: RawData;
}

const ITEM_SIZE: Readonly<Record<RawDtype, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export const RAW_DTYPES: readonly RawDtype[] = Object.keys(ITEM_SIZE) as RawDtype[];

export function isRawDtype(value: unknown): value is RawDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ITEM_SIZE, value);
}

/** Bytes per element of a dtype. */
export function dtypeItemSize(dtype: RawDtype): number {
  return ITEM_SIZE[dtype];
}

/** Number of elements of a shape; the empty shape is a scalar (1 element). */
export function shapeNumel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A typed array of the right class for `dtype`, viewing `byteLength / itemsize` elements of `buffer`. */
export function typedArrayFor(dtype: RawDtype, buffer: ArrayBuffer, byteOffset = 0, length?: number): RawData {
  const len = length ?? (buffer.byteLength - byteOffset) / ITEM_SIZE[dtype];
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, len);
    case 'float64':
      return new Float64Array(buffer, byteOffset, len);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer, byteOffset, len);
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, len);
    case 'int32':
      return new Int32Array(buffer, byteOffset, len);
    case 'int16':
      return new Int16Array(buffer, byteOffset, len);
    case 'int8':
      return new Int8Array(buffer, byteOffset, len);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, byteOffset, len);
  }
}

/** The typed-array class a RawTensor of `dtype` must carry (used to validate tensors handed to writers). */
function expectedArrayName(dtype: RawDtype): string {
  switch (dtype) {
    case 'float32':
      return 'Float32Array';
    case 'float64':
      return 'Float64Array';
    case 'float16':
    case 'bfloat16':
      return 'Uint16Array';
    case 'int64':
      return 'BigInt64Array';
    case 'int32':
      return 'Int32Array';
    case 'int16':
      return 'Int16Array';
    case 'int8':
      return 'Int8Array';
    case 'uint8':
    case 'bool':
      return 'Uint8Array';
  }
}

/** Throws BAD_ARGUMENT unless `raw` is internally consistent (dtype, array class, shape, length). */
export function checkRawTensor(raw: RawTensor, what: string): void {
  if (!isRawDtype(raw.dtype)) {
    throw new FacenetError('BAD_ARGUMENT', `${what}: unknown dtype ${String(raw.dtype)}`);
  }
  if (!Array.isArray(raw.shape) || !raw.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FacenetError('BAD_ARGUMENT', `${what}: shape must be an array of non-negative integers, got ${JSON.stringify(raw.shape)}`);
  }
  const expected = expectedArrayName(raw.dtype);
  if (raw.data?.constructor?.name !== expected) {
    throw new FacenetError('BAD_ARGUMENT', `${what}: dtype ${raw.dtype} needs its data in a ${expected}, got ${raw.data?.constructor?.name ?? typeof raw.data}`);
  }
  const numel = shapeNumel(raw.shape);
  if (raw.data.length !== numel) {
    throw new FacenetError('BAD_ARGUMENT', `${what}: shape [${raw.shape.join(', ')}] has ${numel} elements but the data has ${raw.data.length}`);
  }
}

/** Reverses the byte order of every `itemSize`-byte element of `bytes`, in place. */
export function swapBytesInPlace(bytes: Uint8Array, itemSize: number): void {
  if (itemSize === 1) return;
  for (let i = 0; i + itemSize <= bytes.length; i += itemSize) {
    for (let a = i, b = i + itemSize - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Builds a RawTensor from little-endian (or, with bigEndian, big-endian) contiguous bytes. The bytes
 * are copied into a fresh ArrayBuffer, which also fixes alignment: file buffers put tensors at any
 * byte offset, and typed arrays need offsets that are multiples of the item size.
 */
export function rawFromBytes(
  dtype: RawDtype,
  shape: readonly number[],
  bytes: Uint8Array,
  options: { bigEndian?: boolean } = {},
): RawTensor {
  const itemSize = ITEM_SIZE[dtype];
  const numel = shapeNumel(shape);
  if (bytes.length !== numel * itemSize) {
    throw new FacenetError(
      'BAD_ARGUMENT',
      `rawFromBytes: shape [${shape.join(', ')}] of ${dtype} needs ${numel * itemSize} bytes, got ${bytes.length}`,
    );
  }
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  if (options.bigEndian) swapBytesInPlace(out, itemSize);
  if (dtype === 'bool') {
    // Any non-zero byte is True for numpy and torch; normalise so consumers can rely on 0/1.
    for (let i = 0; i < out.length; i++) if (out[i] !== 0) out[i] = 1;
  }
  return { dtype, shape: [...shape], data: typedArrayFor(dtype, out.buffer, 0, numel) };
}

/** The tensor's bytes in little-endian order (a view when possible, no copy). */
export function rawToBytes(raw: RawTensor): Uint8Array {
  return new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
}

/**
 * Copies a strided view of `src` (elements of `itemSize` bytes, starting at element `offset`) into a
 * fresh contiguous row-major byte array. This is how torch tensors that are views (storage offset,
 * transposed strides, expanded dimensions) become plain arrays.
 */
export function gatherStrided(
  src: Uint8Array,
  itemSize: number,
  offset: number,
  shape: readonly number[],
  strides: readonly number[],
): Uint8Array<ArrayBuffer> {
  const numel = shapeNumel(shape);
  const out = new Uint8Array(numel * itemSize);
  if (numel === 0) return out;
  const nd = shape.length;
  // Fast path: a contiguous block is one copy.
  let expected = 1;
  let contiguous = true;
  for (let d = nd - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expected) {
      contiguous = false;
      break;
    }
    expected *= shape[d]!;
  }
  if (contiguous) {
    out.set(src.subarray(offset * itemSize, (offset + numel) * itemSize));
    return out;
  }
  // General case: walk the index odometer over all but the last dimension and copy the innermost run
  // element by element (or as one block when the innermost stride is 1).
  const inner = nd === 0 ? 1 : shape[nd - 1]!;
  const innerStride = nd === 0 ? 1 : strides[nd - 1]!;
  const idx = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  let base = offset;
  let o = 0;
  const rows = numel / inner;
  for (let r = 0; r < rows; r++) {
    if (innerStride === 1) {
      out.set(src.subarray(base * itemSize, (base + inner) * itemSize), o);
      o += inner * itemSize;
    } else {
      for (let i = 0, e = base; i < inner; i++, e += innerStride) {
        const s = e * itemSize;
        for (let b = 0; b < itemSize; b++) out[o++] = src[s + b]!;
      }
    }
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= idx[d]! * strides[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Decodes IEEE 754 half-precision bits to a number. */
export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Converts any RawTensor's data to a new Float32Array (float16/bfloat16 decoded, int64 via Number). */
export function toFloat32(raw: RawTensor): Float32Array {
  const { data } = raw;
  const n = data.length;
  switch (raw.dtype) {
    case 'float16': {
      const bits = data as Uint16Array;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float16BitsToNumber(bits[i]!);
      return out;
    }
    case 'bfloat16': {
      // bfloat16 is the top half of a float32, so shifting the bits up is an exact decode.
      const bits = data as Uint16Array;
      const out = new Float32Array(n);
      const outBits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) outBits[i] = bits[i]! << 16;
      return out;
    }
    case 'int64': {
      const src = data as BigInt64Array;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(src[i]!);
      return out;
    }
    default:
      return Float32Array.from(data as Exclude<RawData, BigInt64Array>);
  }
}

import type { NativeDtype } from './native.js';

export type Dtype = NativeDtype;

export const FLOAT_DTYPES: ReadonlySet<Dtype> = new Set(['float32', 'float64', 'float16', 'bfloat16']);

export type TypedArrayFor<D extends Dtype> = D extends 'float32' | 'float16' | 'bfloat16'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int64'
      ? BigInt64Array
      : D extends 'int32'
        ? Int32Array
        : D extends 'int16'
          ? Int16Array
          : D extends 'int8'
            ? Int8Array
            : Uint8Array;

/** The dtype that a typed array holds, when it determines one. */
export function dtypeOfArray(a: ArrayBufferView): Dtype | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array) return 'uint8';
  return undefined;
}

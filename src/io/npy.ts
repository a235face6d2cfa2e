/**
 * numpy .npy files: plain arrays (versions 1.0, 2.0 and 3.0 of the format; little- and big-endian;
 * C and Fortran order) and object arrays, whose payload is a pickle of the array. facenet's MTCNN
 * weights (det1/2/3.npy) are such object arrays: np.save of a dict layer -> {weights, biases, alpha}.
 *
 * Format: "\x93NUMPY", major, minor, header length (u16 for 1.x, u32 for 2.x/3.x), then a Python dict
 * literal {'descr': ..., 'fortran_order': ..., 'shape': (...)} padded with spaces and a newline, then
 * the data.
 */

import { FacenetError } from '../errors.js';
import { readWholeFile, writeFileAtomic } from './fs-util.js';
import { numpyBytesToRaw, numpyToJs, parseNumpyTypestr, resolveNumpyGlobal, type NumpyType } from './numpy-pickle.js';
import { chainResolvers, resolveBuiltinGlobal, unpickle } from './pickle.js';
import { checkRawTensor, dtypeItemSize, rawToBytes, shapeNumel, type RawDtype, type RawTensor } from './raw-tensor.js';

export interface NpyHeader {
  version: [number, number];
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Offset of the first data byte. */
  dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Parses the Python literal of an .npy header: dicts, tuples, lists, strings, ints, True/False/None.
 * A hand-written parser, because the header is Python syntax, not JSON (and must never be eval'ed).
 */
const SCALAR = /-?\d+L?|True|False|None/y;
// numpy's own loader refuses headers above 10 kB for safety; 1 MB leaves room and still bounds the work.
const MAX_HEADER_BYTES = 1 << 20;

function parsePythonLiteral(text: string): unknown {
  let i = 0;
  const fail = (what: string): Error => new Error(`${what} at character ${i}`);
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (depth: number): unknown => {
    if (depth > 32) throw fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      i++;
      const items: unknown[] = [];
      const dict = new Map<unknown, unknown>();
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          break;
        }
        const item = value(depth + 1);
        ws();
        if (c === '{') {
          if (text[i] !== ':') throw fail("expected ':'");
          i++;
          dict.set(item, value(depth + 1));
          ws();
        } else {
          items.push(item);
        }
        if (text[i] === ',') i++;
        else if (text[i] !== close) throw fail(`expected ',' or '${close}'`);
      }
      return c === '{' ? dict : items;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    SCALAR.lastIndex = i;
    const m = SCALAR.exec(text);
    if (!m) throw fail('unexpected input');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace('L', ''));
  };
  const v = value(0);
  ws();
  if (i !== text.length) throw fail('trailing characters');
  return v;
}

/** Parses and validates the header of an .npy file. */
export function parseNpyHeader(buf: Uint8Array, nameForErrors: string): NpyHeader {
  const bad = (problem: string): FacenetError => new FacenetError('BAD_FILE', `${nameForErrors}: not a valid .npy file: ${problem}`);
  if (buf.length < 10 || !MAGIC.every((b, k) => buf[k] === b)) throw bad('it does not start with \\x93NUMPY');
  const major = buf[6]!;
  const minor = buf[7]!;
  if (major < 1 || major > 3) throw bad(`unsupported format version ${major}.${minor}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = view.getUint16(8, true);
  } else {
    if (buf.length < 12) throw bad('the header is truncated');
    headerStart = 12;
    headerLen = view.getUint32(8, true);
  }
  if (headerLen > MAX_HEADER_BYTES) throw bad(`the header length (${headerLen}) is implausibly large`);
  const dataOffset = headerStart + headerLen;
  if (dataOffset > buf.length) throw bad(`the header length (${headerLen}) runs past the end of the file (${buf.length} bytes)`);
  const headerBytes = buf.subarray(headerStart, dataOffset);
  let text: string;
  try {
    text = major === 3 ? new TextDecoder('utf-8', { fatal: true }).decode(headerBytes) : Buffer.from(headerBytes).toString('latin1');
  } catch {
    throw bad('the header is not valid UTF-8');
  }
  let dict: unknown;
  try {
    dict = parsePythonLiteral(text);
  } catch (err) {
    throw bad(`the header ${JSON.stringify(text.trim().slice(0, 200))} does not parse (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!(dict instanceof Map)) throw bad('the header is not a dict');
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof descr !== 'string') throw bad(`unsupported descr ${JSON.stringify(descr ?? null)} (structured arrays are not supported)`);
  if (typeof fortran !== 'boolean') throw bad("the header has no boolean 'fortran_order'");
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad("the header has no valid 'shape' tuple");
  return { version: [major, minor], descr, fortranOrder: fortran, shape: shape as number[], dataOffset };
}

function elementType(header: NpyHeader, bad: (p: string) => FacenetError): NumpyType {
  const t = parseNumpyTypestr(header.descr);
  if (!t) throw bad(`dtype ${header.descr} is not supported (supported: f2 f4 f8 i1 i2 i4 i8 u1 b1, and O object arrays)`);
  return t;
}

/** Parses .npy bytes holding a plain numeric array. */
export function parseNpy(buf: Uint8Array, nameForErrors: string): RawTensor {
  const bad = (problem: string): FacenetError => new FacenetError('BAD_FILE', `${nameForErrors}: ${problem}`);
  const header = parseNpyHeader(buf, nameForErrors);
  const type = elementType(header, bad);
  if (type.dtype === 'object') throw bad('holds Python objects (dtype object); read it with readNpyObject');
  const need = shapeNumel(header.shape) * dtypeItemSize(type.dtype);
  const have = buf.length - header.dataOffset;
  if (have !== need) {
    throw bad(`shape (${header.shape.join(', ')}) of ${header.descr} needs ${need} data bytes but the file has ${have}${have < need ? ' (truncated?)' : ''}`);
  }
  return numpyBytesToRaw({ dtype: type.dtype, bigEndian: type.bigEndian }, header.shape, buf.subarray(header.dataOffset), header.fortranOrder);
}

/**
 * Parses .npy bytes of any supported kind to a JS value: a plain array gives its RawTensor; an object
 * array gives its unpickled content (0-d: the single object; otherwise nested arrays), where every
 * ndarray inside becomes a RawTensor and dicts with string keys become plain objects.
 */
export function parseNpyObject(buf: Uint8Array, nameForErrors: string): unknown {
  const bad = (problem: string): FacenetError => new FacenetError('BAD_FILE', `${nameForErrors}: ${problem}`);
  const header = parseNpyHeader(buf, nameForErrors);
  const type = elementType(header, bad);
  if (type.dtype !== 'object') return parseNpy(buf, nameForErrors);
  const { value } = unpickle(buf, {
    fileName: nameForErrors,
    resolveGlobal: chainResolvers(resolveBuiltinGlobal, resolveNumpyGlobal),
    offset: header.dataOffset,
  });
  return numpyToJs(value, nameForErrors);
}

export async function readNpy(path: string): Promise<RawTensor> {
  return parseNpy(await readWholeFile(path), path);
}

export async function readNpyObject(path: string): Promise<unknown> {
  return parseNpyObject(await readWholeFile(path), path);
}

const DESCR: Readonly<Record<Exclude<RawDtype, 'bfloat16'>, string>> = {
  float32: '<f4',
  float64: '<f8',
  float16: '<f2',
  int64: '<i8',
  int32: '<i4',
  int16: '<i2',
  int8: '|i1',
  uint8: '|u1',
  bool: '|b1',
};

/** Serialises a RawTensor as .npy bytes (format 1.0, or 2.0 if the header needs it), C order. */
export function encodeNpy(raw: RawTensor): Uint8Array[] {
  checkRawTensor(raw, 'writeNpy');
  if (raw.dtype === 'bfloat16') throw new FacenetError('BAD_ARGUMENT', 'writeNpy: numpy has no bfloat16 dtype; convert to float32 first');
  const shape = raw.shape.length === 1 ? `(${raw.shape[0]},)` : `(${raw.shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[raw.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // numpy pads so that the data starts on a 64-byte boundary; the header ends with a newline.
  let prefixLen = 10;
  let major = 1;
  let total = Math.ceil((prefixLen + dict.length + 1) / 64) * 64;
  if (total - prefixLen > 0xffff) {
    prefixLen = 12;
    major = 2;
    total = Math.ceil((prefixLen + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - prefixLen;
  const head = Buffer.alloc(total, 0x20);
  Buffer.from(MAGIC).copy(head, 0);
  head[6] = major;
  head[7] = 0;
  if (major === 1) head.writeUInt16LE(headerLen, 8);
  else head.writeUInt32LE(headerLen, 8);
  head.write(dict, prefixLen, 'latin1');
  head[total - 1] = 0x0a;
  return [head, rawToBytes(raw)];
}

/** Writes a RawTensor as an .npy file, atomically (temp file + rename). */
export async function writeNpy(path: string, raw: RawTensor): Promise<void> {
  await writeFileAtomic(path, encodeNpy(raw));
}

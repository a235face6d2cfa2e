/**
 * Reader and writer for the Hugging Face safetensors format: an 8-byte little-endian header length,
 * a JSON header { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {str: str} },
 * then the raw little-endian tensor bytes. Offsets are relative to the end of the header.
 *
 * The reader trusts nothing in the header: every rule the reference implementation enforces
 * (sizes, bounds, no overlap, no holes) is checked, so a corrupt or hostile file fails with BAD_FILE
 * instead of producing wrong tensors.
 */

import { FacenetError } from '../errors.js';
import { readWholeFile, writeFileAtomic } from './fs-util.js';
import { TENSOR_DIGESTS_KEY, verifyTensorDigests } from './tensor-integrity.js';
import { checkRawTensor, dtypeItemSize, rawFromBytes, rawToBytes, shapeNumel, type RawDtype, type RawTensor } from './raw-tensor.js';

export interface SafetensorsContent {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

const CODE_TO_DTYPE: Readonly<Record<string, RawDtype>> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

const DTYPE_TO_CODE: Readonly<Record<RawDtype, string>> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

// The reference implementation refuses headers above 100 MB; a larger one is a corrupt length field.
const MAX_HEADER_BYTES = 100_000_000;

export async function readSafetensors(path: string): Promise<SafetensorsContent> {
  return parseSafetensors(await readWholeFile(path), path);
}

export function parseSafetensors(buf: Uint8Array, nameForErrors: string): SafetensorsContent {
  const bad = (problem: string): FacenetError =>
    new FacenetError('BAD_FILE', `${nameForErrors}: not a valid safetensors file: ${problem}`);

  if (buf.length < 8) throw bad(`the file has ${buf.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(buf.length - 8)) {
    throw bad(`the header length field says ${headerLen} bytes but only ${buf.length - 8} bytes follow it`);
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) throw bad(`the header length ${headerLen} is above the 100 MB limit`);
  const hlen = Number(headerLen);
  if (hlen < 2 || buf[8] !== 0x7b /* '{' */) throw bad('the header is not a JSON object');

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + hlen)));
  } catch (err) {
    throw bad(`the header is not valid UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('the header is not a JSON object');

  const dataStart = 8 + hlen;
  const dataLen = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: RawDtype; shape: number[]; begin: number; end: number }[] = [];

  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`__metadata__ value for "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) throw bad(`entry "${name}" is not an object`);
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof info.dtype === 'string' ? CODE_TO_DTYPE[info.dtype] : undefined;
    if (!dtype) throw bad(`tensor "${name}" has unsupported dtype ${JSON.stringify(info.dtype)}`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d): d is number => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offs = info.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o): o is number => Number.isSafeInteger(o) && o >= 0)
    ) {
      throw bad(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) throw bad(`tensor "${name}" has data_offsets [${begin}, ${end}] that end before they begin`);
    if (end > dataLen) {
      throw bad(`tensor "${name}" has data_offsets [${begin}, ${end}] beyond the ${dataLen} data bytes in the file (truncated?)`);
    }
    const expected = shapeNumel(shape) * dtypeItemSize(dtype);
    if (end - begin !== expected) {
      throw bad(
        `tensor "${name}" (${info.dtype} [${shape.join(', ')}]) needs ${expected} bytes but its data_offsets span ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape, begin, end });
  }

  // Tensors must tile the data section exactly: an overlap means two tensors alias the same bytes,
  // and a hole or trailing bytes mean the header does not describe the file.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin < cursor) throw bad(`tensor "${e.name}" overlaps the data of another tensor (offset ${e.begin} < ${cursor})`);
    if (e.begin > cursor) throw bad(`the data section has unused bytes ${cursor}..${e.begin} before tensor "${e.name}"`);
    cursor = e.end;
  }
  if (cursor !== dataLen) throw bad(`the tensors cover ${cursor} data bytes but the file has ${dataLen}`);

  const tensors = new Map<string, RawTensor>();
  for (const e of entries) {
    tensors.set(e.name, rawFromBytes(e.dtype, e.shape, buf.subarray(dataStart + e.begin, dataStart + e.end)));
  }
  // Files this project writes record a sha256 per tensor (tensor-integrity.ts); others do not.
  const digests = metadata[TENSOR_DIGESTS_KEY];
  if (digests !== undefined) verifyTensorDigests(tensors, digests, nameForErrors);
  return { tensors, metadata };
}

/** Serialises tensors (and string metadata) to safetensors bytes, as a list of chunks. */
export function encodeSafetensors(
  tensors: Map<string, RawTensor> | Record<string, RawTensor>,
  metadata?: Record<string, string>,
): Uint8Array[] {
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, raw] of list) {
    if (name === '__metadata__') throw new FacenetError('BAD_ARGUMENT', 'writeSafetensors: "__metadata__" is reserved and cannot name a tensor');
    checkRawTensor(raw, `writeSafetensors: tensor "${name}"`);
  }
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new FacenetError('BAD_ARGUMENT', `writeSafetensors: metadata "${k}" must be a string`);
    }
  }
  // Larger items first, so every tensor starts at a multiple of its item size (the data section itself
  // starts 8-byte aligned); this is the order the reference writer uses too.
  list.sort(([an, a], [bn, b]) => dtypeItemSize(b.dtype) - dtypeItemSize(a.dtype) || (an < bn ? -1 : an > bn ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const [name, raw] of list) {
    const bytes = raw.data.byteLength;
    header[name] = { dtype: DTYPE_TO_CODE[raw.dtype], shape: raw.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const lenBytes = Buffer.alloc(8);
  lenBytes.writeBigUInt64LE(BigInt(headerBytes.length));
  return [lenBytes, headerBytes, ...list.map(([, raw]) => rawToBytes(raw))];
}

/** Writes a safetensors file atomically (temp file + rename). */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, RawTensor> | Record<string, RawTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

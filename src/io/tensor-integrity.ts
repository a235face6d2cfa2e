/**
 * Integrity of stored tensors: a sha256 per tensor blob (recorded in the files this project writes,
 * checked when they are read, so flipped bytes fail loudly instead of resuming silently), and the
 * check that float weights are finite (a model or checkpoint holding NaN/Inf is the trace of a run
 * that diverged, and would turn every embedding into NaN).
 */
import { createHash } from 'node:crypto';
import { FacenetError } from '../errors.js';
import { rawToBytes, type RawTensor } from './raw-tensor.js';

/** Metadata key under which writers store the per-tensor digests (a JSON object name -> hex). */
export const TENSOR_DIGESTS_KEY = 'tensorSha256';

export function tensorDigest(raw: RawTensor): string {
  return createHash('sha256').update(rawToBytes(raw)).digest('hex');
}

/** The digests of every tensor, as the JSON string to store under TENSOR_DIGESTS_KEY. */
export function tensorDigests(tensors: ReadonlyMap<string, RawTensor>): string {
  const out: Record<string, string> = {};
  for (const [name, raw] of tensors) out[name] = tensorDigest(raw);
  return JSON.stringify(out);
}

/** Throws BAD_FILE naming the first tensor whose bytes do not match the recorded digest. */
export function verifyTensorDigests(tensors: ReadonlyMap<string, RawTensor>, recorded: string, file: string): void {
  let digests: Record<string, unknown>;
  try {
    digests = JSON.parse(recorded) as Record<string, unknown>;
  } catch {
    throw new FacenetError('BAD_FILE', `${file}: the recorded tensor checksums (${TENSOR_DIGESTS_KEY}) are not valid JSON; the file is damaged`);
  }
  if (typeof digests !== 'object' || digests === null) throw new FacenetError('BAD_FILE', `${file}: the recorded tensor checksums are not an object; the file is damaged`);
  for (const [name, raw] of tensors) {
    const want = digests[name];
    if (typeof want !== 'string') throw new FacenetError('BAD_FILE', `${file}: tensor "${name}" has no recorded checksum; the file is damaged or was edited`);
    if (tensorDigest(raw) !== want) {
      throw new FacenetError('BAD_FILE', `${file}: the data of tensor "${name}" does not match its sha256 checksum: the file is corrupt (disk or copy error); restore it or use an earlier checkpoint`);
    }
  }
  for (const name of Object.keys(digests)) {
    if (!tensors.has(name)) throw new FacenetError('BAD_FILE', `${file}: tensor "${name}" is recorded but missing; the file is damaged`);
  }
}

/** Index and value of the first non-finite element of a float32/float64 tensor, or null. */
export function firstNonFinite(raw: RawTensor): { index: number; value: number; count: number } | null {
  if (raw.dtype !== 'float32' && raw.dtype !== 'float64') return null; // half types are checked after conversion
  const data = raw.data as Float32Array | Float64Array;
  let first = -1;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) {
      // NaN - NaN and Inf - Inf are NaN; every finite v gives 0
      if (first < 0) first = i;
      count++;
    }
  }
  return first < 0 ? null : { index: first, value: data[first]!, count };
}

/** Throws NON_FINITE when any float tensor holds NaN or Inf, naming the tensor and the likely cause. */
export function assertFiniteTensors(tensors: ReadonlyMap<string, RawTensor>, source: string): void {
  for (const [name, raw] of tensors) {
    const bad = firstNonFinite(raw);
    if (!bad) continue;
    throw new FacenetError(
      'NON_FINITE',
      `${source}: weight "${name}" holds ${bad.count} non-finite value(s) (first: ${bad.value} at index ${bad.index}); ` +
        'a model like this gives NaN embeddings. It usually comes from a training run that diverged: use a checkpoint from before, ' +
        'or train again with a lower --learning-rate',
    );
  }
}

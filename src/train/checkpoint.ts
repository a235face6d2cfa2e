/**
 * Checkpoints of a run folder: checkpoint.safetensors (weights, EMA weights, center-loss centers,
 * sampler state tensors; the resolved config, model config and loop state as JSON metadata) and
 * optimizer-state.bin (the optimiser's own serialisation).
 *
 * Writing never endangers the previous checkpoint: both files are written in full to temporary
 * names and flushed first; only then are they renamed over the old ones. The checkpoint records the
 * sha256 of its optimiser state, and the previous optimiser state is kept as
 * optimizer-state.prev.bin until the new checkpoint is in place, so a crash between the two renames
 * still leaves a matching pair.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { encodeSafetensors, readSafetensors } from '../io/safetensors.js';
import type { RawTensor } from '../io/raw-tensor.js';
import { FacenetError } from '../errors.js';
import { syncDir, tempPathFor, writeFileSynced } from '../io/fs-util.js';
import { assertFiniteTensors, tensorDigests, TENSOR_DIGESTS_KEY } from '../io/tensor-integrity.js';

export const CHECKPOINT_FORMAT = 'facenet-ts-checkpoint/1';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const OPTIMIZER_FILE = 'optimizer-state.bin';
const OPTIMIZER_PREV = 'optimizer-state.prev.bin';

export interface CheckpointData {
  tensors: Map<string, RawTensor>;
  /** JSON-serialisable records saved as metadata (config, modelConfig, state, ...). */
  records: Record<string, unknown>;
  optimizerState: Buffer;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Writes both files of a checkpoint into runDir; on failure the previous checkpoint is untouched. */
export async function writeCheckpoint(runDir: string, data: CheckpointData): Promise<string> {
  const file = path.join(runDir, CHECKPOINT_FILE);
  const optFile = path.join(runDir, OPTIMIZER_FILE);
  const tmp = tempPathFor(file);
  const optTmp = tempPathFor(optFile);
  // A diverged state is never written: the previous (finite) checkpoint stays the one to resume from.
  assertFiniteTensors(data.tensors, `refusing to write checkpoint ${file}`);
  const metadata: Record<string, string> = { format: CHECKPOINT_FORMAT, optimizerSha256: sha256(data.optimizerState), [TENSOR_DIGESTS_KEY]: tensorDigests(data.tensors) };
  for (const [k, v] of Object.entries(data.records)) metadata[k] = JSON.stringify(v);
  try {
    // Two files, renamed in an order that a crash at any point leaves a consistent pair, so not
    // writeFileAtomic; the same temp names and fsyncs.
    await writeFileSynced(optTmp, data.optimizerState);
    await writeFileSynced(tmp, encodeSafetensors(data.tensors, metadata));
    // Until this rename nothing of the previous checkpoint has changed.
    if (existsSync(optFile)) await rename(optFile, path.join(runDir, OPTIMIZER_PREV));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    await unlink(optTmp).catch(() => undefined);
    throw new FacenetError('BAD_FILE', `could not write checkpoint ${file}: ${(err as Error).message}; the previous checkpoint is intact`, { cause: err });
  }
  await rename(optTmp, optFile);
  await rename(tmp, file);
  await unlink(path.join(runDir, OPTIMIZER_PREV)).catch(() => undefined);
  await syncDir(runDir);
  return file;
}

/** Reads a run folder's checkpoint and the optimiser state that belongs to it. */
export async function readCheckpoint(runDir: string): Promise<CheckpointData> {
  const file = path.join(runDir, CHECKPOINT_FILE);
  if (!existsSync(file)) {
    throw new FacenetError('NOT_FOUND', `no checkpoint to resume from: ${file} does not exist (is ${runDir} a training run folder?)`);
  }
  const { tensors, metadata } = await readSafetensors(file);
  if (metadata['format'] !== CHECKPOINT_FORMAT) throw new FacenetError('BAD_FILE', `${file} is not a training checkpoint (format '${metadata['format']}')`);
  const records: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (k === 'format' || k === 'optimizerSha256' || k === TENSOR_DIGESTS_KEY) continue;
    try {
      records[k] = JSON.parse(v);
    } catch {
      throw new FacenetError('BAD_FILE', `${file}: metadata '${k}' is not valid JSON`);
    }
  }
  assertFiniteTensors(tensors, file);
  const want = metadata['optimizerSha256'];
  for (const name of [OPTIMIZER_FILE, OPTIMIZER_PREV]) {
    const candidate = path.join(runDir, name);
    if (!existsSync(candidate)) continue;
    const bytes = await readFile(candidate);
    if (sha256(bytes) === want) return { tensors, records, optimizerState: bytes };
  }
  throw new FacenetError('BAD_FILE', `${path.join(runDir, OPTIMIZER_FILE)} is missing or does not belong to ${file} (sha256 mismatch); the run cannot be resumed exactly`);
}

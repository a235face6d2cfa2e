/**
 * `facenet embed`'s output: a float32 [N, D] .npy and its JSON sidecar (E.npy -> E.json) naming
 * the image of each row. The two are written as a pair: both go to temporary files first (fsynced),
 * and only when both are complete are they renamed into place, the .npy first; the sidecar records
 * the sha256 of the .npy's bytes, so a reader can tell a matching pair from a half-replaced one (a
 * crash between the two renames). A failed write leaves the previous pair untouched and no
 * temporary file behind.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { encodeNpy, parseNpy } from '../io/npy.js';
import { syncDir, tempPathFor, writeFileSynced } from '../io/fs-util.js';
import { fsError } from '../io/fs-errors.js';
import { toFloat32 } from '../io/raw-tensor.js';
import { FacenetError } from '../errors.js';

export const EMBEDDINGS_FORMAT = 'facenet-embeddings/1';

/** What the writer is given; the sidecar adds format, rows and npySha256. */
export interface EmbeddingsInfo {
  model: string;
  dim: number;
  /** Absolute path of the image of each row. */
  images: string[];
  failures: { file: string; reason: string }[];
  /** The model's configuration and the embedding settings, for the record. */
  config?: unknown;
  flip?: string;
  fit?: string;
  /** Compute precision of the embeddings ('fp32' or 'bf16'; float32 rows either way). */
  precision?: string;
}

export interface EmbeddingsSidecar extends EmbeddingsInfo {
  format: typeof EMBEDDINGS_FORMAT;
  rows: number;
  /** sha256 of the .npy file's bytes. */
  npySha256: string;
}

/** The sidecar of an embeddings file: E.npy -> E.json. */
export function sidecarPath(npyFile: string): string {
  return npyFile.replace(/\.npy$/i, '') + '.json';
}

/** Writes `matrix` ([rows, dim]) and its sidecar as a pair; see the file comment. */
export async function writeEmbeddingsPair(
  npyFile: string,
  matrix: Float32Array,
  info: EmbeddingsInfo,
): Promise<{ npy: string; json: string }> {
  const rows = info.images.length;
  if (matrix.length !== rows * info.dim) throw new FacenetError('SHAPE_MISMATCH', `embeddings: ${matrix.length} values are not ${rows} rows of ${info.dim}`);
  const npyBytes = Buffer.concat(encodeNpy({ dtype: 'float32', shape: [rows, info.dim], data: matrix }));
  const sidecar: EmbeddingsSidecar = { format: EMBEDDINGS_FORMAT, ...info, rows, npySha256: createHash('sha256').update(npyBytes).digest('hex') };
  const jsonFile = sidecarPath(npyFile);
  const npyTmp = tempPathFor(npyFile);
  const jsonTmp = tempPathFor(jsonFile);
  try {
    await writeFileSynced(npyTmp, npyBytes);
    await writeFileSynced(jsonTmp, JSON.stringify(sidecar, null, 2) + '\n');
    await rename(npyTmp, npyFile);
    await rename(jsonTmp, jsonFile);
  } catch (err) {
    await unlink(npyTmp).catch(() => undefined);
    await unlink(jsonTmp).catch(() => undefined);
    throw fsError(err, npyFile, `write the embeddings ${npyFile} and ${jsonFile} (the previous files, if any, are unchanged)`) ?? err;
  }
  await syncDir(path.dirname(path.resolve(npyFile)));
  return { npy: npyFile, json: jsonFile };
}

export interface EmbeddingsPair {
  matrix: Float32Array;
  rows: number;
  dim: number;
  sidecar: EmbeddingsSidecar;
}

/** Reads an embeddings file and its sidecar, checking that they belong together. */
export async function readEmbeddingsPair(npyFile: string): Promise<EmbeddingsPair> {
  const jsonFile = sidecarPath(npyFile);
  const [npyBytes, jsonText] = await Promise.all([
    readFile(npyFile).catch((err: unknown) => Promise.reject(fsError(err, npyFile, 'read the embeddings') ?? err)),
    readFile(jsonFile, 'utf8').catch((err: unknown) => Promise.reject(fsError(err, jsonFile, `read the sidecar of ${npyFile}`) ?? err)),
  ]);
  let sidecar: EmbeddingsSidecar;
  try {
    sidecar = JSON.parse(jsonText) as EmbeddingsSidecar;
  } catch (e) {
    throw new FacenetError('BAD_FILE', `${jsonFile} is not valid JSON (${(e as Error).message}); re-run \`facenet embed\``);
  }
  if (!Array.isArray(sidecar.images) || typeof sidecar.dim !== 'number') throw new FacenetError('BAD_FILE', `${jsonFile} is not the sidecar of a \`facenet embed\` output (no images/dim)`);
  const sha = createHash('sha256').update(npyBytes).digest('hex');
  if (sidecar.npySha256 !== undefined && sidecar.npySha256 !== sha) {
    throw new FacenetError('BAD_FILE', `${jsonFile} does not belong to ${npyFile} (sha256 mismatch: one of the two was replaced or damaged); re-run \`facenet embed\``);
  }
  const raw = parseNpy(npyBytes, npyFile);
  if (raw.shape.length !== 2 || raw.shape[0] !== sidecar.images.length || raw.shape[1] !== sidecar.dim) {
    throw new FacenetError('BAD_FILE', `${npyFile} has shape [${raw.shape}] but ${jsonFile} lists ${sidecar.images.length} images of dimension ${sidecar.dim}`);
  }
  return { matrix: toFloat32(raw), rows: sidecar.images.length, dim: sidecar.dim, sidecar };
}

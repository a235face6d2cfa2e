/**
 * Embeds image files in batches; an image that cannot be read or decoded is reported and skipped,
 * never fatal. The next batch's files are decoded (on sharp's threads) while the current one runs.
 */
import { decodeImageFile, type RgbImage } from '../io/image.js';
import type { Embedder } from './embedder.js';

export interface EmbedFilesResult {
  /** Row-major [kept.length, embedder.dim]. */
  embeddings: Float32Array;
  /** Files that were embedded, in row order. */
  kept: string[];
  failures: { file: string; reason: string }[];
  /** True when the signal stopped the job early. */
  aborted: boolean;
}

export async function embedFiles(
  files: readonly string[],
  embedder: Embedder,
  o: {
    signal?: AbortSignal;
    onProgress?: (done: number) => void;
    /** Reads one file (default decodeImageFile); e.g. a cache of already decoded images. */
    decode?: (file: string) => Promise<RgbImage>;
  } = {},
): Promise<EmbedFilesResult> {
  const decode = o.decode ?? decodeImageFile;
  const load = (file: string): Promise<RgbImage | Error> =>
    decode(file).then(
      (img) => embedder.prepare(img),
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    ).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += embedder.batchSize) batches.push(files.slice(i, i + embedder.batchSize));
  const chunks: Float32Array[] = [];
  const kept: string[] = [];
  const failures: { file: string; reason: string }[] = [];
  let next = batches.length > 0 ? Promise.all(batches[0]!.map(load)) : null;
  let done = 0;
  for (let b = 0; b < batches.length; b++) {
    if (o.signal?.aborted) return { embeddings: concat(chunks), kept, failures, aborted: true };
    const loaded = await next!;
    next = b + 1 < batches.length ? Promise.all(batches[b + 1]!.map(load)) : null;
    const good: RgbImage[] = [];
    loaded.forEach((r, i) => {
      const file = batches[b]![i]!;
      if (r instanceof Error) failures.push({ file, reason: r.message });
      else {
        good.push(r);
        kept.push(file);
      }
    });
    if (good.length > 0) chunks.push(embedder.embedPrepared(good));
    done += loaded.length;
    o.onProgress?.(done);
  }
  return { embeddings: concat(chunks), kept, failures, aborted: false };
}

function concat(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

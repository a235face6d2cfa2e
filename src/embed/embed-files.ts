/**
 * Embeds image files in batches; an image that cannot be read or decoded is reported and skipped,
 * never fatal. The next batch's files are decoded (on sharp's threads) while the current one runs.
 */
import { decodeImageFile, type RgbImage } from '../io/image.js';
import { PrefetchQueue } from '../io/prefetch-queue.js';
import type { Embedder } from './embedder.js';

export interface EmbedFilesResult {
  /** Row-major [kept.length, embedder.dim]. */
  embeddings: Float32Array;
  /** Files that were embedded, in row order. */
  kept: string[];
  failures: { file: string; reason: string }[];
  /** Embedded images that are not square, so not aligned face crops (whole photos, most likely). */
  notSquare: string[];
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
  const notSquare: string[] = [];
  const load = (file: string): Promise<RgbImage | Error> =>
    decode(file).then(
      (img) => {
        if (img.width !== img.height) notSquare.push(file);
        return embedder.prepare(img);
      },
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    ).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += embedder.batchSize) batches.push(files.slice(i, i + embedder.batchSize));
  const chunks: Float32Array[] = [];
  const kept: string[] = [];
  const failures: { file: string; reason: string }[] = [];
  // While one batch is embedded, the next one decodes. load() never rejects, so neither does a batch.
  const queue = new PrefetchQueue((b) => Promise.all(batches[b]!.map(load)), 1, 0, batches.length);
  let done = 0;
  for (let b = 0; b < batches.length; b++) {
    if (o.signal?.aborted) {
      queue.close();
      return { embeddings: concat(chunks), kept, failures, notSquare, aborted: true };
    }
    const loaded = (await queue.take()).value;
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
  return { embeddings: concat(chunks), kept, failures, notSquare, aborted: false };
}

/**
 * The warning for images that are not square (aligned crops are): embedding a whole photo gives a
 * vector that identifies no one. null when every image is square.
 */
export function notAlignedWarning(r: Pick<EmbedFilesResult, 'notSquare' | 'kept' | 'failures'>, inputSize: number): string | null {
  if (r.notSquare.length === 0) return null;
  return (
    `${r.notSquare.length} of ${r.kept.length + r.failures.length} images are not square (first: ${r.notSquare[0]}): they look like photos, not aligned face crops, ` +
    `and their embeddings identify no one. Align them first: facenet align IN OUT --image-size ${inputSize}`
  );
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

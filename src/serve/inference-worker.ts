/**
 * The inference worker: owns one FaceNet (MTCNN + embedding model) and runs batches of jobs on
 * its own thread, so the server's event loop keeps answering (health checks, uploads) while a
 * forward pass runs. The engine's ops are synchronous libtorch calls; a worker thread is what
 * takes them off the event loop.
 *
 * Per batch: every image is detected and aligned, then the faces of all jobs go through the
 * embedding model together (FaceNet.embed batches them by `embedBatch`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FaceNet } from '../facenet.js';
import { FacenetError } from '../errors.js';
import type { RgbImage } from '../io/image.js';
import type { Face } from '../detect/index.js';
import type { EngineConfig, FaceEmbedding, FromWorker, InferenceJob, InferenceResult, JobOutcome, ToWorker } from './inference-protocol.js';

const port = parentPort;
if (!port) throw new Error('inference-worker.ts runs as a worker thread (see inference-engine.ts)');

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function errorOf(e: unknown): { code: string; message: string } {
  if (e instanceof FacenetError) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) };
}

async function runBatch(fn: FaceNet, jobs: InferenceJob[]): Promise<{ outcomes: JobOutcome[]; transfer: ArrayBuffer[] }> {
  // Stage 1, per image: detect (and align when an embedding is wanted).
  type Found = { faces: Face[]; aligned: RgbImage[] } | { error: unknown };
  const images: { job: number; image: RgbImage; embed: boolean }[] = [];
  jobs.forEach((job, j) => {
    if (job.kind === 'verify') job.images.forEach((image) => images.push({ job: j, image, embed: true }));
    else images.push({ job: j, image: job.image, embed: job.kind === 'faces' });
  });
  const found: Found[] = [];
  for (const item of images) {
    try {
      const all = await fn.detect(item.image);
      // verify compares the most confident face of each image (as compare.py)
      const faces = jobs[item.job]!.kind === 'verify' ? all.slice(0, 1) : all;
      const aligned = item.embed ? await Promise.all(faces.map((f) => fn.align(item.image, f))) : [];
      found.push({ faces, aligned });
    } catch (e) {
      found.push({ error: e });
    }
  }
  // Stage 2: one embedding pass over every face of the batch.
  const crops = found.flatMap((f) => ('aligned' in f ? f.aligned : []));
  let embeddings: Float32Array[] = [];
  let embedError: unknown = null;
  if (crops.length > 0) {
    try {
      embeddings = await fn.embed(crops);
    } catch (e) {
      embedError = e;
    }
  }
  // Stage 3: hand each job its part.
  let next = 0;
  const perImage: ({ faces: Face[]; embedded: FaceEmbedding[] } | { error: unknown })[] = found.map((f) => {
    if ('error' in f) return f;
    if (f.aligned.length === 0) return { faces: f.faces, embedded: [] };
    if (embedError) return { error: embedError };
    const embedded = f.faces.map((face) => ({ face, embedding: embeddings[next++]! }));
    return { faces: f.faces, embedded };
  });
  const transfer: ArrayBuffer[] = [];
  const outcomes: JobOutcome[] = jobs.map((job, j) => {
    const mine = perImage.filter((_, i) => images[i]!.job === j);
    const failed = mine.find((m) => 'error' in m);
    if (failed && 'error' in failed) return { ok: false, error: errorOf(failed.error) };
    const ok = mine as { faces: Face[]; embedded: FaceEmbedding[] }[];
    for (const m of ok) for (const e of m.embedded) transfer.push(e.embedding.buffer as ArrayBuffer);
    let value: InferenceResult;
    if (job.kind === 'detect') value = { kind: 'detect', faces: ok[0]!.faces };
    else if (job.kind === 'faces') value = { kind: 'faces', faces: ok[0]!.embedded };
    else {
      const a = ok[0]!.embedded[0] ?? null;
      const b = ok[1]!.embedded[0] ?? null;
      value = { kind: 'verify', faces: [a, b], comparison: a && b ? fn.compare(a.embedding, b.embedding) : null };
    }
    return { ok: true, value };
  });
  return { outcomes, transfer };
}

async function main(): Promise<void> {
  const config = workerData as EngineConfig;
  let fn: FaceNet;
  const warnings: string[] = [];
  try {
    fn = await FaceNet.load({ ...config.runtime, model: config.model, home: config.home, mirror: config.mirror, batchSize: config.embedBatch, onWarning: (w) => warnings.push(w) });
  } catch (e) {
    const { code, message } = errorOf(e);
    send({ type: 'fatal', code, message });
    return;
  }
  send({ type: 'ready', info: { modelId: fn.modelId, dim: fn.model.config.embeddingSize, threshold: fn.threshold, precision: fn.precision, warnings } });
  // Batches arrive one at a time (the queue runs one batch at a time), so a simple chain keeps order.
  let chain = Promise.resolve();
  port!.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      chain = chain.then(() => {
        fn.dispose();
        port!.close();
      });
      return;
    }
    chain = chain.then(async () => {
      try {
        const { outcomes, transfer } = await runBatch(fn, msg.jobs);
        send({ type: 'result', id: msg.id, outcomes }, transfer);
      } catch (e) {
        // An error outside any one job (a bug): fail this batch, keep the worker for the next.
        const error = errorOf(e);
        send({ type: 'result', id: msg.id, outcomes: msg.jobs.map(() => ({ ok: false, error })) });
      }
    });
  });
}

void main();

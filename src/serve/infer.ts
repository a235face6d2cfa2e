/** Queues inference jobs for a request: one job per image, answered when its batch has run. */
import type { RgbImage } from '../io/image.js';
import type { Face } from '../detect/index.js';
import { ApiError } from './api-error.js';
import type { FaceEmbedding, InferenceJob, InferenceResult } from './inference-protocol.js';
import type { ServeContext } from './route.js';

export async function infer(ctx: ServeContext, jobs: InferenceJob[]): Promise<InferenceResult[]> {
  const why = ctx.unavailable();
  if (why) throw new ApiError(503, 'UNAVAILABLE', why);
  return Promise.all(jobs.map((j) => ctx.queue.push(j)));
}

export async function detectFaces(ctx: ServeContext, image: RgbImage): Promise<Face[]> {
  const [r] = await infer(ctx, [{ kind: 'detect', image }]);
  if (r?.kind !== 'detect') throw new Error('detect job answered with another kind');
  return r.faces;
}

/** Faces and their embeddings, per image, most confident face first. */
export async function embedFaces(ctx: ServeContext, images: RgbImage[]): Promise<FaceEmbedding[][]> {
  const results = await infer(ctx, images.map((image) => ({ kind: 'faces', image })));
  return results.map((r) => {
    if (r.kind !== 'faces') throw new Error('faces job answered with another kind');
    return r.faces;
  });
}

/** The API's face: box, probability and landmarks as plain arrays. */
export function faceJson(f: Face): { box: number[]; probability: number; landmarks: number[][] } {
  return { box: [...f.box], probability: f.prob, landmarks: f.landmarks.map((p) => [...p]) };
}

/** POST /v1/identify: every face of the image against the gallery, ranked subjects or unknown. */
import { defineRoute } from '../route.js';
import { readImages } from '../image-input.js';
import { embedFaces } from '../infer.js';
import { type ImageFields, boxSchema, errorSchema, matchSchema } from '../schemas.js';

const IMAGES: ImageFields = { fields: [{ name: 'image' }] };

export const identifyRoute = defineRoute({
  method: 'POST',
  url: '/v1/identify',
  summary: 'Identify every face of an image: the closest subjects (best first), or unknown when the best is past the threshold',
  tag: 'gallery',
  auth: true,
  images: IMAGES,
  querystring: {
    type: 'object',
    properties: {
      k: { type: 'integer', minimum: 1, maximum: 100, default: 5, description: 'subjects per face' },
      threshold: { type: 'number', minimum: 0, description: "squared-L2 threshold (default: the gallery's, i.e. the model's)" },
    },
    additionalProperties: false,
  },
  responses: {
    200: {
      description: 'one entry per face, most confident face first',
      schema: {
        type: 'object',
        required: ['faces'],
        properties: {
          faces: { type: 'array', items: { type: 'object', required: ['box', 'unknown', 'matches'], properties: { box: boxSchema, unknown: { type: 'boolean' }, matches: { type: 'array', items: matchSchema } } } },
        },
      },
    },
    400: { description: 'not an image, empty, malformed', schema: errorSchema },
  },
  async handler(request, _reply, ctx) {
    const q = request.query as { k?: number; threshold?: number };
    const { images } = await readImages(request, IMAGES, ctx.limits);
    const [faces] = await embedFaces(ctx, images.get('image')!.slice(0, 1));
    if (faces!.length === 0) return { faces: [] };
    const ids = await ctx.gallery.identifyEmbeddings(
      faces!.map((f) => f.embedding),
      { k: q.k ?? 5, modelId: ctx.model.modelId, ...(q.threshold !== undefined ? { threshold: q.threshold } : {}) },
    );
    return {
      faces: faces!.map((f, i) => ({
        box: [...f.face.box],
        unknown: ids[i]!.unknown,
        matches: ids[i]!.matches.map((m) => ({ subject: m.subject, distance: m.distance, similarity: m.similarity })),
      })),
    };
  },
});

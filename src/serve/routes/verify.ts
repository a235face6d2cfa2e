/** POST /v1/verify: are the most confident faces of two images the same person? */
import { defineRoute } from '../route.js';
import { readImages } from '../image-input.js';
import { infer } from '../infer.js';
import { ApiError } from '../api-error.js';
import { type ImageFields, boxSchema, errorSchema } from '../schemas.js';

const IMAGES: ImageFields = { fields: [{ name: 'image1' }, { name: 'image2' }] };

export const verifyRoute = defineRoute({
  method: 'POST',
  url: '/v1/verify',
  summary: "Compare the most confident face of image1 with that of image2 at the model's threshold",
  tag: 'faces',
  auth: true,
  images: IMAGES,
  responses: {
    200: {
      description: 'distance, similarity and the verdict (same is null when the model has no stored threshold)',
      schema: {
        type: 'object',
        required: ['distance', 'similarity', 'same', 'threshold', 'faces'],
        properties: {
          distance: { type: 'number', description: 'plain L2 distance' },
          similarity: { type: 'number', description: 'cosine similarity' },
          same: { type: ['boolean', 'null'], description: 'squared distance below the threshold' },
          threshold: { type: ['number', 'null'], description: 'squared-L2 threshold of the model' },
          faces: { type: 'array', items: { type: 'object', properties: { box: boxSchema, probability: { type: 'number' } } } },
        },
      },
    },
    400: { description: 'not an image, empty, malformed', schema: errorSchema },
    422: { description: 'no face in one of the images', schema: errorSchema },
  },
  async handler(request, _reply, ctx) {
    const { images } = await readImages(request, IMAGES, ctx.limits);
    const [r] = await infer(ctx, [{ kind: 'verify', images: [images.get('image1')![0]!, images.get('image2')![0]!] }]);
    if (r?.kind !== 'verify') throw new Error('verify job answered with another kind');
    r.faces.forEach((f, i) => {
      if (!f) throw new ApiError(422, 'NO_FACE', `no face found in image${i + 1}`);
    });
    const c = r.comparison!;
    return { distance: c.distance, similarity: c.similarity, same: c.isMatch, threshold: ctx.model.threshold, faces: r.faces.map((f) => ({ box: [...f!.face.box], probability: f!.face.prob })) };
  },
});

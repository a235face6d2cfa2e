/** POST /v1/embed: an embedding per face. */
import { defineRoute } from '../route.js';
import { readImages } from '../image-input.js';
import { embedFaces } from '../infer.js';
import { type ImageFields, boxSchema, errorSchema } from '../schemas.js';

const IMAGES: ImageFields = { fields: [{ name: 'image' }] };

export const embedRoute = defineRoute({
  method: 'POST',
  url: '/v1/embed',
  summary: "Detect, align and embed every face: one unit-length embedding per face, from the server's model",
  tag: 'faces',
  auth: true,
  images: IMAGES,
  responses: {
    200: {
      description: 'one embedding per face, most confident face first',
      schema: {
        type: 'object',
        required: ['model', 'dim', 'faces'],
        properties: {
          model: { type: 'string' },
          dim: { type: 'integer' },
          faces: { type: 'array', items: { type: 'object', required: ['box', 'probability', 'embedding'], properties: { box: boxSchema, probability: { type: 'number' }, embedding: { type: 'array', items: { type: 'number' } } } } },
        },
      },
    },
    400: { description: 'not an image, empty, malformed', schema: errorSchema },
  },
  async handler(request, _reply, ctx) {
    const { images } = await readImages(request, IMAGES, ctx.limits);
    const [faces] = await embedFaces(ctx, images.get('image')!.slice(0, 1));
    return { model: ctx.model.modelId, dim: ctx.model.dim, faces: faces!.map((f) => ({ box: [...f.face.box], probability: f.face.prob, embedding: Array.from(f.embedding) })) };
  },
});

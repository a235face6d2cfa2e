/** POST /v1/detect: faces with box, probability and landmarks. */
import { defineRoute } from '../route.js';
import { readImages } from '../image-input.js';
import { detectFaces, faceJson } from '../infer.js';
import { type ImageFields, boxSchema, errorSchema, landmarksSchema } from '../schemas.js';

const IMAGES: ImageFields = { fields: [{ name: 'image' }] };

export const detectRoute = defineRoute({
  method: 'POST',
  url: '/v1/detect',
  summary: 'Detect faces (MTCNN): box, probability and five landmarks, most confident first',
  tag: 'faces',
  auth: true,
  images: IMAGES,
  responses: {
    200: {
      description: 'the faces found (an empty list when none)',
      schema: {
        type: 'object',
        required: ['faces'],
        properties: { faces: { type: 'array', items: { type: 'object', required: ['box', 'probability', 'landmarks'], properties: { box: boxSchema, probability: { type: 'number' }, landmarks: landmarksSchema } } } },
      },
    },
    400: { description: 'not an image, empty, malformed', schema: errorSchema },
  },
  async handler(request, _reply, ctx) {
    const { images } = await readImages(request, IMAGES, ctx.limits);
    const faces = await detectFaces(ctx, images.get('image')![0]!);
    return { faces: faces.map(faceJson) };
  },
});

/** DELETE /v1/faces/{id}: one enrolled face. */
import { defineRoute } from '../route.js';
import { ApiError } from '../api-error.js';
import { errorSchema } from '../schemas.js';

export const deleteFaceRoute = defineRoute({
  method: 'DELETE',
  url: '/v1/faces/:id',
  summary: 'Delete one enrolled face (its subject stays, even with no faces left)',
  tag: 'gallery',
  auth: true,
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64, description: 'faceId from enroll' } } },
  responses: {
    200: { description: 'removed', schema: { type: 'object', required: ['faceId', 'removed'], properties: { faceId: { type: 'string' }, removed: { type: 'boolean' } } } },
    404: { description: 'no such face', schema: errorSchema },
  },
  async handler(request, _reply, ctx) {
    const { id } = request.params as { id: string };
    if (!(await ctx.gallery.removeFace(id))) throw new ApiError(404, 'NOT_FOUND', `no face with id ${id}`);
    return { faceId: id, removed: true };
  },
});

/** The gallery's subjects: list, enroll photos, delete. */
import { defineRoute } from '../route.js';
import { readImages } from '../image-input.js';
import { embedFaces } from '../infer.js';
import { ApiError } from '../api-error.js';
import { validateSubjectName } from '../../gallery/index.js';
import { type ImageFields, boxSchema, errorSchema, subjectNameParams } from '../schemas.js';

const ENROLL_IMAGES: ImageFields = {
  fields: [{ name: 'image', repeat: true }],
  extra: { metadata: { type: 'object', description: 'stored with each enrolled face' } },
};

export const listSubjectsRoute = defineRoute({
  method: 'GET',
  url: '/v1/subjects',
  summary: "The gallery's subjects with their number of faces",
  tag: 'gallery',
  auth: true,
  responses: {
    200: {
      description: 'every subject',
      schema: { type: 'object', required: ['subjects'], properties: { subjects: { type: 'array', items: { type: 'object', required: ['name', 'faces'], properties: { name: { type: 'string' }, faces: { type: 'integer' } } } } } },
    },
  },
  async handler(_request, _reply, ctx) {
    return { subjects: await ctx.gallery.subjects() };
  },
});

export const enrollRoute = defineRoute({
  method: 'POST',
  url: '/v1/subjects/:name/faces',
  summary: 'Enroll photos of a subject (created when new): the most confident face of each photo, all in one transaction',
  tag: 'gallery',
  auth: true,
  params: subjectNameParams,
  images: ENROLL_IMAGES,
  responses: {
    201: {
      description: 'the faces stored, one per photo in upload order',
      schema: {
        type: 'object',
        required: ['subject', 'faces'],
        properties: { subject: { type: 'string' }, faces: { type: 'array', items: { type: 'object', required: ['faceId', 'box'], properties: { faceId: { type: 'string' }, box: boxSchema } } } },
      },
    },
    400: { description: 'bad subject name, not an image, empty, malformed', schema: errorSchema },
    422: { description: 'a photo has no face (nothing is enrolled)', schema: errorSchema },
  },
  async handler(request, reply, ctx) {
    const { name } = request.params as { name: string };
    try {
      validateSubjectName(name);
    } catch (e) {
      throw new ApiError(400, 'BAD_SUBJECT_NAME', (e as Error).message);
    }
    const { images, fields } = await readImages(request, ENROLL_IMAGES, ctx.limits);
    const metadata = fields['metadata'];
    if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
      throw new ApiError(400, 'BAD_REQUEST', "field 'metadata' must be a JSON object");
    }
    const photos = images.get('image')!;
    const perPhoto = await embedFaces(ctx, photos);
    const missing = perPhoto.findIndex((faces) => faces.length === 0);
    if (missing >= 0) throw new ApiError(422, 'NO_FACE', `no face found in image ${missing + 1} of ${photos.length} (${photos[missing]!.source}); nothing was enrolled`);
    // The most confident face of each photo: an enrollment photo is of one person.
    const chosen = perPhoto.map((faces) => faces[0]!);
    const done = await ctx.gallery.enrollEmbeddings(
      name,
      chosen.map((f) => f.embedding),
      { modelId: ctx.model.modelId, ...(metadata ? { metadata: metadata as Record<string, unknown> } : {}) },
    );
    reply.code(201);
    return { subject: done.subject, faces: done.faceIds.map((faceId, i) => ({ faceId, box: [...chosen[i]!.face.box] })) };
  },
});

export const deleteSubjectRoute = defineRoute({
  method: 'DELETE',
  url: '/v1/subjects/:name',
  summary: 'Delete a subject and all its faces',
  tag: 'gallery',
  auth: true,
  params: subjectNameParams,
  responses: {
    200: { description: 'faces removed', schema: { type: 'object', required: ['subject', 'removed'], properties: { subject: { type: 'string' }, removed: { type: 'integer' } } } },
    404: { description: 'no such subject', schema: errorSchema },
  },
  async handler(request, _reply, ctx) {
    const { name } = request.params as { name: string };
    try {
      validateSubjectName(name);
    } catch (e) {
      throw new ApiError(400, 'BAD_SUBJECT_NAME', (e as Error).message);
    }
    const removed = await ctx.gallery.removeSubject(name);
    if (removed === 0) throw new ApiError(404, 'NOT_FOUND', `no subject named '${name}'`);
    return { subject: name, removed };
  },
});

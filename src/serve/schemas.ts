/**
 * JSON schemas of the API, written once: fastify validates requests and serialises responses
 * with them, and openapi.ts turns the same objects into the OpenAPI 3 document.
 */

export type JsonSchema = Record<string, unknown>;

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', description: 'stable machine-readable code, e.g. BAD_IMAGE' }, message: { type: 'string' } },
    },
  },
} as const;

export const boxSchema = {
  type: 'array',
  items: { type: 'number' },
  minItems: 4,
  maxItems: 4,
  description: '[x1, y1, x2, y2] in pixels of the uploaded image (may reach outside it)',
} as const;

export const landmarksSchema = {
  type: 'array',
  description: 'left eye, right eye, nose, left and right mouth corners, each [x, y]',
  items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
} as const;

export const matchSchema = {
  type: 'object',
  required: ['subject', 'distance', 'similarity'],
  properties: {
    subject: { type: 'string' },
    distance: { type: 'number', description: 'plain L2 distance between unit embeddings' },
    similarity: { type: 'number', description: 'cosine similarity' },
  },
} as const;

export const subjectNameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 128, description: 'subject name (no path characters)' } },
} as const;

/** A base64 image in a JSON body (a data: URL prefix is allowed). */
export const base64Image = { type: 'string', minLength: 1, description: 'base64-encoded JPEG, PNG, WebP, GIF, TIFF or AVIF' } as const;

/** The image fields of a request, from which both its JSON and multipart body schemas come. */
export interface ImageFields {
  /** Field names in order; `repeat` means the field may hold several images. */
  fields: readonly { name: string; repeat?: boolean }[];
  /** Other JSON / multipart text fields. */
  extra?: Record<string, JsonSchema>;
}

export function jsonBodySchema(spec: ImageFields): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const f of spec.fields) {
    properties[f.name] = f.repeat ? { anyOf: [base64Image, { type: 'array', items: base64Image, minItems: 1 }] } : base64Image;
  }
  Object.assign(properties, spec.extra ?? {});
  return { type: 'object', required: spec.fields.map((f) => f.name), properties, additionalProperties: false };
}

export function multipartBodySchema(spec: ImageFields): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const f of spec.fields) {
    const file = { type: 'string', format: 'binary' };
    properties[f.name] = f.repeat ? { type: 'array', items: file } : file;
  }
  for (const [k, v] of Object.entries(spec.extra ?? {})) properties[k] = { ...v, description: `${(v['description'] as string | undefined) ?? ''} (as a JSON text field)`.trim() };
  return { type: 'object', required: spec.fields.map((f) => f.name), properties };
}

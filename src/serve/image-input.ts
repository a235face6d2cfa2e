/**
 * The images of a request, from multipart form fields or from base64 strings in a JSON body,
 * decoded to RGB pixels. Bytes only: nothing from a request is ever used as a file path.
 */
import type { FastifyRequest } from 'fastify';
import { decodeImage, type RgbImage } from '../io/image.js';
import { FacenetError } from '../errors.js';
import { ApiError } from './api-error.js';
import type { ImageFields } from './schemas.js';

export interface RequestImages {
  /** Decoded images per field name, in upload order. */
  images: Map<string, RgbImage[]>;
  /** Non-image fields (JSON values; multipart text fields parsed as JSON when they hold JSON). */
  fields: Record<string, unknown>;
}

export interface ImageLimits {
  maxPixels: number;
  /** Images per request, all fields together. */
  maxImages: number;
}

/** Multipart parts we take as images: image types, or octet-stream when the client does not know. */
function acceptedPartType(mime: string): boolean {
  return mime.startsWith('image/') || mime === 'application/octet-stream';
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function fromBase64(value: unknown, field: string): Buffer {
  if (typeof value !== 'string') throw new ApiError(400, 'BAD_REQUEST', `field '${field}' must be a base64 string`);
  const text = value.replace(/^data:[\w.+-]+\/[\w.+-]+;base64,/, '').replace(/\s+/g, '');
  if (text.length === 0) throw new ApiError(400, 'EMPTY_IMAGE', `field '${field}' is empty`);
  if (text.length % 4 === 1 || !BASE64.test(text)) throw new ApiError(400, 'BAD_BASE64', `field '${field}' is not valid base64`);
  return Buffer.from(text, 'base64');
}

async function collect(request: FastifyRequest, spec: ImageFields, limits: ImageLimits): Promise<{ raw: Map<string, Buffer[]>; fields: Record<string, unknown> }> {
  const names = new Set(spec.fields.map((f) => f.name));
  const raw = new Map<string, Buffer[]>(spec.fields.map((f) => [f.name, []]));
  const fields: Record<string, unknown> = {};
  let count = 0;
  const add = (field: string, data: Buffer) => {
    if (++count > limits.maxImages) throw new ApiError(413, 'TOO_MANY_IMAGES', `at most ${limits.maxImages} images per request`);
    raw.get(field)!.push(data);
  };
  if (request.isMultipart()) {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (!names.has(part.fieldname)) {
          await part.toBuffer(); // drain it: the stream must be consumed for the next part to arrive
          throw new ApiError(400, 'BAD_REQUEST', `unexpected file field '${part.fieldname}'; expected ${[...names].join(', ')}`);
        }
        if (!acceptedPartType(part.mimetype)) {
          await part.toBuffer();
          throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `field '${part.fieldname}' has content type ${part.mimetype}; send an image (image/jpeg, image/png, ...)`);
        }
        add(part.fieldname, await part.toBuffer());
      } else if (names.has(part.fieldname)) {
        throw new ApiError(400, 'BAD_REQUEST', `field '${part.fieldname}' must be a file upload, not a text field`);
      } else if (spec.extra && part.fieldname in spec.extra) {
        const text = String(part.value);
        try {
          fields[part.fieldname] = JSON.parse(text);
        } catch {
          fields[part.fieldname] = text;
        }
      } else {
        throw new ApiError(400, 'BAD_REQUEST', `unexpected field '${part.fieldname}'`);
      }
    }
  } else {
    // JSON: fastify has parsed and validated the body against jsonBodySchema(spec).
    const body = (request.body ?? {}) as Record<string, unknown>;
    for (const f of spec.fields) {
      const v = body[f.name];
      for (const item of Array.isArray(v) ? v : v === undefined ? [] : [v]) add(f.name, fromBase64(item, f.name));
    }
    for (const k of Object.keys(spec.extra ?? {})) if (k in body) fields[k] = body[k];
  }
  for (const f of spec.fields) {
    const got = raw.get(f.name)!.length;
    if (got === 0) throw new ApiError(400, 'BAD_REQUEST', `missing image field '${f.name}'`);
    if (got > 1 && !f.repeat) throw new ApiError(400, 'BAD_REQUEST', `field '${f.name}' takes one image, got ${got}`);
  }
  return { raw, fields };
}

export async function readImages(request: FastifyRequest, spec: ImageFields, limits: ImageLimits): Promise<RequestImages> {
  const { raw, fields } = await collect(request, spec, limits);
  const images = new Map<string, RgbImage[]>();
  for (const [field, buffers] of raw) {
    const decoded: RgbImage[] = [];
    for (const [i, data] of buffers.entries()) {
      const name = buffers.length > 1 ? `${field}[${i}]` : field;
      if (data.length === 0) throw new ApiError(400, 'EMPTY_IMAGE', `${name} is empty (0 bytes)`);
      try {
        decoded.push(await decodeImage(data, { maxPixels: limits.maxPixels, name }));
      } catch (e) {
        if (e instanceof FacenetError) throw new ApiError(400, 'BAD_IMAGE', e.message);
        throw e;
      }
    }
    images.set(field, decoded);
  }
  return { images, fields };
}

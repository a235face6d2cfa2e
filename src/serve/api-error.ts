/**
 * Every error the API answers is `{ "error": { "code", "message" } }` with a 4xx or 5xx status.
 * ApiError carries both; `toApiError` maps whatever a handler, the engine or fastify threw.
 */
import { FacenetError } from '../errors.js';
import { QueueClosedError, QueueFullError } from './batch-queue.js';
import { JobError } from './inference-engine.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Status of each FacenetError code (and the worker's copies of them): caller mistakes are 4xx. */
const FACENET_STATUS: Record<string, number> = {
  BAD_ARGUMENT: 400,
  BAD_IMAGE: 400,
  BAD_FILE: 400,
  SHAPE_MISMATCH: 400,
  NOT_FOUND: 404,
  MODEL_MISMATCH: 409,
};

/** fastify's own error codes that are the caller's doing, and what we call them. */
const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'BAD_REQUEST'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'BAD_JSON'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE'],
  FST_REQ_FILE_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE'],
  FST_PARTS_LIMIT: [413, 'PAYLOAD_TOO_LARGE'],
  FST_FILES_LIMIT: [413, 'PAYLOAD_TOO_LARGE'],
  FST_FIELDS_LIMIT: [413, 'PAYLOAD_TOO_LARGE'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_VALIDATION: [400, 'BAD_REQUEST'],
};

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof QueueFullError || e instanceof QueueClosedError) return new ApiError(503, e instanceof QueueFullError ? 'OVERLOADED' : 'SHUTTING_DOWN', e.message);
  if (e instanceof FacenetError || e instanceof JobError) {
    const status = FACENET_STATUS[e.code] ?? 500;
    return new ApiError(status, status === 500 ? 'INTERNAL' : e.code, status === 500 ? `inference failed: ${e.message}` : e.message);
  }
  const err = e as { code?: string; statusCode?: number; message?: string; validation?: unknown };
  if (err?.validation) return new ApiError(400, 'BAD_REQUEST', err.message ?? 'invalid request');
  if (err instanceof SyntaxError || err?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return new ApiError(400, 'BAD_JSON', `the body is not valid JSON: ${err.message}`);
  const known = err?.code ? FASTIFY_CODES[err.code] : undefined;
  if (known) return new ApiError(known[0], known[1], err.message ?? known[1]);
  // Other 4xx from fastify or its plugins (e.g. a malformed multipart body) stay the caller's fault.
  if (typeof err?.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return new ApiError(err.statusCode, 'BAD_REQUEST', err.message ?? 'bad request');
  return new ApiError(500, 'INTERNAL', 'internal server error (see the server log)');
}

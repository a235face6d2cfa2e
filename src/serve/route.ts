/**
 * One API route: its method and path, the schemas that validate it (and document it in the
 * OpenAPI file), whether it needs an API key, and its handler. Each resource's routes live in
 * their own file under routes/ and are listed in routes/index.ts.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Gallery } from '../gallery/index.js';
import type { BatchQueue } from './batch-queue.js';
import type { InferenceJob, InferenceResult, ModelInfo } from './inference-protocol.js';
import type { ImageLimits } from './image-input.js';
import type { ImageFields, JsonSchema } from './schemas.js';
import type { ServerMetrics } from './metrics.js';

/** What handlers work with; built once per server. */
export interface ServeContext {
  queue: BatchQueue<InferenceJob, InferenceResult>;
  gallery: Gallery;
  model: ModelInfo;
  limits: ImageLimits;
  metrics: ServerMetrics;
  /** Why the server cannot serve inference now (the worker stopped), or null. */
  unavailable: () => string | null;
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'DELETE';
  /** fastify path, e.g. '/v1/subjects/:name/faces'. */
  url: string;
  summary: string;
  tag: string;
  /** Needs x-api-key (when keys are configured). */
  auth: boolean;
  /** Image fields: the body is multipart/form-data or JSON with base64 strings. */
  images?: ImageFields;
  /** Extra JSON properties of a body without images. */
  params?: JsonSchema;
  querystring?: JsonSchema;
  /** Responses by status; the 2xx ones are JSON schemas unless `produces` says otherwise. */
  responses: Record<number, { description: string; schema?: JsonSchema }>;
  produces?: string;
  handler: (request: FastifyRequest, reply: FastifyReply, ctx: ServeContext) => Promise<unknown>;
}

export function defineRoute(def: RouteDef): RouteDef {
  return def;
}

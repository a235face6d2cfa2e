/**
 * The fastify application: routes from routes/index.ts with their schemas, API-key checks,
 * metrics, JSON errors, the OpenAPI document and the static web page. No sockets here: server.ts
 * listens; tests may also call `app.inject`.
 */
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import type { Logger } from 'pino';
import { ApiError, toApiError } from './api-error.js';
import { buildOpenApi } from './openapi.js';
import { ROUTES } from './routes/index.js';
import { jsonBodySchema } from './schemas.js';
import type { RouteDef, ServeContext } from './route.js';
import type { ApiKeyStore } from './api-keys.js';

/** The page's static files: src/serve/web, copied to dist/serve/web by scripts/build-dist.mjs. */
export const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));

export interface AppOptions {
  ctx: ServeContext;
  logger: Logger;
  /** The gallery database's key table; with no active key the server runs open (loopback only, see server.ts). */
  keys: ApiKeyStore;
  /** Keys are required even when none is active (any host but loopback). */
  alwaysRequireKeys: boolean;
  /** Request body limit in bytes (JSON and each multipart file). */
  bodyLimit: number;
  version: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: boolean;
  }
}

function fastifySchema(r: RouteDef): Record<string, unknown> {
  const schema: Record<string, unknown> = {};
  if (r.params) schema['params'] = r.params;
  if (r.querystring) schema['querystring'] = r.querystring;
  // JSON bodies are validated here; multipart bodies (streams) by image-input.ts from the same ImageFields.
  if (r.images) schema['body'] = { content: { 'application/json': { schema: jsonBodySchema(r.images) } } };
  const response: Record<number, unknown> = {};
  for (const [status, resp] of Object.entries(r.responses)) if (resp.schema) response[Number(status)] = resp.schema;
  schema['response'] = response;
  return schema;
}

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger as FastifyBaseLogger,
    bodyLimit: o.bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Schema coercion for query strings only; bodies are taken as sent.
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  });
  // Only JSON and multipart bodies: anything else (text/plain included) is a 415.
  app.removeContentTypeParser('text/plain');
  const maxImages = o.ctx.limits.maxImages;
  await app.register(multipart, { limits: { fileSize: o.bodyLimit, files: maxImages + 1, fields: 8, parts: maxImages + 8 } });

  // A valid key is one lookup; only a request without one asks whether keys are needed at all
  // (none active on loopback: open), so a guarded request costs one query, not two.
  const checkKey = async (request: FastifyRequest) => {
    if (!request.routeOptions.config.auth) return;
    const key = request.headers['x-api-key'];
    const given = typeof key === 'string' && key.length > 0;
    if (given && (await o.keys.verify(key)) !== null) return;
    if (!o.alwaysRequireKeys && (await o.keys.activeCount()) === 0) return;
    if (!given) throw new ApiError(401, 'UNAUTHORIZED', 'missing x-api-key header (create a key with `facenet serve keys create`)');
    throw new ApiError(401, 'UNAUTHORIZED', 'unknown or revoked API key');
  };
  app.addHook('onRequest', checkKey);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    o.ctx.metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    o.ctx.metrics.latency.observe(reply.elapsedTime / 1000, { route });
  });

  app.setErrorHandler(async (error, request, reply) => {
    let e = toApiError(error);
    // fastify's own wording names neither the limit nor the fix.
    if (e.code === 'PAYLOAD_TOO_LARGE' && !(error instanceof ApiError)) e = new ApiError(413, e.code, `the body or an uploaded file is larger than the limit of ${(o.bodyLimit / 1048576).toFixed(1)} MB`);
    if (e.code === 'UNSUPPORTED_MEDIA_TYPE' && !(error instanceof ApiError)) e = new ApiError(415, e.code, `content type '${request.headers['content-type'] ?? '(none)'}' is not accepted: send multipart/form-data (field image) or application/json ({"image": "<base64>"})`);
    if (e.status >= 500 && e.status !== 503) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: e.code, status: e.status }, e.message);
    if (e.status === 503) reply.header('retry-after', '1');
    return reply.code(e.status).type('application/json; charset=utf-8').send({ error: { code: e.code, message: e.message } });
  });
  app.setNotFoundHandler(async (request, reply) => {
    return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });

  for (const r of ROUTES) {
    app.route({
      method: r.method,
      url: r.url,
      schema: fastifySchema(r),
      config: { auth: r.auth },
      handler: (request, reply) => r.handler(request, reply, o.ctx),
    });
  }
  const openapi = buildOpenApi(ROUTES, { version: o.version, model: o.ctx.model.modelId });
  app.get('/v1/openapi.json', { config: { auth: false } }, async () => openapi);

  await app.register(fastifyStatic, { root: WEB_DIR, prefix: '/', index: ['index.html'], wildcard: false });
  return app;
}

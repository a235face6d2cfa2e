/**
 * The OpenAPI 3 document, generated from the route definitions: the same schema objects fastify
 * validates requests with (params, query, JSON bodies) and serialises responses with.
 */
import type { RouteDef } from './route.js';
import { jsonBodySchema, multipartBodySchema, type JsonSchema } from './schemas.js';

/** fastify's '/v1/subjects/:name' -> OpenAPI's '/v1/subjects/{name}'. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** JSON Schema draft-07 -> OpenAPI 3.0 schema: type arrays with 'null' become `nullable`. */
function toOpenApiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApiSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = toOpenApiSchema(v);
  const t = out['type'];
  if (Array.isArray(t)) {
    const rest = t.filter((x) => x !== 'null');
    out['type'] = rest.length === 1 ? rest[0] : rest;
    if (rest.length !== t.length) out['nullable'] = true;
  }
  return out;
}

function parameters(schema: JsonSchema | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const props = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(s['description'] ? { description: s['description'] } : {}),
    schema: toOpenApiSchema(s),
  }));
}

export function buildOpenApi(routes: readonly RouteDef[], info: { version: string; model: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${openApiPath(r.url).replace(/[{}]/g, '').replace(/\/(\w)/g, (_, c: string) => c.toUpperCase())}`,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.querystring, 'query')],
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([status, resp]) => [
          status,
          {
            description: resp.description,
            content: resp.schema ? { 'application/json': { schema: toOpenApiSchema(resp.schema) } } : { [r.produces ?? 'application/json']: { schema: { type: 'string' } } },
          },
        ]),
      ),
    };
    if (r.images) {
      op['requestBody'] = {
        required: true,
        content: {
          'multipart/form-data': { schema: toOpenApiSchema(multipartBodySchema(r.images)) },
          'application/json': { schema: toOpenApiSchema(jsonBodySchema(r.images)) },
        },
      };
    }
    if (r.auth) op['security'] = [{ apiKey: [] }];
    (paths[openApiPath(r.url)] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: { title: 'facenet serve', version: info.version, description: `Face detection, verification and identification with model ${info.model}. Errors are { "error": { "code", "message" } }.` },
    servers: [{ url: '/' }],
    components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
    paths,
  };
}

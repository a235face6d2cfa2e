import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpenApi, openApiPath } from './openapi.js';
import { defineRoute } from './route.js';

test('openapi: fastify paths become templated paths; nullable types; params, query, bodies and security come from the route', () => {
  assert.equal(openApiPath('/v1/subjects/:name/faces'), '/v1/subjects/{name}/faces');
  assert.equal(openApiPath('/v1/faces/:id'), '/v1/faces/{id}');
  const route = defineRoute({
    method: 'POST',
    url: '/v1/things/:name',
    summary: 's',
    tag: 't',
    auth: true,
    params: { type: 'object', required: ['name'], properties: { name: { type: 'string', description: 'who' } } },
    querystring: { type: 'object', properties: { k: { type: 'integer' } } },
    images: { fields: [{ name: 'image', repeat: true }] },
    responses: { 200: { description: 'ok', schema: { type: 'object', properties: { same: { type: ['boolean', 'null'] } } } }, 204: { description: 'text' } },
    handler: async () => null,
  });
  const doc = buildOpenApi([route], { version: '1.2.3', model: 'm' }) as any;
  const op = doc.paths['/v1/things/{name}'].post;
  assert.deepEqual(op.parameters, [
    { name: 'name', in: 'path', required: true, description: 'who', schema: { type: 'string', description: 'who' } },
    { name: 'k', in: 'query', required: false, schema: { type: 'integer' } },
  ]);
  assert.deepEqual(op.responses['200'].content['application/json'].schema.properties.same, { type: 'boolean', nullable: true });
  assert.deepEqual(op.requestBody.content['multipart/form-data'].schema.properties.image, { type: 'array', items: { type: 'string', format: 'binary' } });
  assert.deepEqual(op.requestBody.content['application/json'].schema.required, ['image']);
  assert.deepEqual(op.security, [{ apiKey: [] }]);
  assert.equal(doc.info.version, '1.2.3');
  assert.equal(doc.components.securitySchemes.apiKey.name, 'x-api-key');
});

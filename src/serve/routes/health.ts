/** GET /v1/health: answers from the event loop, also while a batch runs in the worker. */
import { defineRoute } from '../route.js';

const healthSchema = {
  type: 'object',
  required: ['status', 'model', 'precision', 'queue'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    reason: { type: 'string' },
    model: { type: 'string' },
    precision: { type: 'string', enum: ['fp32', 'bf16'], description: 'the embedding network\'s compute precision' },
    queue: { type: 'object', properties: { depth: { type: 'integer' }, busy: { type: 'boolean' } } },
  },
} as const;

export const healthRoute = defineRoute({
  method: 'GET',
  url: '/v1/health',
  summary: 'Liveness and readiness: ok while the model worker runs and the server is not shutting down',
  tag: 'service',
  auth: false,
  responses: {
    200: { description: 'serving', schema: healthSchema },
    503: { description: 'not serving (worker stopped or shutting down)', schema: healthSchema },
  },
  async handler(_request, reply, ctx) {
    const why = ctx.unavailable();
    const queue = { depth: ctx.queue.depth, busy: ctx.queue.busy };
    if (why) {
      reply.code(503);
      return { status: 'unavailable', reason: why, model: ctx.model.modelId, precision: ctx.model.precision, queue };
    }
    return { status: 'ok', model: ctx.model.modelId, precision: ctx.model.precision, queue };
  },
});

/** GET /v1/metrics: Prometheus text. */
import { defineRoute } from '../route.js';

export const metricsRoute = defineRoute({
  method: 'GET',
  url: '/v1/metrics',
  summary: 'Prometheus metrics: requests by route and status, latency histograms, batch sizes, queue depth',
  tag: 'service',
  auth: true,
  produces: 'text/plain; version=0.0.4',
  responses: { 200: { description: 'Prometheus text exposition format' } },
  async handler(_request, reply, ctx) {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return ctx.metrics.registry.render();
  },
});

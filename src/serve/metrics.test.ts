import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Histogram, Registry } from './metrics.js';

test('metrics: Prometheus text of a counter, a gauge and a cumulative histogram with labels', () => {
  const r = new Registry();
  const c = r.add(new Counter('req_total', 'requests'));
  c.inc({ route: '/a', status: '200' });
  c.inc({ route: '/a', status: '200' }, 2);
  c.inc({ route: 'say "hi"\\' });
  let depth = 3;
  r.add(new Gauge('depth', 'waiting', () => depth));
  const h = r.add(new Histogram('lat_seconds', 'latency', [0.1, 1]));
  h.observe(0.05, { route: '/a' });
  h.observe(0.5, { route: '/a' });
  h.observe(7, { route: '/a' });
  depth = 4;
  assert.equal(
    r.render(),
    [
      '# HELP req_total requests',
      '# TYPE req_total counter',
      'req_total{route="/a",status="200"} 3',
      'req_total{route="say \\"hi\\"\\\\"} 1',
      '# HELP depth waiting',
      '# TYPE depth gauge',
      'depth 4',
      '# HELP lat_seconds latency',
      '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{route="/a",le="0.1"} 1',
      'lat_seconds_bucket{route="/a",le="1"} 2',
      'lat_seconds_bucket{route="/a",le="+Inf"} 3',
      'lat_seconds_sum{route="/a"} 7.55',
      'lat_seconds_count{route="/a"} 3',
      '',
    ].join('\n'),
  );
  assert.equal(c.get({ route: '/a', status: '200' }), 3);
  assert.throws(() => new Histogram('x', 'x', [1, 1]), /ascend/);
});

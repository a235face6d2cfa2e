import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricHistory, Series } from './metric-history.js';
import { niceTicks, renderCurvesSvg } from './curves-svg.js';

test('a series stays within its point budget however long the run', () => {
  const series = new Series(100);
  for (let i = 0; i < 100_000; i++) series.push(i, i % 7);
  assert.ok(series.length <= 101, `${series.length} points`);
  const pts = series.points();
  assert.ok(pts[0]!.x < 2000 && pts[pts.length - 1]!.x > 98_000);
  assert.ok(pts.every((p) => p.y >= 0 && p.y <= 6));
});

test('the SVG has the loss, accuracy (training, validation, LFW) and learning-rate curves', () => {
  const h = new MetricHistory();
  for (let step = 1; step <= 50; step++) h.add({ kind: 'step', step, loss: 5 / step, crossEntropy: 4 / step, accuracy: step / 50, lr: step < 25 ? 0.1 : 0.01 });
  h.add({ kind: 'validation', step: 25, loss: 1, accuracy: 0.5 });
  h.add({ kind: 'lfw', step: 25, accuracy: 0.6 });
  h.add({ kind: 'lfw', step: 50, accuracy: 0.7 });
  const svg = renderCurvesSvg(h, 'run <1>');
  assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'));
  for (const label of ['total loss', 'cross-entropy', 'training accuracy', 'validation accuracy', 'LFW accuracy', 'learning rate', 'run &lt;1&gt;']) {
    assert.ok(svg.includes(label), label);
  }
  assert.equal((svg.match(/<polyline/g) ?? []).length, 5); // loss, CE, accuracy, LFW, lr (validation: single points)
  assert.ok(!svg.includes('NaN'));
  assert.ok(renderCurvesSvg(new MetricHistory(), 'empty').includes('no data yet'));
});

test('nice ticks', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 50), [0, 10, 20, 30, 40, 50]);
});

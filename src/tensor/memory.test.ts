/**
 * Memory: a small conv net trains for 1,000 steps with tidy() around each step; the number of live
 * tensor handles must not change and the process RSS must stay flat. Also the live-tensor and
 * byte accounting itself.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  tensor,
  zeros,
  ones,
  randn,
  randint,
  manualSeed,
  tidy,
  liveTensors,
  conv2d,
  batchNorm,
  adaptiveAvgPool2d,
  linear,
  crossEntropy,
  createOptimizer,
} from './index.js';

describe('live-tensor accounting', () => {
  test('count and bytes follow creation and dispose', () => {
    const before = liveTensors();
    const a = zeros([10]); // 40 bytes
    const b = ones([3, 4], { dtype: 'float64' }); // 96 bytes
    const c = tensor([1, 2], undefined, { dtype: 'int64' }); // 16 bytes
    const mid = liveTensors();
    assert.equal(mid.count - before.count, 3);
    assert.equal(mid.bytes - before.bytes, 40 + 96 + 16);
    a.dispose();
    a.dispose(); // a second dispose is harmless
    assert.equal(a.isDisposed, true);
    assert.equal(liveTensors().count, mid.count - 1);
    b.dispose();
    c.dispose();
    assert.deepEqual(liveTensors(), before);
  });

  test('a view is its own handle: disposing the base does not invalidate the view', () => {
    const before = liveTensors().count;
    const base = tensor([1, 2, 3, 4]);
    const view = base.slice(0, 1, 3);
    base.dispose();
    assert.deepEqual(view.toArray(), [2, 3]);
    view.dispose();
    assert.equal(liveTensors().count, before);
  });
});

describe('garbage collection', () => {
  test('the GC frees handles that were never disposed and leaves disposed ones alone', async () => {
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const before = liveTensors().count;
    (() => {
      for (let i = 0; i < 5000; i++) {
        const t = zeros([16]);
        if (i % 2 === 0) t.dispose();
      }
    })();
    assert.equal(liveTensors().count - before, 2500);
    // Node runs Node-API finalizers after a GC from the event loop
    for (let k = 0; k < 10 && liveTensors().count > before; k++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(liveTensors().count, before);
  });
});

describe('training loop', () => {
  test('1,000 steps of conv + batchNorm + relu + pool + linear + crossEntropy + SGD momentum leak nothing', () => {
    const started = Date.now();
    manualSeed(2024);
    const N = 8, classes = 4;
    // parameters live outside every scope
    const w1 = tidy(() => randn([8, 3, 3, 3]).mul(0.2)).requiresGrad_();
    const b1 = zeros([8]).requiresGrad_();
    const gamma = ones([8]).requiresGrad_();
    const beta = zeros([8]).requiresGrad_();
    const runningMean = zeros([8]);
    const runningVar = ones([8]);
    const w2 = tidy(() => randn([classes, 8]).mul(0.3)).requiresGrad_();
    const b2 = zeros([classes]).requiresGrad_();
    const params = [w1, b1, gamma, beta, w2, b2];
    const opt = createOptimizer('sgd', params, { lr: 0.05, momentum: 0.9 });
    const x = randn([N, 3, 16, 16]);
    const y = randint(0, classes, [N]);

    let countAt10 = -1;
    let rssAt100 = 0;
    let firstLoss = NaN;
    let lastLoss = NaN;
    for (let step = 1; step <= 1000; step++) {
      const loss = tidy(() => {
        let h = conv2d(x, w1, b1, { padding: 1 });
        h = batchNorm(h, { weight: gamma, bias: beta, runningMean, runningVar, training: true, momentum: 0.1 });
        h = adaptiveAvgPool2d(h.relu(), 1).flatten(1);
        const l = crossEntropy(linear(h, w2, b2), y);
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l.item();
      });
      if (step === 1) firstLoss = loss;
      lastLoss = loss;
      if (step === 10) countAt10 = liveTensors().count;
      if (step === 100) rssAt100 = process.memoryUsage().rss;
    }
    const countAt1000 = liveTensors().count;
    const rssGrowth = (process.memoryUsage().rss - rssAt100) / 2 ** 20;
    const seconds = (Date.now() - started) / 1000;

    assert.equal(countAt1000, countAt10, `live tensor handles: ${countAt10} after step 10, ${countAt1000} after step 1000`);
    assert.ok(rssGrowth < 30, `RSS grew by ${rssGrowth.toFixed(1)} MiB between step 100 and step 1000`);
    // it did train: a fixed batch is memorised
    assert.ok(Number.isFinite(lastLoss) && lastLoss < firstLoss / 4, `loss ${firstLoss} -> ${lastLoss}`);
    // the running statistics moved away from their initial values
    assert.notDeepEqual(runningMean.toArray(), new Array(8).fill(0));
    assert.ok(seconds < 20, `took ${seconds}s`);

    opt.dispose();
    for (const t of [...params, runningMean, runningVar, x, y]) t.dispose();
  });
});

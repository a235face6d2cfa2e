import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brentq } from './brentq.js';

test('brentq returns scipy.optimize.brentq\'s value bit for bit', () => {
  assert.equal(brentq((x) => x * x - 2, 0, 2), 1.4142135623731364); // scipy 1.17
  assert.equal(brentq((x) => Math.cos(x) - x, 0, 1), 0.7390851332151559);
  assert.ok(Math.abs(brentq((x) => x * x - 2, 0, 2) - Math.SQRT2) < 1e-12);
});

test('brentq: exact roots at the ends, and sign errors', () => {
  assert.equal(brentq((x) => x, 0, 1), 0);
  assert.equal(brentq((x) => x - 1, 0, 1), 1);
  assert.throws(() => brentq((x) => x * x + 1, -1, 1), { code: 'BAD_ARGUMENT' });
  assert.throws(() => brentq(() => NaN, 0, 1), { code: 'BAD_ARGUMENT' });
});

test('brentq on a piecewise-linear function (the EER case)', () => {
  // 1 - x - tpr(x) with tpr rising from 0.9 at x=0 to 1 at x=0.2: root where 1 - x = 0.9 + x/2.
  const root = brentq((x) => 1 - x - Math.min(1, 0.9 + x / 2), 0, 1);
  assert.ok(Math.abs(root - 0.1 / 1.5) < 1e-12);
});

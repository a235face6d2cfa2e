/**
 * Optimisers against their update formulas, computed in JS float64 for three steps on a tiny
 * quadratic problem; the lr setter; saveState/loadState round trips; wrong-kind and broken states.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, liveTensors, createOptimizer, type Optimizer, type OptimizerKind, type OptimizerOptions, type Tensor } from './index.js';
import { FacenetError } from '../errors.js';

// The problem: two float64 parameters, loss = sum(C_p * p^2) + sum(C_q * (q - 1)^2), so that
// dL/dp = 2 C_p p and dL/dq = 2 C_q (q - 1).
const P0 = [1, -2, 0.5];
const Q0 = [0.3, -0.7];
const CP = [1, 2, 3];
const CQ = [0.5, 4];
const grads = (p: number[], q: number[]) => [p.map((v, i) => 2 * CP[i]! * v), q.map((v, i) => 2 * CQ[i]! * (v - 1))];

function makeParams(p = P0, q = Q0): Tensor[] {
  return [tensor(p, undefined, { dtype: 'float64' }).requiresGrad_(), tensor(q, undefined, { dtype: 'float64' }).requiresGrad_()];
}

/** One training step with the engine: loss, backward, step, zeroGrad. */
function engineStep(opt: Optimizer, [p, q]: Tensor[]): void {
  tidy(() => {
    const loss = p!.square().mul(tensor(CP, undefined, { dtype: 'float64' })).sum().add(q!.sub(1).square().mul(tensor(CQ, undefined, { dtype: 'float64' })).sum());
    loss.backward();
    opt.step();
    opt.zeroGrad();
  });
}

function assertClose(actual: number[], expected: number[], tol: number, msg: string): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) assert.fail(`${msg}[${i}]: got ${a}, expected ${e}`);
  });
}

/** A per-element reference update rule with its state; returns the updated value. */
type Rule = (x: number, g: number, s: Record<string, number>, step: number) => number;

/** Runs the engine and the reference side by side for `steps` steps and compares after each. */
function compare(kind: OptimizerKind, o: OptimizerOptions, rule: Rule, steps = 3, tol = 1e-12): void {
  tidy(() => {
    const params = makeParams();
    const opt = createOptimizer(kind, params, o);
    let p = [...P0];
    let q = [...Q0];
    const stateP = P0.map(() => ({}) as Record<string, number>);
    const stateQ = Q0.map(() => ({}) as Record<string, number>);
    for (let step = 1; step <= steps; step++) {
      engineStep(opt, params);
      const [gp, gq] = grads(p, q);
      p = p.map((x, i) => rule(x, gp![i]!, stateP[i]!, step));
      q = q.map((x, i) => rule(x, gq![i]!, stateQ[i]!, step));
      assertClose(params[0]!.toArray(), p, tol, `${kind} step ${step} p`);
      assertClose(params[1]!.toArray(), q, tol, `${kind} step ${step} q`);
    }
    // the parameters did move
    assert.notDeepEqual(params[0]!.toArray(), P0);
    opt.dispose();
  });
}

describe('update formulas, three steps each', () => {
  test('SGD plain: p -= lr g', () => {
    const lr = 0.1;
    compare('sgd', { lr }, (x, g) => x - lr * g);
  });

  test('SGD with weight decay: g += wd p', () => {
    const lr = 0.1, wd = 0.05;
    compare('sgd', { lr, weightDecay: wd }, (x, g) => x - lr * (g + wd * x));
  });

  test('SGD momentum (buffer starts as the first gradient) with dampening', () => {
    const lr = 0.05, m = 0.9, damp = 0.3;
    compare('sgd', { lr, momentum: m, dampening: damp }, (x, g, s) => {
      s.buf = s.buf === undefined ? g : m * s.buf + (1 - damp) * g;
      return x - lr * s.buf;
    });
  });

  test('SGD nesterov: step along g + m buf', () => {
    const lr = 0.05, m = 0.8, wd = 0.01;
    compare('sgd', { lr, momentum: m, nesterov: true, weightDecay: wd }, (x, g0, s) => {
      const g = g0 + wd * x;
      s.buf = s.buf === undefined ? g : m * s.buf + g;
      return x - lr * (g + m * s.buf);
    });
  });

  const adamRule = (lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean, amsgrad = false): Rule => (x0, g0, s, t) => {
    let x = x0;
    let g = g0;
    if (decoupled) x = x * (1 - lr * wd);
    else if (wd !== 0) g = g + wd * x0;
    s.m = b1 * (s.m ?? 0) + (1 - b1) * g;
    s.v = b2 * (s.v ?? 0) + (1 - b2) * g * g;
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    let v = s.v;
    if (amsgrad) {
      s.vmax = Math.max(s.vmax ?? 0, s.v);
      v = s.vmax;
    }
    const denom = Math.sqrt(v) / Math.sqrt(bc2) + eps;
    return x - (lr / bc1) * (s.m / denom);
  };

  test('Adam with bias correction (defaults beta 0.9/0.999, eps 1e-8)', () => {
    compare('adam', { lr: 0.1 }, adamRule(0.1, 0.9, 0.999, 1e-8, 0, false));
  });

  test('Adam with custom betas, a large eps, L2 weight decay and amsgrad', () => {
    compare('adam', { lr: 0.05, beta1: 0.8, beta2: 0.9, eps: 0.1, weightDecay: 0.1, amsgrad: true }, adamRule(0.05, 0.8, 0.9, 0.1, 0.1, false, true));
  });

  test('AdamW: decoupled weight decay p *= 1 - lr wd (default wd 0.01)', () => {
    compare('adamw', { lr: 0.1 }, adamRule(0.1, 0.9, 0.999, 1e-8, 0.01, true));
    compare('adamw', { lr: 0.05, weightDecay: 0.5, eps: 1e-3 }, adamRule(0.05, 0.9, 0.999, 1e-3, 0.5, true));
  });

  test('Adagrad with initialAccumulatorValue, eps, lrDecay and weight decay', () => {
    const lr = 0.5, init = 0.2, eps = 0.01, decay = 0.1, wd = 0.05;
    compare('adagrad', { lr, initialAccumulatorValue: init, eps, lrDecay: decay, weightDecay: wd }, (x, g0, s, t) => {
      const g = g0 + wd * x;
      s.sum = (s.sum ?? init) + g * g;
      const clr = lr / (1 + (t - 1) * decay);
      return x - (clr * g) / (Math.sqrt(s.sum) + eps);
    });
  });

  test('Adagrad defaults (eps 1e-10, no initial accumulator)', () => {
    const lr = 0.1;
    compare('adagrad', { lr }, (x, g, s) => {
      s.sum = (s.sum ?? 0) + g * g;
      return x - (lr * g) / (Math.sqrt(s.sum) + 1e-10);
    });
  });

  const rmsRule = (lr: number, alpha: number, eps: number, momentum: number, centered: boolean, wd = 0): Rule => (x, g0, s) => {
    const g = g0 + wd * x;
    s.sq = alpha * (s.sq ?? 0) + (1 - alpha) * g * g;
    let avg: number;
    if (centered) {
      s.ga = alpha * (s.ga ?? 0) + (1 - alpha) * g;
      avg = Math.sqrt(s.sq - s.ga * s.ga) + eps;
    } else {
      avg = Math.sqrt(s.sq) + eps;
    }
    if (momentum > 0) {
      s.buf = momentum * (s.buf ?? 0) + g / avg;
      return x - lr * s.buf;
    }
    return x - (lr * g) / avg;
  };

  test('RMSprop plain (alpha, eps)', () => {
    compare('rmsprop', { lr: 0.01, alpha: 0.9, eps: 1e-3 }, rmsRule(0.01, 0.9, 1e-3, 0, false));
  });
  test('RMSprop with momentum and weight decay', () => {
    compare('rmsprop', { lr: 0.01, alpha: 0.95, eps: 1e-4, momentum: 0.7, weightDecay: 0.1 }, rmsRule(0.01, 0.95, 1e-4, 0.7, false, 0.1));
  });
  test('RMSprop centered (with momentum)', () => {
    compare('rmsprop', { lr: 0.01, alpha: 0.9, eps: 1e-3, centered: true, momentum: 0.5 }, rmsRule(0.01, 0.9, 1e-3, 0.5, true));
  });

  const adadeltaRule = (lr: number, rho: number, eps: number, wd = 0): Rule => (x, g0, s) => {
    const g = g0 + wd * x;
    s.sq = rho * (s.sq ?? 0) + (1 - rho) * g * g;
    const delta = (Math.sqrt((s.acc ?? 0) + eps) / Math.sqrt(s.sq + eps)) * g;
    s.acc = rho * (s.acc ?? 0) + (1 - rho) * delta * delta;
    return x - lr * delta;
  };

  test('Adadelta defaults (lr 1, rho 0.9, eps 1e-6)', () => {
    compare('adadelta', {}, adadeltaRule(1, 0.9, 1e-6));
  });
  test('Adadelta with lr, rho, eps and weight decay', () => {
    compare('adadelta', { lr: 0.5, rho: 0.8, eps: 1e-3, weightDecay: 0.1 }, adadeltaRule(0.5, 0.8, 1e-3, 0.1));
  });

  test('a parameter without a gradient is left alone', () => {
    tidy(() => {
      for (const kind of ['sgd', 'adam', 'adadelta'] as OptimizerKind[]) {
        const [p, q] = makeParams();
        const opt = createOptimizer(kind, [p!, q!], { lr: 0.1 });
        p!.square().sum().backward(); // q takes no part
        opt.step();
        assert.deepEqual(q!.toArray(), Q0, kind);
        assert.notDeepEqual(p!.toArray(), P0, kind);
        opt.dispose();
      }
    });
  });
});

describe('learning rate', () => {
  for (const kind of ['sgd', 'adadelta'] as OptimizerKind[]) {
    test(`${kind}: the lr setter takes effect on the next step`, () => {
      tidy(() => {
        const params = makeParams();
        const opt = createOptimizer(kind, params, { lr: 0.1 });
        assert.equal(opt.lr, 0.1);
        engineStep(opt, params);
        opt.lr = 0; // a zero learning rate freezes the parameters
        assert.equal(opt.lr, 0);
        const before = params.map((t) => t.toArray());
        engineStep(opt, params);
        assert.deepEqual(params.map((t) => t.toArray()), before);
        opt.lr = 0.01;
        engineStep(opt, params);
        assert.notDeepEqual(params.map((t) => t.toArray()), before);
        opt.dispose();
      });
    });
  }

  test('sgd: a changed lr scales the step exactly', () => {
    tidy(() => {
      const params = makeParams();
      const opt = createOptimizer('sgd', params, { lr: 0.1 });
      engineStep(opt, params);
      const p1 = params[0]!.toArray();
      opt.lr = 0.025;
      engineStep(opt, params);
      assertClose(params[0]!.toArray(), p1.map((x, i) => x - 0.025 * 2 * CP[i]! * x), 1e-15, 'p2');
      opt.dispose();
    });
  });

  test('a negative lr is refused', () => {
    tidy(() => {
      const opt = createOptimizer('adam', makeParams(), { lr: 0.1 });
      assert.throws(() => {
        opt.lr = -1;
      }, { name: 'FacenetError', code: 'BAD_ARGUMENT' });
      assert.equal(opt.lr, 0.1);
      opt.dispose();
    });
  });
});

describe('saveState / loadState', () => {
  const variants: [OptimizerKind, OptimizerOptions][] = [
    ['sgd', { lr: 0.05, momentum: 0.9 }],
    ['sgd', { lr: 0.05, momentum: 0.9, nesterov: true }],
    ['adam', { lr: 0.05, amsgrad: true }],
    ['adamw', { lr: 0.05, weightDecay: 0.1 }],
    ['adagrad', { lr: 0.3, initialAccumulatorValue: 0.1 }],
    ['rmsprop', { lr: 0.01, momentum: 0.5, centered: true }],
    ['adadelta', { lr: 0.7 }],
  ];
  for (const [kind, o] of variants) {
    test(`${kind} ${JSON.stringify(o)}: a restored optimizer takes exactly the same next step`, () => {
      tidy(() => {
        const a = makeParams();
        const optA = createOptimizer(kind, a, o);
        engineStep(optA, a);
        engineStep(optA, a);
        const state = optA.saveState();
        assert.ok(Buffer.isBuffer(state) && state.length > 0);
        // a fresh optimizer over copies of the current parameters, with the saved state
        const b = makeParams(a[0]!.toArray(), a[1]!.toArray());
        const optB = createOptimizer(kind, b, o);
        optB.loadState(state);
        // a third, without the state, must differ (or the test would prove nothing)
        const c = makeParams(a[0]!.toArray(), a[1]!.toArray());
        const optC = createOptimizer(kind, c, o);
        engineStep(optA, a);
        engineStep(optB, b);
        engineStep(optC, c);
        assert.deepEqual(b[0]!.toArray(), a[0]!.toArray());
        assert.deepEqual(b[1]!.toArray(), a[1]!.toArray());
        assert.notDeepEqual(c[0]!.toArray(), a[0]!.toArray());
        // and they stay in step
        engineStep(optA, a);
        engineStep(optB, b);
        assert.deepEqual(b[0]!.toArray(), a[0]!.toArray());
        for (const opt of [optA, optB, optC]) opt.dispose();
      });
    });
  }

  test('loading a state of another kind is refused with a FacenetError, for every pair of kinds', () => {
    tidy(() => {
      const kinds: OptimizerKind[] = ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop', 'adadelta'];
      const opts = (k: OptimizerKind): OptimizerOptions => (k === 'sgd' || k === 'rmsprop' ? { lr: 0.1, momentum: 0.9 } : { lr: 0.1 });
      const states = new Map<OptimizerKind, Buffer>();
      for (const k of kinds) {
        const ps = makeParams();
        const opt = createOptimizer(k, ps, opts(k));
        engineStep(opt, ps);
        states.set(k, opt.saveState());
        opt.dispose();
      }
      for (const k of kinds) {
        for (const j of kinds) {
          if (j === k) continue;
          const ps = makeParams();
          const opt = createOptimizer(k, ps, opts(k));
          assert.throws(
            () => opt.loadState(states.get(j)!),
            (e: unknown) => e instanceof FacenetError && e.code === 'BAD_FILE' && e.message.length > 20,
            `loading ${j} state into ${k}`,
          );
          // and the optimizer still works
          engineStep(opt, ps);
          opt.dispose();
        }
      }
    });
  });

  test('a state for other parameters, or garbage, is refused', () => {
    tidy(() => {
      for (const kind of ['adam', 'adadelta'] as OptimizerKind[]) {
        const ps = makeParams();
        const opt = createOptimizer(kind, ps, { lr: 0.1 });
        engineStep(opt, ps);
        const state = opt.saveState();
        const other = createOptimizer(kind, [tensor([1], undefined, { dtype: 'float64' }).requiresGrad_()], { lr: 0.1 });
        assert.throws(() => other.loadState(state), { name: 'FacenetError', code: 'BAD_FILE' });
        assert.throws(() => opt.loadState(Buffer.from('not an optimizer state')), { name: 'FacenetError', code: 'BAD_FILE' });
        assert.throws(() => opt.loadState(state.subarray(0, state.length - 3)), { name: 'FacenetError', code: 'BAD_FILE' });
        opt.loadState(state); // the real one still loads
        opt.dispose();
        other.dispose();
      }
    });
  });
});

describe('construction and lifetime', () => {
  test('bad parameters and options are refused with BAD_ARGUMENT', () => {
    tidy(() => {
      assert.throws(() => createOptimizer('sgd', []), { name: 'FacenetError', code: 'BAD_ARGUMENT', message: /no parameters/ });
      assert.throws(() => createOptimizer('sgd', [tensor([1])]), { code: 'BAD_ARGUMENT', message: /requiresGrad/ });
      const leaf = tensor([1]).requiresGrad_();
      assert.throws(() => createOptimizer('adam', [leaf.mul(2)]), { code: 'BAD_ARGUMENT', message: /leaf/ });
      assert.throws(() => createOptimizer('lbfgs' as OptimizerKind, [leaf]), { code: 'BAD_ARGUMENT', message: /unknown kind/ });
      assert.throws(() => createOptimizer('sgd', [leaf], { lr: 0.1, nesterov: true }), { code: 'BAD_ARGUMENT', message: /[Nn]esterov/ });
    });
  });

  test('a disposed optimizer throws DISPOSED instead of crashing', () => {
    tidy(() => {
      const ps = makeParams();
      const opt = createOptimizer('adam', ps, { lr: 0.1 });
      opt.dispose();
      assert.throws(() => opt.step(), { name: 'FacenetError', code: 'DISPOSED' });
      assert.throws(() => opt.saveState(), { name: 'FacenetError', code: 'DISPOSED' });
      assert.throws(() => opt.lr, { name: 'FacenetError', code: 'DISPOSED' });
    });
  });

  test('stepping outside tidy() leaves no tensor handles behind (adadelta is written in TS)', () => {
    const ps = makeParams();
    for (const kind of ['adadelta', 'adam', 'sgd'] as OptimizerKind[]) {
      const opt = createOptimizer(kind, ps, { lr: 0.01, weightDecay: 0.1 });
      engineStep(opt, ps); // warm up: optimizer state exists
      const before = liveTensors().count;
      for (let i = 0; i < 5; i++) {
        tidy(() => ps[0]!.square().sum().add(ps[1]!.square().sum()).backward());
        opt.step(); // outside any scope
        opt.zeroGrad();
      }
      assert.equal(liveTensors().count, before, kind);
      opt.dispose();
    }
    for (const p of ps) p.dispose();
  });
});

/**
 * Precision choices (parsing, 'auto' from CPU flags, the fp16 refusal, the emulation warning), the
 * autocast scope (what runs in bfloat16, float32 master gradients, state restored), and bf16
 * prepacked convolutions against float32 ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parsePrecision,
  resolvePrecision,
  bf16FlagsIn,
  autocast,
  isAutocastEnabled,
  conv2d,
  linear,
  randn,
  manualSeed,
  tidy,
  noGrad,
  PackedConv2d,
  liveTensors,
} from './index.js';
import { FacenetError } from '../errors.js';

test('parsePrecision: fp32 / bf16 / auto pass, unknown names and fp16 are refused with why', () => {
  assert.equal(parsePrecision('fp32'), 'fp32');
  assert.equal(parsePrecision('bf16'), 'bf16');
  assert.equal(parsePrecision('auto'), 'auto');
  assert.throws(() => parsePrecision('bfloat16'), /unknown precision 'bfloat16'/);
  assert.throws(() => parsePrecision('int8', '--precision'), (e: unknown) => e instanceof FacenetError && e.code === 'BAD_ARGUMENT' && /--precision: unknown precision 'int8' \(expected one of: fp32, bf16, auto\)/.test(e.message));
  for (const v of ['fp16', 'FP16', 'float16', 'half']) {
    assert.throws(() => parsePrecision(v), (e: unknown) => e instanceof FacenetError && /fp16 is not supported on CPU: libtorch has no fast float16 convolutions/.test(e.message));
  }
});

test('bf16FlagsIn: finds amx_bf16 / avx512_bf16 in a cpuinfo flags line, nothing without them', () => {
  const intel = 'processor\t: 0\nflags\t\t: fpu sse avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\nbogomips: 1\n';
  assert.deepEqual(bf16FlagsIn(intel), ['amx_bf16', 'avx512_bf16']);
  assert.deepEqual(bf16FlagsIn('flags\t: fpu sse avx2 avx512f avx512_bf16\n'), ['avx512_bf16']); // Zen 4
  assert.deepEqual(bf16FlagsIn('flags\t: fpu sse avx2 avx512f\n'), []);
  assert.deepEqual(bf16FlagsIn('Features\t: fp asimd bf16\n'), []); // arm's bf16 is not a matrix unit we use
  assert.deepEqual(bf16FlagsIn(''), []);
});

test('resolvePrecision: auto follows the CPU, bf16 without native support warns, default fp32', () => {
  assert.deepEqual(resolvePrecision('auto', ['amx_bf16']), { precision: 'bf16', warning: null });
  assert.deepEqual(resolvePrecision('auto', []), { precision: 'fp32', warning: null });
  assert.deepEqual(resolvePrecision(undefined, ['amx_bf16']), { precision: 'fp32', warning: null });
  assert.deepEqual(resolvePrecision('fp32', ['amx_bf16']), { precision: 'fp32', warning: null });
  assert.deepEqual(resolvePrecision('bf16', ['avx512_bf16']), { precision: 'bf16', warning: null });
  const slow = resolvePrecision('bf16', []);
  assert.equal(slow.precision, 'bf16');
  assert.match(slow.warning ?? '', /no native bf16 matrix instructions.*slower than fp32/);
});

test('autocast: conv and linear compute in bfloat16, gradients of float32 weights arrive in float32, state restored', () => {
  manualSeed(2);
  const before = liveTensors().count;
  tidy(() => {
    const w = randn([8, 4, 3, 3]).requiresGrad_(true);
    const lw = randn([5, 8]).requiresGrad_(true);
    const x = randn([2, 4, 9, 9]);
    assert.equal(isAutocastEnabled(), false);
    const { y, z } = autocast('bfloat16', () => {
      assert.equal(isAutocastEnabled(), true);
      const y = conv2d(x, w, null, { padding: 1 });
      const pooled = y.mean([2, 3]);
      return { y, z: linear(pooled, lw) };
    });
    assert.equal(isAutocastEnabled(), false);
    assert.equal(y.dtype, 'bfloat16');
    assert.equal(z.dtype, 'bfloat16');
    // outside the scope the same ops are float32 again
    assert.equal(conv2d(x, w, null, { padding: 1 }).dtype, 'float32');
    z.float().sum().backward();
    assert.equal(w.grad!.dtype, 'float32');
    assert.equal(lw.grad!.dtype, 'float32');
    // the bf16 result is close to float32's (8-bit mantissa: ~3 significant digits)
    const ref = noGrad(() => conv2d(x, w, null, { padding: 1 }));
    const a = ref.toFloat32();
    const b = y.toFloat32();
    let err = 0;
    let mag = 0;
    for (let i = 0; i < a.length; i++) {
      err = Math.max(err, Math.abs(a[i]! - b[i]!));
      mag = Math.max(mag, Math.abs(a[i]!));
    }
    assert.ok(err > 0, 'bf16 differs from float32 at all (it really ran in bf16)');
    assert.ok(err < 0.02 * mag, `bf16 conv error ${err} vs magnitude ${mag}`);
  });
  // an exception inside the scope still restores the state
  assert.throws(() => autocast('bfloat16', () => { throw new Error('boom'); }), /boom/);
  assert.equal(isAutocastEnabled(), false);
  assert.equal(liveTensors().count, before);
});

test('PackedConv2d in bfloat16: bf16 weights and input, float32 bias, fused ReLU and residual, close to float32', () => {
  manualSeed(3);
  const before = liveTensors().count;
  tidy(() => {
    for (const format of ['channels_last', 'contiguous'] as const) {
      const w = randn([16, 8, 3, 3]).mul(0.1).contiguous(format);
      const b = randn([16]);
      const x = randn([3, 8, 11, 11]).contiguous(format);
      const r = randn([3, 16, 11, 11]).contiguous(format);
      const f32 = new PackedConv2d(w, b, { padding: 1, relu: false });
      const bf = new PackedConv2d(w.to('bfloat16'), b, { padding: 1, relu: false });
      const want = noGrad(() => f32.forward(x, { add: r, reluAfter: true }));
      const got = noGrad(() => bf.forward(x.to('bfloat16'), { add: r.to('bfloat16'), reluAfter: true }));
      assert.equal(got.dtype, 'bfloat16');
      const a = want.toFloat32();
      const g = got.toFloat32();
      let err = 0;
      for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i]! - g[i]!) / (1 + Math.abs(a[i]!)));
      assert.ok(err < 0.03, `${format}: relative error ${err}`);
      assert.ok(g.every((v) => v >= 0), 'ReLU after the residual');
      // with autograd on the input it falls back to conv2d (bias cast to bf16) and agrees
      const xg = x.to('bfloat16').requiresGrad_(true);
      const fb = bf.forward(xg).toFloat32();
      const plain = noGrad(() => bf.forward(x.to('bfloat16'))).toFloat32();
      let d = 0;
      for (let i = 0; i < fb.length; i++) d = Math.max(d, Math.abs(fb[i]! - plain[i]!) / (1 + Math.abs(plain[i]!)));
      // 0.05, not 0.03: where oneDNN has no bf16 kernels (AVX2-only CPUs) the autograd path is
      // libtorch's own bf16 convolution, which rounds partial sums (3.2% measured on an EPYC Zen 3)
      assert.ok(d < 0.05, `fallback vs packed: ${d}`);
      f32.dispose();
      bf.dispose();
    }
  });
  assert.equal(liveTensors().count, before);
});

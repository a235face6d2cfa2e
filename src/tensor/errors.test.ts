/**
 * Bad input never kills the process: wrong shapes, wrong dtypes, disposed tensors, out-of-range
 * indices, bad dtype names and shapes, mismatched typed arrays, backward without grad... each
 * throws a FacenetError with a code and a useful message, leaks no handle, and the engine keeps
 * working afterwards.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor,
  zeros,
  ones,
  randn,
  randint,
  randperm,
  full,
  manualSeed,
  setNumThreads,
  cudaAvailable,
  tidy,
  liveTensors,
  grad,
  conv2d,
  batchNorm,
  linear,
  prelu,
  softmax,
  maxPool2d,
  dropout,
  crossEntropy,
  nllLoss,
  interpolate,
  affineGrid,
  gridSample,
  pad,
  oneHot,
  cat,
  stack,
  where,
  indexAdd,
  createOptimizer,
  type Dtype,
  type Tensor,
} from './index.js';
import { FacenetError, type FacenetErrorCode } from '../errors.js';

/**
 * Asserts that fn throws a FacenetError with this code and a message matching re. fn runs inside
 * tidy(), which frees the argument tensors it creates, so a handle left behind would be one that the
 * failing op itself made.
 */
function throwsFacenet(fn: () => unknown, code: FacenetErrorCode, re: RegExp): void {
  const before = liveTensors().count;
  let caught: unknown;
  try {
    tidy(() => {
      fn();
    });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected a ${code} FacenetError, nothing was thrown`);
  assert.ok(caught instanceof FacenetError, `expected a FacenetError, got ${String(caught)}`);
  assert.equal(caught.name, 'FacenetError');
  assert.equal(caught.code, code, `code of: ${caught.message}`);
  assert.match(caught.message, re);
  assert.equal(liveTensors().count, before, `a failing op left a handle behind (${caught.message})`);
}

const i64 = (v: number[], shape?: number[]) => tensor(v, shape, { dtype: 'int64' });

/** Inputs for the error cases, created once, outside the measured calls. */
let m23: Tensor, m33: Tensor, v3: Tensor, img: Tensor, w: Tensor, idx5: Tensor, idxNeg: Tensor, idxFloat: Tensor;
function setup(): void {
  m23 = zeros([2, 3]);
  m33 = zeros([3, 3]);
  v3 = tensor([1, 2, 3]);
  img = zeros([1, 3, 8, 8]);
  w = zeros([4, 3, 3, 3]);
  idx5 = i64([5]);
  idxNeg = i64([-1]);
  idxFloat = tensor([0]);
}
setup();

describe('wrong shapes', () => {
  test('matmul / linear with mismatched inner dims', () => {
    throwsFacenet(() => m23.matmul(m23), 'NATIVE', /matmul.*cannot be multiplied \(2x3 and 2x3\)/);
    throwsFacenet(() => linear(m23, zeros([4, 2])), 'NATIVE', /linear.*cannot be multiplied/);
  });
  test('conv2d with a 2-D input, with a wrong channel count, with a too large kernel, with bad groups', () => {
    throwsFacenet(() => conv2d(m23, w), 'BAD_ARGUMENT', /conv2d: input must be \[N,C,H,W\].*got 2 dims/);
    throwsFacenet(() => conv2d(img, zeros([4, 3, 3])), 'BAD_ARGUMENT', /weight must be/);
    throwsFacenet(() => conv2d(zeros([1, 2, 8, 8]), w), 'NATIVE', /expected input\[1, 2, 8, 8\] to have 3 channels/);
    throwsFacenet(() => conv2d(zeros([1, 3, 2, 2]), w), 'NATIVE', /[Kk]ernel size can't be greater than actual input size/);
    throwsFacenet(() => conv2d(img, w, null, { groups: 2 }), 'NATIVE', /groups/);
  });
  test('broadcasting, reshape, expand, cat, stack mismatches', () => {
    throwsFacenet(() => m23.add(m33), 'NATIVE', /size of tensor a \(3\) must match the size of tensor b \(3\)|must match/);
    throwsFacenet(() => m23.reshape(4, 2), 'NATIVE', /shape '\[4, 2\]' is invalid for input of size 6/);
    throwsFacenet(() => v3.expand(2, 4), 'NATIVE', /expanded size/);
    throwsFacenet(() => cat([m23, v3]), 'NATIVE', /same number of dimensions/);
    throwsFacenet(() => stack([m23, m33]), 'NATIVE', /stack expects each tensor to be equal size/);
    throwsFacenet(() => cat([]), 'BAD_ARGUMENT', /at least one tensor/);
    throwsFacenet(() => m23.copy_(m33), 'BAD_ARGUMENT', /copy_: shape \[3,3\] into \[2,3\]/);
    throwsFacenet(() => m23.add_(m33), 'NATIVE', /must match/);
  });
  test('nn ops with inconsistent parameter shapes', () => {
    throwsFacenet(() => batchNorm(img, { runningMean: zeros([2]), runningVar: ones([2]), training: false }), 'NATIVE', /running_mean should contain 3 elements not 2/);
    throwsFacenet(() => batchNorm(img, { training: false }), 'NATIVE', /running_mean must be defined in evaluation mode/);
    throwsFacenet(() => prelu(img, ones([2])), 'NATIVE', /[Mm]ismatch of parameter numbers and input channel size/);
    throwsFacenet(() => maxPool2d(zeros([1, 1, 2, 2]), 3), 'NATIVE', /[Oo]utput size is too small/);
    throwsFacenet(() => maxPool2d(img, 2, { padding: 2 }), 'NATIVE', /pad should be at most half of kernel size/);
    throwsFacenet(() => interpolate(zeros([3, 8, 8]), [4, 4]), 'BAD_ARGUMENT', /interpolate: input must be \[N,C,H,W\]/);
    throwsFacenet(() => interpolate(img, [0, 4]), 'BAD_ARGUMENT', /size must be \[h, w\] with h, w >= 1/);
    throwsFacenet(() => affineGrid(zeros([1, 2, 3]), [1, 8, 8]), 'NATIVE', /4d \(spatial\) or 5d/);
    throwsFacenet(() => gridSample(img, zeros([1, 4, 4, 3])), 'NATIVE', /grid to have size 2 in last dimension/);
    throwsFacenet(() => pad(m23, [1]), 'NATIVE', /[Pp]ad.*even/);
    throwsFacenet(() => v3.maskedFill(tensor([1, 0]).gt(0), 0), 'NATIVE', /must match/);
  });
});

describe('wrong dtypes', () => {
  test('crossEntropy with float class targets', () => {
    throwsFacenet(() => crossEntropy(m23, tensor([0, 1])), 'NATIVE', /expected scalar type Long but found Float/);
  });
  test('matmul of int64 with float32, float64 with float32', () => {
    throwsFacenet(() => i64([1, 2], [1, 2]).matmul(m23), 'NATIVE', /expected scalar type Long but found Float/);
    throwsFacenet(() => tensor([1, 2], [1, 2], { dtype: 'float64' }).matmul(m23), 'NATIVE', /expected scalar type Double but found Float/);
  });
  test('where with a non-bool condition, maskedFill with a float mask, float indices', () => {
    throwsFacenet(() => where(v3, 1, 0), 'NATIVE', /where expected condition to be a boolean tensor/);
    throwsFacenet(() => v3.maskedFill(tensor([1, 0, 1]), 0), 'BAD_ARGUMENT', /mask must be a bool tensor.*float32/);
    throwsFacenet(() => v3.maskedSelect(tensor([1, 0, 1])), 'NATIVE', /expected BoolTensor or ByteTensor for mask/);
    throwsFacenet(() => v3.indexSelect(0, idxFloat), 'NATIVE', /index_select\(\): Expected dtype int32 or int64 for index/);
    throwsFacenet(() => v3.gather(0, idxFloat), 'NATIVE', /gather.*index.*int64|Expected dtype int64 for index/);
    throwsFacenet(() => oneHot(v3, 4), 'NATIVE', /one_hot is only applicable to index tensor/);
  });
  test('mean of an integer tensor', () => {
    throwsFacenet(() => i64([1, 2]).mean(), 'NATIVE', /mean\(\): could not infer output dtype/);
  });
});

describe('disposed tensors', () => {
  test('every use of a disposed tensor throws DISPOSED, as receiver or as argument', () => {
    const t = tensor([1, 2, 3]);
    t.dispose();
    assert.equal(t.isDisposed, true);
    assert.equal(t.toString(), 'Tensor(disposed)');
    t.dispose(); // harmless
    throwsFacenet(() => t.add(1), 'DISPOSED', /tensor was disposed/);
    throwsFacenet(() => v3.add(t), 'DISPOSED', /b: tensor was disposed/);
    throwsFacenet(() => t.shape, 'DISPOSED', /disposed/);
    throwsFacenet(() => t.data(), 'DISPOSED', /disposed/);
    throwsFacenet(() => t.item(), 'DISPOSED', /disposed/);
    throwsFacenet(() => t.toArray(), 'DISPOSED', /disposed/);
    throwsFacenet(() => cat([v3, t]), 'DISPOSED', /disposed/);
    throwsFacenet(() => conv2d(img, w, t), 'DISPOSED', /bias: tensor was disposed/);
    throwsFacenet(() => t.backward(), 'DISPOSED', /disposed/);
    throwsFacenet(() => t.requiresGrad_(), 'DISPOSED', /disposed/);
    throwsFacenet(() => v3.copy_(t), 'DISPOSED', /src: tensor was disposed/);
    const p = tensor([1]).requiresGrad_();
    p.dispose();
    throwsFacenet(() => createOptimizer('sgd', [p]), 'BAD_ARGUMENT', /disposed/);
  });
});

describe('out-of-range indices and sizes', () => {
  test('indexSelect, select, gather, indexAdd, oneHot, crossEntropy targets', () => {
    throwsFacenet(() => v3.indexSelect(0, idx5), 'NATIVE', /index out of range in self/);
    throwsFacenet(() => v3.indexSelect(0, idxNeg), 'NATIVE', /index out of range in self/);
    throwsFacenet(() => m23.select(0, 2), 'NATIVE', /select\(\): index 2 out of range for tensor of size \[2, 3\] at dimension 0/);
    throwsFacenet(() => m23.select(1, -4), 'NATIVE', /index -4 out of range/);
    throwsFacenet(() => v3.gather(0, idx5), 'NATIVE', /index 5 is out of bounds for dimension 0 with size 3/);
    throwsFacenet(() => indexAdd(v3, 0, idx5, ones([1])), 'NATIVE', /index out of range in self/);
    throwsFacenet(() => zeros([3]).indexAdd_(0, idxNeg, ones([1])), 'NATIVE', /index out of range in self/);
    throwsFacenet(() => oneHot(idx5, 3), 'NATIVE', /Class values must be smaller than num_classes/);
    throwsFacenet(() => crossEntropy(m23, i64([0, 7])), 'NATIVE', /Target 7 is out of bounds/);
    throwsFacenet(() => crossEntropy(m23, i64([0, -3]), { labelSmoothing: 0.1 }), 'NATIVE', /out of bounds/);
  });
  test('slicing beyond the end is clamped (torch semantics), but a bad dim is an error', () => {
    assert.deepEqual(tidy(() => v3.slice(0, 1, 100).toArray()), [2, 3]);
    assert.deepEqual(tidy(() => v3.slice(0, 10, 20).shape), [0]);
    throwsFacenet(() => v3.slice(1, 0), 'NATIVE', /Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)/);
    throwsFacenet(() => v3.slice(0, 0, 2, 0), 'BAD_ARGUMENT', /step must be >= 1/);
  });
  test('dims out of range; topk, split, chunk, permute, flatten with bad arguments', () => {
    throwsFacenet(() => m23.sum(2), 'NATIVE', /Dimension out of range/);
    throwsFacenet(() => softmax(m23, 4), 'NATIVE', /Dimension out of range/);
    throwsFacenet(() => m23.squeeze(5), 'NATIVE', /Dimension out of range/);
    throwsFacenet(() => v3.topk(4), 'NATIVE', /selected index k out of range/);
    throwsFacenet(() => v3.chunk(0), 'NATIVE', /chunk expects `chunks` to be greater than 0/);
    throwsFacenet(() => v3.split(0), 'NATIVE', /split_size can only be 0 if dimension size is 0/);
    throwsFacenet(() => v3.split([1, 1]), 'NATIVE', /split_with_sizes expects split_sizes to sum exactly to 3/);
    throwsFacenet(() => m23.permute(0, 0), 'NATIVE', /permute|repeated dim/);
    throwsFacenet(() => m23.flatten(1, 0), 'NATIVE', /start_dim cannot come after end_dim/);
    throwsFacenet(() => v3.T, 'BAD_ARGUMENT', /\.T needs a 2-D tensor, got \[3\]/);
    throwsFacenet(() => v3.item(), 'BAD_ARGUMENT', /item: tensor has 3 elements, expected 1/);
    throwsFacenet(() => zeros([0]).max(), 'NATIVE', /non-zero size/);
  });
});

describe('bad dtypes, shapes, data and options', () => {
  test('unknown dtype names are refused everywhere with the list of valid ones', () => {
    const bad = 'float' as Dtype;
    throwsFacenet(() => zeros([2], { dtype: bad }), 'BAD_ARGUMENT', /unknown dtype 'float' \(float32 float64/);
    throwsFacenet(() => v3.to('int4' as Dtype), 'BAD_ARGUMENT', /unknown dtype 'int4'/);
    throwsFacenet(() => randn([2], { dtype: bad }), 'BAD_ARGUMENT', /unknown dtype/);
    throwsFacenet(() => randint(0, 3, [2], bad), 'BAD_ARGUMENT', /unknown dtype/);
    throwsFacenet(() => tensor([1], undefined, { dtype: bad }), 'BAD_ARGUMENT', /cannot create float/);
    throwsFacenet(() => tensor([1], undefined, { dtype: 'float16' }), 'BAD_ARGUMENT', /cannot create float16 from numbers.*\.to\('float16'\)/);
    throwsFacenet(() => tensor(new Uint16Array(2)), 'BAD_ARGUMENT', /unsupported typed array/);
  });
  test('non-integer, NaN, infinite and negative shapes', () => {
    throwsFacenet(() => zeros([2.5]), 'BAD_ARGUMENT', /shape: expected an integer, got 2\.5/);
    throwsFacenet(() => tensor(new Float32Array(4), [2, 1.5]), 'BAD_ARGUMENT', /shape: expected an integer/);
    throwsFacenet(() => tensor(new Float32Array(4), [NaN]), 'BAD_ARGUMENT', /expected an integer/);
    throwsFacenet(() => randn([Infinity]), 'BAD_ARGUMENT', /expected an integer/);
    throwsFacenet(() => v3.reshape(1.5, 2), 'BAD_ARGUMENT', /expected an integer/);
    throwsFacenet(() => zeros(['2' as unknown as number]), 'BAD_ARGUMENT', /expected an integer/);
    throwsFacenet(() => zeros([-1]), 'NATIVE', /negative dimension -1/);
    throwsFacenet(() => tensor(new Float32Array(0), [-1]), 'BAD_ARGUMENT', /negative dimension/);
    throwsFacenet(() => randperm(-1), 'NATIVE', /negative dimension/);
  });
  test('a typed array (or nested array) whose length does not match the shape', () => {
    throwsFacenet(() => tensor(new Float32Array(3), [2, 2]), 'BAD_ARGUMENT', /data has 12 bytes but shape \[2,2\] of float32 needs 16/);
    throwsFacenet(() => tensor(new BigInt64Array(5), [2, 2]), 'BAD_ARGUMENT', /data has 40 bytes but shape \[2,2\] of int64 needs 32/);
    throwsFacenet(() => tensor([1, 2, 3], [2, 2]), 'BAD_ARGUMENT', /needs 16/);
    throwsFacenet(() => tensor([[1, 2], [3]]), 'BAD_ARGUMENT', /data has 12 bytes but shape \[2,2\]/);
  });
  test('bad option values', () => {
    throwsFacenet(() => dropout(v3, 1.5, true), 'BAD_ARGUMENT', /p must be in \[0, 1\]/);
    throwsFacenet(() => v3.clamp(null, null), 'BAD_ARGUMENT', /give min, max or both/);
    throwsFacenet(() => interpolate(img, [4, 4], 'cubic' as 'bicubic'), 'BAD_ARGUMENT', /unknown mode 'cubic'/);
    throwsFacenet(() => gridSample(img, zeros([1, 2, 2, 2]), { mode: 'linear' as 'bilinear' }), 'BAD_ARGUMENT', /mode must be bilinear, nearest or bicubic/);
    throwsFacenet(() => gridSample(img, zeros([1, 2, 2, 2]), { padding: 'wrap' as 'zeros' }), 'BAD_ARGUMENT', /padding must be zeros, border or reflection/);
    throwsFacenet(() => nllLoss(m23, i64([0, 1]), { reduction: 'avg' as 'mean' }), 'BAD_ARGUMENT', /reduction: expected 'mean', 'sum' or 'none'/);
    throwsFacenet(() => v3.contiguous('nhwc' as 'channels_last'), 'BAD_ARGUMENT', /memoryFormat/);
    throwsFacenet(() => v3.toDevice('tpu'), 'BAD_ARGUMENT', /unknown device 'tpu'/);
    throwsFacenet(() => zeros([2], { device: 'gpu0' }), 'BAD_ARGUMENT', /unknown device 'gpu0'/);
    throwsFacenet(() => randint(5, 2, [3]), 'NATIVE', /random_ expects 'from' to be less than 'to'/);
    throwsFacenet(() => manualSeed(-1), 'BAD_ARGUMENT', /seed: must be >= 0/);
    throwsFacenet(() => setNumThreads(0), 'BAD_ARGUMENT', /threads: must be >= 1/);
    throwsFacenet(() => full([2], NaN).add('x' as unknown as number), 'BAD_ARGUMENT', /b: expected a tensor/);
  });
  test('a CUDA device without CUDA is an error, not a crash', { skip: cudaAvailable() ? 'CUDA is available here' : false }, () => {
    throwsFacenet(() => v3.toDevice('cuda'), 'NATIVE', /not linked with support for cuda|CUDA/i);
    throwsFacenet(() => zeros([2], { device: 'cuda' }), 'NATIVE', /cuda/i);
  });
});

describe('autograd misuse', () => {
  test('backward on a tensor without grad, or a non-scalar without a gradient', () => {
    throwsFacenet(() => v3.sum().backward(), 'BAD_ARGUMENT', /backward: .*does not require grad/);
    tidy(() => {
      const x = ones([3]).requiresGrad_();
      throwsFacenet(() => x.mul(2).backward(), 'BAD_ARGUMENT', /gradient can be implicit only for a one-element tensor/);
      throwsFacenet(() => x.mul(2).backward(ones([4])), 'NATIVE', /invalid gradient at index 0 - got \[4\] but expected shape compatible with \[3\]/);
      const y = x.mul(x).sum(); // mul saves its inputs for backward; they are freed after the first
      y.backward();
      throwsFacenet(() => y.backward(), 'NATIVE', /backward through the graph a second time/);
      throwsFacenet(() => grad([x.sum()], [ones([1])]), 'NATIVE', /does not require grad/);
    });
  });
});

test('after all these errors the engine still works: a conv net trains and no handle leaked', () => {
  const before = liveTensors().count;
  tidy(() => {
    manualSeed(1);
    const x = randn([4, 3, 8, 8]);
    const target = i64([0, 1, 2, 0]);
    const k = tidy(() => randn([3, 3, 3, 3]).mul(0.3)).requiresGrad_();
    const fc = tidy(() => randn([3, 3]).mul(0.3)).requiresGrad_();
    const opt = createOptimizer('adam', [k, fc], { lr: 0.05 });
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      losses.push(
        tidy(() => {
          const h = conv2d(x, k, null, { padding: 1 }).relu().mean([2, 3]);
          const l = crossEntropy(linear(h, fc), target);
          l.backward();
          opt.step();
          opt.zeroGrad();
          return l.item();
        }),
      );
    }
    assert.ok(losses[29]! < losses[0]!, `loss ${losses[0]} -> ${losses[29]}`);
    opt.dispose();
  });
  assert.equal(liveTensors().count, before);
  // the shared inputs of the error cases are intact
  assert.deepEqual(v3.toArray(), [1, 2, 3]);
  assert.deepEqual(m23.shape, [2, 3]);
});

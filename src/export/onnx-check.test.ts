import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FacenetError } from '../errors.js';
import { DataType, OnnxGraph, decodeModel, encodeModel, type OnnxModel } from './onnx-graph.js';
import { checkModelStructure, checkOnnxModel } from './onnx-check.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from './float16.js';

/** input [batch, 3, 8, 8] -> 3x3 conv (4 filters) -> relu -> global pool -> flatten -> [batch, 4] */
function small(opset = 17, declaredOut: (number | string)[] = ['batch', 4]): OnnxModel {
  const g = new OnnxGraph({ name: 'small' });
  const x = g.input('input', DataType.FLOAT, ['batch', 3, 8, 8]);
  const w = g.weight('w', new Float32Array(4 * 3 * 9).fill(0.1), [4, 3, 3, 3]);
  const c = g.node('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv');
  const y = g.node('Flatten', [g.node('GlobalAveragePool', [g.node('Relu', [c])])], { axis: 1 }, 'out');
  g.output(y, DataType.FLOAT, declaredOut);
  return g.toModel({ opset });
}
const roundTrip = (m: OnnxModel): OnnxModel => decodeModel(encodeModel(m));

test('a well-formed graph passes, also after a protobuf round trip', () => {
  assert.deepEqual(checkModelStructure(small()), []);
  assert.deepEqual(checkModelStructure(roundTrip(small())), []);
});

test('each kind of structural fault is reported', () => {
  const faults: [string, (m: OnnxModel) => void, RegExp][] = [
    ['nodes out of order', (m) => m.graph!.node!.reverse(), /used before it is defined/],
    ['undefined input', (m) => (m.graph!.node![0]!.input![0] = 'nope'), /input 'nope' is used before it is defined/],
    ['unknown operator', (m) => (m.graph!.node![1]!.opType = 'Gelu'), /operator 'Gelu' is not in the supported set/],
    ['truncated weight', (m) => (m.graph!.initializer![0]!.rawData = new Uint8Array(10)), /need 432 bytes, raw_data has 10/],
    ['double assignment', (m) => (m.graph!.node![1]!.output![0] = 'conv'), /'conv' is assigned twice/],
    ['missing graph output', (m) => (m.graph!.output![0]!.name = 'gone'), /graph output 'gone' is not produced/],
    ['no default opset', (m) => (m.opsetImport = []), /no opset_import for the default domain/],
    ['weight of the wrong channel count', (m) => (m.graph!.initializer![0]!.dims = [4, 2, 6, 3]), /input has 3 channels, weight expects 2/],
  ];
  for (const [what, breakIt, msg] of faults) {
    const m = roundTrip(small());
    breakIt(m);
    const problems = checkModelStructure(m);
    assert.ok(problems.some((p) => msg.test(p)), `${what}: ${problems.join(' | ')}`);
  }
  assert.ok(checkModelStructure(small(17, ['batch', 5])).some((p) => /declared \[batch, 5\], inferred \[batch, 4\]/.test(p)));
  assert.ok(checkModelStructure(small(5)).some((p) => /opset 5 is outside/.test(p)));
});

test('checkOnnxModel: bytes that are not an ONNX model, and a faulty model, are BAD_FILE errors naming the file', () => {
  assert.throws(() => checkOnnxModel(new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]), 'junk.onnx'), (e: unknown) => e instanceof FacenetError && e.code === 'BAD_FILE' && /junk\.onnx is not an ONNX model/.test(e.message));
  const m = roundTrip(small());
  m.graph!.node!.reverse();
  assert.throws(() => checkOnnxModel(m, 'bad.onnx'), /bad\.onnx fails the ONNX structural checks/);
});

test('float16: exact values, rounding to nearest even, subnormals, overflow', () => {
  const cases: [number, number][] = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00],
    [2 ** -24, 0x0001], [2 ** -14, 0x0400], [0.1, 0x2e66], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [Infinity, 0x7c00],
  ];
  for (const [v, bits] of cases) assert.equal(float32ToFloat16Bits(v), bits, `${v}`);
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
  for (const v of [0.333, -7.25, 1234.5, 3e-5]) assert.ok(Math.abs(float16BitsToFloat32(float32ToFloat16Bits(v)) - v) <= Math.abs(v) * 2 ** -11 + 2 ** -25, `${v}`);
});

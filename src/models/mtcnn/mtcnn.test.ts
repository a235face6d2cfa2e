import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readNpyObject } from '../../io/npy.js';
import { readTorchStateDict } from '../../io/torch-file.js';
import { conv2d, linear, liveTensors, manualSeed, maxPool2d, noGrad, prelu, randn, softmax, tidy, type Tensor } from '../../tensor/index.js';
import { FacenetError } from '../../errors.js';
import { loadStateDict } from '../../nn/index.js';
import { ZOO } from '../../test-support/shared.js';
import { PNet, RNet, ONet, convertFacenetNpy, loadMtcnnNets, type MtcnnNets } from './index.js';

const MTCNN = path.join(ZOO, 'mtcnn');

async function withHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await mkdtemp(path.join(tmpdir(), 'facenet-mtcnn-'));
  try {
    return await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

test('layouts: facenet-pytorch key names and shapes, facenet parameter counts', async () => {
  const cases = [
    [new PNet(), 'pnet.pt', 6632],
    [new RNet(), 'rnet.pt', 100178],
    [new ONet(), 'onet.pt', 389040],
  ] as const;
  for (const [net, file, params] of cases) {
    const sd = await readTorchStateDict(path.join(MTCNN, file));
    const own = net.stateDict();
    assert.deepEqual([...own.keys()].sort(), [...sd.keys()].sort(), file);
    for (const [k, t] of own) assert.deepEqual(t.shape, sd.get(k)!.shape, `${file} ${k}`);
    assert.equal(net.parameterCount(), params, file);
    net.dispose();
  }
});

test("facenet's det1-3.npy convert to exactly the values of facenet-pytorch's pnet/rnet/onet.pt", async () => {
  for (const [net, npy, pt] of [['pnet', 'det1.npy', 'pnet.pt'], ['rnet', 'det2.npy', 'rnet.pt'], ['onet', 'det3.npy', 'onet.pt']] as const) {
    const converted = convertFacenetNpy(net, await readNpyObject(path.join(MTCNN, npy)), npy);
    const reference = await readTorchStateDict(path.join(MTCNN, pt));
    assert.deepEqual([...converted.keys()].sort(), [...reference.keys()].sort());
    for (const [k, v] of converted) {
      assert.deepEqual(v.shape, reference.get(k)!.shape, `${npy} ${k}`);
      assert.deepEqual(v.data, reference.get(k)!.data, `${npy} ${k} values`);
    }
  }
  assert.throws(() => convertFacenetNpy('rnet', {}, 'x.npy'), /layer 'conv1' is missing \(is this the rnet file\?\)/);
});

function outputs(nets: MtcnnNets, inputs: { p: Tensor; r: Tensor; o: Tensor }): Float32Array[] {
  return noGrad(() =>
    tidy(() => {
      const p = nets.pnet.forward(inputs.p);
      const r = nets.rnet.forward(inputs.r);
      const o = nets.onet.forward(inputs.o);
      return [p.prob, p.reg, r.prob, r.reg, o.prob, o.reg, o.landmarks].map((t) => t.toFloat32());
    }),
  );
}

/** facenet-pytorch's PNet/RNet/ONet forward on the nets' own parameters: layers in order, (w, h, c) flatten before the dense layers. */
function referenceOutputs(nets: MtcnnNets, inputs: { p: Tensor; r: Tensor; o: Tensor }): Float32Array[] {
  return noGrad(() =>
    tidy(() => {
      const w = (net: keyof MtcnnNets) => nets[net].stateDict();
      const conv = (sd: Map<string, Tensor>, name: string, x: Tensor) => prelu(conv2d(x, sd.get(`${name}.weight`)!, sd.get(`${name}.bias`)!), sd.get(`prelu${name.slice(4)}.weight`)!);
      const dense = (sd: Map<string, Tensor>, name: string, x: Tensor) => linear(x, sd.get(`${name}.weight`)!, sd.get(`${name}.bias`)!);
      const pool = (x: Tensor, k: number) => maxPool2d(x, k, { stride: 2, ceilMode: true });
      const p = w('pnet');
      let h = conv(p, 'conv3', conv(p, 'conv2', pool(conv(p, 'conv1', inputs.p), 2)));
      const pProb = softmax(conv2d(h, p.get('conv4_1.weight')!, p.get('conv4_1.bias')!), 1);
      const pReg = conv2d(h, p.get('conv4_2.weight')!, p.get('conv4_2.bias')!);
      const r = w('rnet');
      h = conv(r, 'conv3', pool(conv(r, 'conv2', pool(conv(r, 'conv1', inputs.r), 3)), 3));
      let feat = prelu(dense(r, 'dense4', h.permute(0, 3, 2, 1).contiguous().flatten(1)), r.get('prelu4.weight')!);
      const rProb = softmax(dense(r, 'dense5_1', feat), 1);
      const rReg = dense(r, 'dense5_2', feat);
      const o = w('onet');
      h = conv(o, 'conv4', pool(conv(o, 'conv3', pool(conv(o, 'conv2', pool(conv(o, 'conv1', inputs.o), 3)), 3)), 2));
      feat = prelu(dense(o, 'dense5', h.permute(0, 3, 2, 1).contiguous().flatten(1)), o.get('prelu5.weight')!);
      return [pProb, pReg, rProb, rReg, softmax(dense(o, 'dense6_1', feat), 1), dense(o, 'dense6_2', feat), dense(o, 'dense6_3', feat)].map((t) => t.toFloat32());
    }),
  );
}

test('both weight sets, loaded by name through the asset cache, give the same outputs on random input; the inference layout matches the reference one', async () => {
  await withHome(async (home) => {
    const before = liveTensors().count;
    const a = await loadMtcnnNets({ weights: 'facenet-pytorch', home, mirror: ZOO });
    const b = await loadMtcnnNets({ weights: 'facenet', home, mirror: ZOO });
    manualSeed(1);
    const inputs = tidy(() => ({ p: randn([2, 3, 37, 53]), r: randn([5, 3, 24, 24]), o: randn([5, 3, 48, 48]) }));
    const fromPt = outputs(a, inputs);
    const fromNpy = outputs(b, inputs);
    for (let i = 0; i < fromPt.length; i++) assert.ok(maxAbsDiff(fromPt[i]!, fromNpy[i]!) <= 1e-5, `output ${i}`);
    // Reference: facenet-pytorch's forward, written here with plain ops on the state dict (the
    // nets themselves run a re-laid-out copy of the weights).
    const ref = referenceOutputs(a, inputs);
    for (let i = 0; i < ref.length; i++) assert.ok(maxAbsDiff(fromPt[i]!, ref[i]!) <= 1e-5, `inference-layout output ${i} differs by ${maxAbsDiff(fromPt[i]!, ref[i]!)}`);
    // Weights loaded after a forward reach the layout (Module.derived() is dropped on weight loads).
    const late: MtcnnNets = { pnet: new PNet(), rnet: new RNet(), onet: new ONet() };
    outputs(late, inputs);
    for (const [k, file] of [['pnet', 'pnet.pt'], ['rnet', 'rnet.pt'], ['onet', 'onet.pt']] as const) {
      loadStateDict(late[k], await readTorchStateDict(path.join(MTCNN, file)));
      late[k].eval();
    }
    const lateOut = outputs(late, inputs);
    for (let i = 0; i < lateOut.length; i++) assert.deepEqual(lateOut[i], fromPt[i], `late-loaded output ${i}`);
    for (const n of [a, b, late]) for (const m of Object.values(n)) m.dispose();
    for (const t of Object.values(inputs)) t.dispose();
    assert.equal(liveTensors().count, before, 'tensors leaked');
  });
});

test('a missing weights file names the file and how to get it', async () => {
  await withHome(async (home) => {
    await assert.rejects(
      // A failing fetch keeps the test offline even where the upstream address is reachable.
      loadMtcnnNets({ weights: 'facenet', home, mirror: path.join(home, 'no-mirror'), fetch: async () => Promise.reject(new Error('offline (test)')) }),
      (e: unknown) =>
        e instanceof FacenetError &&
        e.code === 'ASSET_MISSING' &&
        /det1\.npy/.test(e.message) &&
        /raw\.githubusercontent\.com\/davidsandberg\/facenet/.test(e.message) &&
        /FACENET_MIRROR/.test(e.message),
    );
    await assert.rejects(
      loadMtcnnNets({ weightsDir: home }),
      (e: unknown) => e instanceof FacenetError && e.code === 'ASSET_MISSING' && /pnet\.pt/.test(e.message) && /timesler\/facenet-pytorch/.test(e.message),
    );
  });
});

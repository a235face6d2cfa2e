import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readNpyObject } from '../../io/npy.js';
import { readTorchStateDict } from '../../io/torch-file.js';
import { liveTensors, manualSeed, noGrad, randn, tidy, type Tensor } from '../../tensor/index.js';
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
    // Reference layout (no prepareInference): a fresh set of nets with the same weights.
    const plain: MtcnnNets = { pnet: new PNet(), rnet: new RNet(), onet: new ONet() };
    for (const k of ['pnet', 'rnet', 'onet'] as const) {
      for (const [name, t] of a[k].stateDict()) noGrad(() => plain[k].stateDict().get(name)!.copy_(t));
      plain[k].eval();
    }
    const ref = outputs(plain, inputs);
    for (let i = 0; i < ref.length; i++) assert.ok(maxAbsDiff(fromPt[i]!, ref[i]!) <= 1e-5, `fused output ${i} differs by ${maxAbsDiff(fromPt[i]!, ref[i]!)}`);
    // Weights loaded after prepareInference() reach the inference layout (stateChanged).
    const late: MtcnnNets = { pnet: new PNet().prepareInference(), rnet: new RNet().prepareInference(), onet: new ONet().prepareInference() };
    for (const [k, file] of [['pnet', 'pnet.pt'], ['rnet', 'rnet.pt'], ['onet', 'onet.pt']] as const) {
      loadStateDict(late[k], await readTorchStateDict(path.join(MTCNN, file)));
      late[k].eval();
    }
    const lateOut = outputs(late, inputs);
    for (let i = 0; i < lateOut.length; i++) assert.deepEqual(lateOut[i], fromPt[i], `late-loaded output ${i}`);
    for (const n of [a, b, plain, late]) for (const m of Object.values(n)) m.dispose();
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

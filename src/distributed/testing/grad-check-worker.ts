/**
 * The c10d layer against one process, run as each rank of a small world: every rank builds the
 * same conv + batch-norm + linear + batch-norm network and the same data, trains it `steps` SGD
 * steps on the whole batch in one process (the reference), then again from the same weights with
 * each rank on its slice of every batch (synchronised batch norm, bucketed gradient all-reduce),
 * and writes the per-step losses of both and the largest weight difference to OUT.<rank>.json.
 * argv: OUT [bucketBytes] [steps] [sync(1|0)]
 */
import { writeFileSync } from 'node:fs';
import { manualSeed, noGrad, randn, tidy, type Tensor } from '../../tensor/index.js';
import { ProcessGroup } from '../../tensor/distributed.js';
import { BatchNorm, Conv2d, Linear } from '../../nn/index.js';
import { worldFromEnv } from '../world.js';

const out = process.argv[2]!;
const bucketBytes = Number(process.argv[3] ?? 256);
const steps = Number(process.argv[4] ?? 20);
const sync = (process.argv[5] ?? '1') === '1';
const w = worldFromEnv()!;
const group = await ProcessGroup.create({ masterAddr: w.masterAddr, masterPort: w.masterPort, rank: w.rank, worldSize: w.worldSize, localAddress: process.env['FACENET_TEST_LOCAL_ADDR'] });
manualSeed(7);
const conv = new Conv2d(3, 8, { kernel: 3, padding: 1 });
const bn = new BatchNorm(8);
const fc = new Linear(8 * 6 * 6, 16);
const bn1 = new BatchNorm(16);
const params = [...conv.parameters(), ...bn.parameters(), ...fc.parameters(), ...bn1.parameters()];
const state = [...params, bn.runningMean, bn.runningVar, bn1.runningMean, bn1.runningVar];
const initial = state.map((t) => t.clone());
const batch = 4 * w.worldSize;
const xs = Array.from({ length: steps }, () => randn([batch, 3, 6, 6]));
const ts = Array.from({ length: steps }, () => randn([batch, 16]));
const lr = 0.05;

function loss(x: Tensor, t: Tensor): Tensor {
  const h = bn.forward(conv.forward(x)).relu().flatten(1, -1);
  return bn1.forward(fc.forward(h)).sub(t).square().mean();
}
function sgd(): void {
  noGrad(() => {
    for (const p of params) {
      p.add_(p.grad!, -lr);
      p.grad!.zero_();
    }
  });
}
function snapshot(): Float32Array[] {
  return state.map((t) => Float32Array.from(t.data() as Float32Array));
}

const referenceLosses: number[] = [];
for (let s = 0; s < steps; s++) {
  tidy(() => {
    const l = loss(xs[s]!, ts[s]!);
    referenceLosses.push(l.item());
    l.backward();
  });
  sgd();
}
const reference = snapshot();
noGrad(() => state.forEach((t, i) => t.copy_(initial[i]!)));

if (sync) for (const m of [bn, bn1]) m.statsSum = (t) => group.allReduceSumDifferentiable(t);
const reducer = group.gradientReducer(params, bucketBytes);
const n = batch / w.worldSize;
const parallelLosses: number[] = [];
for (let s = 0; s < steps; s++) {
  let local = 0;
  tidy(() => {
    const l = loss(xs[s]!.slice(0, w.rank * n, (w.rank + 1) * n), ts[s]!.slice(0, w.rank * n, (w.rank + 1) * n));
    local = l.item();
    l.backward();
  });
  reducer.finish();
  sgd();
  parallelLosses.push(group.allReduceNumbers([local], 'avg')[0]!);
}
const mine = snapshot();
let weightDiff = 0;
reference.forEach((r, i) => r.forEach((v, j) => (weightDiff = Math.max(weightDiff, Math.abs(v - mine[i]![j]!)))));
writeFileSync(`${out}.${w.rank}.json`, JSON.stringify({ referenceLosses, parallelLosses, weightDiff, stats: reducer.stats() }));
reducer.dispose();
group.dispose();

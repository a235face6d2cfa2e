/**
 * Gradient check for the c10d layer, run as each rank of a small world: every rank builds the same
 * conv + batch-norm + linear network and the same full batch, computes the single-process gradients
 * on the whole batch, then the data-parallel ones on its own slice (synchronised batch norm,
 * bucketed all-reduce), and writes the largest differences to OUT.<rank>.json.
 */
import { writeFileSync } from 'node:fs';
import { manualSeed, randn, tidy, noGrad, type Tensor } from '../../tensor/index.js';
import { ProcessGroup } from '../../tensor/distributed.js';
import { BatchNorm, Conv2d, Linear } from '../../nn/index.js';
import { worldFromEnv } from '../world.js';

const out = process.argv[2]!;
const bucketBytes = Number(process.argv[3] ?? 256);
const w = worldFromEnv()!;
const group = await ProcessGroup.create({ masterAddr: w.masterAddr, masterPort: w.masterPort, rank: w.rank, worldSize: w.worldSize });
manualSeed(7);
const conv = new Conv2d(3, 8, { kernel: 3, padding: 1 });
const bn = new BatchNorm(8);
const bn1 = new BatchNorm(16);
const fc = new Linear(8 * 6 * 6, 16);
const params = [...conv.parameters(), ...bn.parameters(), ...fc.parameters(), ...bn1.parameters()];
const batch = 4 * w.worldSize;
const x = randn([batch, 3, 6, 6]);
const target = randn([batch, 16]);

function loss(xs: Tensor, ts: Tensor): Tensor {
  const h = bn.forward(conv.forward(xs)).relu().flatten(1, -1);
  return bn1.forward(fc.forward(h)).sub(ts).square().mean();
}
function grads(): Float32Array[] {
  return params.map((p) => Float32Array.from(p.grad!.data() as Float32Array));
}
function zero(): void {
  for (const p of params) p.grad?.zero_();
}

const runningBefore = [bn.runningMean.clone(), bn.runningVar.clone()];
tidy(() => loss(x, target).backward());
const reference = grads();
const refRunning = [Float32Array.from(bn.runningMean.data() as Float32Array), Float32Array.from(bn.runningVar.data() as Float32Array)];
zero();
noGrad(() => {
  bn.runningMean.copy_(runningBefore[0]!);
  bn.runningVar.copy_(runningBefore[1]!);
});

bn.statsSum = (t) => group.allReduceSumDifferentiable(t);
bn1.statsSum = (t) => group.allReduceSumDifferentiable(t);
const reducer = group.gradientReducer(params, bucketBytes);
const n = batch / w.worldSize;
let localLoss = 0;
tidy(() => {
  const l = loss(x.slice(0, w.rank * n, (w.rank + 1) * n), target.slice(0, w.rank * n, (w.rank + 1) * n));
  localLoss = l.item();
  l.backward();
});
reducer.finish();
const parallel = grads();
let maxDiff = 0;
let maxRef = 0;
reference.forEach((r, i) => r.forEach((v, j) => {
  maxDiff = Math.max(maxDiff, Math.abs(v - parallel[i]![j]!));
  maxRef = Math.max(maxRef, Math.abs(v));
}));
const running = [bn.runningMean.data() as Float32Array, bn.runningVar.data() as Float32Array];
let runningDiff = 0;
refRunning.forEach((r, i) => r.forEach((v, j) => (runningDiff = Math.max(runningDiff, Math.abs(v - running[i]![j]!)))));
const [globalLoss] = group.allReduceNumbers([localLoss], 'avg');
const stats = reducer.stats();
writeFileSync(`${out}.${w.rank}.json`, JSON.stringify({ maxDiff, maxRef, runningDiff, globalLoss, stats }));
reducer.dispose();
group.dispose();

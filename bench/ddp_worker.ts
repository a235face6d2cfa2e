/**
 * One rank of the ddp benchmark (bench/ddp.ts): Inception-ResNet-v1 (a variant) with a softmax
 * head, SGD with momentum, random data, the global batch split over the ranks; gradients averaged
 * by the binding's bucketed all-reduce (GradientReducer) when the world has more than one rank.
 * argv: JSON {variant, batch, warmup, steps, threads, classes, out, noReduce?}. Rank 0 writes to `out`:
 * {imagesPerSec, msPerStep, allReduce: {commMsPerStep, exposedMsPerStep, overlap}}.
 */
import { writeFileSync } from 'node:fs';
import { createOptimizer, crossEntropy, randint, randn, setNumThreads, tidy } from '../src/tensor/index.js';
import { ProcessGroup, type GradientReducer } from '../src/tensor/distributed.js';
import { InceptionResnetV1 } from '../src/models/inception-resnet-v1/model.js';
import { resolveConfig } from '../src/models/inception-resnet-v1/config.js';
import { worldFromEnv } from '../src/distributed/world.js';
import { exitWithLauncher } from '../src/distributed/launcher.js';

exitWithLauncher();
// noReduce (a diagnostic): the ranks train side by side without averaging gradients, which
// measures what two processes' compute alone costs on the machine.
const o = JSON.parse(process.argv[2]!) as { variant: string; batch: number; warmup: number; steps: number; threads: number; classes: number; out: string; noReduce?: boolean };
const world = worldFromEnv() ?? { rank: 0, worldSize: 1, localRank: 0, localWorldSize: 1, masterAddr: '127.0.0.1', masterPort: 0 };
setNumThreads(o.threads);
const group = world.worldSize > 1 ? await ProcessGroup.create({ masterAddr: world.masterAddr, masterPort: world.masterPort, rank: world.rank, worldSize: world.worldSize }) : null;
const local = o.batch / world.worldSize;
const size = resolveConfig({ variant: o.variant }).inputSize;
const model = new InceptionResnetV1({ variant: o.variant, numClasses: o.classes }).setMemoryFormat('channels_last');
model.train();
const params = model.parameters();
if (group) group.broadcast(params, 0);
const opt = createOptimizer('sgd', params, { lr: 0.01, momentum: 0.9 });
const reducer: GradientReducer | null = group && !o.noReduce ? group.gradientReducer(params, 4 << 20) : null;
const x = randn([local, 3, size, size]);
const y = randint(0, o.classes, [local]);
const step = () => {
  tidy(() => {
    const out = model.forwardAll(x);
    crossEntropy(out.logits!, y).backward();
  });
  reducer?.finish();
  opt.step();
  opt.zeroGrad();
};
for (let i = 0; i < o.warmup; i++) step();
const before = reducer?.stats();
if (group) await group.barrier();
const t0 = performance.now();
for (let i = 0; i < o.steps; i++) step();
if (group) await group.barrier();
const ms = performance.now() - t0;
const after = reducer?.stats();
if (world.rank === 0) {
  const allReduce = before && after
    ? {
        buckets: after.buckets,
        commMsPerStep: (after.commMs - before.commMs) / o.steps,
        exposedMsPerStep: (after.exposedMs - before.exposedMs) / o.steps,
        overlap: after.commMs > before.commMs ? 1 - (after.exposedMs - before.exposedMs) / (after.commMs - before.commMs) : null,
      }
    : null;
  writeFileSync(o.out, JSON.stringify({ imagesPerSec: (o.batch * o.steps * 1000) / ms, msPerStep: ms / o.steps, allReduce }));
}
reducer?.dispose();
group?.dispose();

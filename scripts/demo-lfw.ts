/**
 * The LFW demo, the project's main job end to end on data available offline:
 *   1. extract LFW (deep-funneled) from the zoo;
 *   2. `facenet align` all of it with MTCNN (128 px, margin 32: training takes random 112 px crops);
 *   3. hold out every identity that appears in pairs.txt's fold 1 (its first 600 pairs) and train
 *      the small Inception-ResNet-v1 (`facenet train`) on the other identities with >= 2 images;
 *   4. `facenet validate` the final model on fold 1's 600 pairs (threshold by 10-fold
 *      cross-validation inside those pairs) and store the threshold in the model.
 * Every step is resumable: rerunning continues where it stopped.
 *
 * Environment: DEMO_MINUTES (training wall time, default 40), DEMO_DIR (default .cache/demo),
 * DEMO_PRECISION (training precision, default auto: bf16 on CPUs with AMX / AVX512-BF16),
 * FACENET_MIRROR (default ../shared/zoo beside the repository), FACENET_HOME (default .cache/facenet).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractLfwArchive, LFW_DEEPFUNNELED_IMAGES } from '../src/test-support/lfw-archive.js';
import { parsePairs } from '../src/eval/pairs.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env['FACENET_SHARED'] ?? path.resolve(repo, '../shared');
process.env['FACENET_MIRROR'] ??= path.join(shared, 'zoo');
process.env['FACENET_HOME'] ??= path.join(repo, '.cache/facenet');
const work = path.resolve(process.env['DEMO_DIR'] ?? path.join(repo, '.cache/demo'));
const minutes = Number(process.env['DEMO_MINUTES'] ?? 40);
const facenet = path.join(repo, 'bin/facenet.js');
const zoo = process.env['FACENET_MIRROR']!;

function step(title: string): void {
  process.stderr.write(`\n=== ${title}\n`);
}

/** `okCodes`: exit codes that mean success here (align exits 3 when some images have no face). */
function run(args: string[], okCodes: readonly number[] = [0]): void {
  process.stderr.write(`$ facenet ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [facenet, ...args], { stdio: 'inherit' });
  if (r.status === null || !okCodes.includes(r.status)) {
    process.stderr.write(`demo: \`facenet ${args[0]}\` exited with ${r.status ?? r.signal}; rerun the demo to continue where it stopped\n`);
    process.exit(r.status ?? 1);
  }
}

mkdirSync(work, { recursive: true });
const raw = path.join(work, 'lfw-raw');
const aligned = path.join(work, 'lfw-aligned-128');
const trainDir = path.join(work, 'train-set');
const fold1 = path.join(work, 'pairs-fold1.txt');
const runDir = path.join(work, 'run');

step('1/4 extract LFW');
const extracted = await extractLfwArchive(path.join(zoo, 'lfw/lfw-deepfunneled.tgz'), raw, { expectedFiles: LFW_DEEPFUNNELED_IMAGES });
process.stderr.write(`  ${extracted.files} images in ${raw}${extracted.alreadyDone ? ' (already there)' : ''}\n`);

step('2/4 align LFW with MTCNN');
run(['align', raw, aligned, '--image-size', '128', '--margin', '32'], [0, 3]); // LFW has an image without a face

step('3/4 train on the identities outside fold 1');
const pairsText = readFileSync(path.join(zoo, 'lfw/pairs.txt'), 'utf8');
const firstFold = parsePairs(pairsText, 'pairs.txt').pairs.slice(0, 600);
const heldOut = new Set(firstFold.flatMap((p) => [p.name1, p.name2]));
// facenet's protocol cuts the pairs into 10 contiguous folds and relies on each fold holding both
// kinds (pairs.txt's layout). Fold 1 alone is 300 same then 300 different pairs, so it is laid out
// again as 10 sub-folds of 30 same + 30 different, header "10 30".
const fold1Lines = pairsText.split(/\r?\n/).slice(1, 601);
const subFolds = Array.from({ length: 10 }, (_, k) => [...fold1Lines.slice(30 * k, 30 * k + 30), ...fold1Lines.slice(300 + 30 * k, 300 + 30 * k + 30)]);
writeFileSync(fold1, ['10\t30', ...subFolds.flat()].join('\n') + '\n');
rmSync(trainDir, { recursive: true, force: true });
mkdirSync(trainDir);
let classes = 0;
let images = 0;
for (const name of readdirSync(aligned).sort()) {
  const dir = path.join(aligned, name);
  if (heldOut.has(name) || !existsSync(dir) || name.startsWith('.')) continue;
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.png'));
  } catch {
    continue; // not a folder (the bounding-box and failure logs)
  }
  if (files.length < 2) continue;
  symlinkSync(dir, path.join(trainDir, name));
  classes += 1;
  images += files.length;
}
process.stderr.write(`  ${classes} identities, ${images} images (held out: ${heldOut.size} identities of fold 1)\n`);
const trainArgs = [
  'train',
  '--data-dir', trainDir,
  '--model-variant', 'inception-resnet-v1-small',
  '--image-size', '112',
  '--random-crop',
  '--random-flip',
  '--use-fixed-image-standardization',
  '--optimizer', 'ADAM',
  '--learning-rate', '0.01',
  '--learning-rate-decay-epochs', '10',
  '--learning-rate-decay-factor', '0.5',
  '--batch-size', '32',
  '--epoch-size', '200',
  '--max-nrof-epochs', '1000',
  '--max-minutes', String(minutes),
  '--keep-probability', '0.8',
  '--weight-decay', '5e-4',
  '--moving-average-decay', '0.999',
  '--lfw-dir', aligned,
  '--lfw-pairs', fold1,
  '--lfw-every-n-epochs', '5',
  // One libtorch thread by default: on a shared 2-core machine two OpenMP threads stall each
  // other when anything else runs (DEMO_THREADS=2 on a quiet machine is ~35% faster).
  '--threads', process.env['DEMO_THREADS'] ?? '1',
  // Mixed precision on the CPU's bf16 matrix units (AMX / AVX512-BF16); 'auto' falls back to fp32
  // on CPUs without them (DEMO_PRECISION=fp32 for the fp32 run).
  '--precision', process.env['DEMO_PRECISION'] ?? 'auto',
  '--logs-base-dir', work,
];
if (existsSync(path.join(runDir, 'model.safetensors'))) {
  process.stderr.write(`  ${runDir}/model.safetensors exists: training already done (delete ${runDir} to train again)\n`);
} else if (existsSync(path.join(runDir, 'checkpoint.safetensors'))) {
  run(['train', '--resume', runDir]);
} else {
  run([...trainArgs, '--run-name', 'run']);
}

step('4/4 validate on fold 1 (600 pairs, 10-fold cross-validation)');
run([
  'validate',
  '--lfw-dir', aligned,
  '--pairs', fold1,
  '--model', path.join(runDir, 'model.safetensors'),
  '--plot', path.join(runDir, 'lfw-fold1-roc.png'),
  '--save-threshold',
]);
process.stderr.write(`\nDone. Training curves: ${path.join(runDir, 'curves.svg')}; ROC: ${path.join(runDir, 'lfw-fold1-roc.png')}\n`);

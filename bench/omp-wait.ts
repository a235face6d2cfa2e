/**
 * npm run bench -- --suite omp (or node --import tsx bench/omp-wait.ts [--seconds S]): MTCNN
 * detection speed (2 libtorch threads, the sample photos) under each OpenMP wait policy, on the
 * machine as it is ("quiet") and with two extra CPU-bound processes ("busy"), measured in child
 * processes because libgomp reads OMP_WAIT_POLICY / GOMP_SPINCOUNT once, when it loads. Prints
 * one JSON line per case with img/s and the ratio against the library's default policy.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 8;

if (process.argv.includes('--child')) {
  const { MtcnnDetector } = await import('../src/detect/index.js');
  const { decodeImageFile } = await import('../src/io/image.js');
  const { SHARED } = await import('../src/test-support/shared.js');
  const { readdirSync } = await import('node:fs');
  const dir = path.join(SHARED, 'zoo', 'samples');
  const imgs = await Promise.all(readdirSync(dir).filter((f) => f.startsWith('Anthony') || f.startsWith('paul') || f.startsWith('kate')).map((f) => decodeImageFile(path.join(dir, f))));
  const det = await MtcnnDetector.load({ mirror: path.join(SHARED, 'zoo'), threads: 2 });
  for (const img of imgs) det.detect(img); // warm-up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) det.detect(imgs[n++ % imgs.length]!);
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ images: n, seconds: s, imgPerSec: n / s, waitPolicy: process.env['OMP_WAIT_POLICY'] ?? null }) + '\n');
  det.dispose();
  process.exit(0);
}

const POLICIES: Record<string, Record<string, string>> = {
  // FACENET_OMP_WAIT=keep: leave libgomp's own default (spin ~300k iterations, then sleep)
  'libgomp-default': { FACENET_OMP_WAIT: 'keep' },
  passive: { OMP_WAIT_POLICY: 'PASSIVE' },
  'spincount-10k': { GOMP_SPINCOUNT: '10000' },
  'library-default': {},
};

function measure(env: Record<string, string>): { imgPerSec: number } {
  const clean = { ...process.env };
  delete clean['OMP_WAIT_POLICY'];
  delete clean['GOMP_SPINCOUNT'];
  delete clean['FACENET_OMP_WAIT'];
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'omp-wait.ts'), '--child', '--seconds', String(seconds)], { env: { ...clean, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function hogs(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
}

for (const condition of ['quiet', 'busy'] as const) {
  const extra = condition === 'busy' ? hogs(2) : [];
  try {
    const results: Record<string, number> = {};
    // interleaved twice, so that drifting background load hits every policy alike
    for (let round = 0; round < 2; round++) {
      for (const [name, env] of Object.entries(POLICIES)) {
        const r = measure(env);
        results[name] = Math.max(results[name] ?? 0, r.imgPerSec);
      }
    }
    const base = results['library-default']!;
    for (const [name, v] of Object.entries(results)) {
      process.stdout.write(
        JSON.stringify({ suite: 'omp', condition, policy: name, imgPerSec: Number(v.toFixed(2)), ratioToLibraryDefault: Number((v / base).toFixed(3)), loadavg: Number(os.loadavg()[0]!.toFixed(2)), cpus: os.cpus().length, seconds }) + '\n',
      );
    }
  } finally {
    for (const h of extra) h.kill();
  }
}

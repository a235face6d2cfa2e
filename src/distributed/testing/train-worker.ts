/**
 * A data-parallel training worker for tests and benchmarks: node --import tsx train-worker.ts
 * JOB.json. JOB = { config, syncBatchNorm?, resume?, out }. Trains as the rank the environment
 * names (the launcher sets it), then writes out.<rank>.json with the summary and every step's
 * global loss. SIGINT stops after the step, as `facenet train` does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { exitWithLauncher } from '../launcher.js';
import { trainDataParallel } from '../train-parallel.js';
import type { TrainJob } from './harness.js';

exitWithLauncher();
const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as TrainJob;
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
const losses: number[] = [];
const rank = process.env['RANK'] ?? '0';
try {
  const summary = await trainDataParallel({ ...job.config, ...job.configByRank?.[rank] }, {
    syncBatchNorm: job.syncBatchNorm,
    resume: job.resume,
    signal: controller.signal,
    timeoutMs: job.timeoutMs,
    connectTimeoutMs: job.connectTimeoutMs,
    onProgress: (e) => {
      if (e.type === 'step') losses.push(e.loss);
      if (e.type === 'step' && process.env['FACENET_TEST_STEP_LOG']) process.stderr.write(`rank ${rank} step ${e.step}\n`);
    },
  });
  writeFileSync(`${job.out}.${rank}.json`, JSON.stringify({ summary, losses }));
} catch (e) {
  const err = e as Error & { code?: string };
  process.stderr.write(`facenet: rank ${rank}: ${err.code ?? 'ERROR'}: ${err.message}\n`);
  writeFileSync(`${job.out}.${rank}.error.json`, JSON.stringify({ code: err.code ?? null, message: err.message }));
  process.exitCode = 1;
}

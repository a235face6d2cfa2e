// Faults of data-parallel runs: a killed worker, resume, disagreeing configs, a busy master port,
// an unreachable master, SIGINT on the launcher. Every case must end (no hang) with a clear error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { writeSyntheticDataset } from '../data/synthetic-dataset.js';
import { FacenetError } from '../errors.js';
import { ProcessGroup } from '../tensor/distributed.js';
import type { TrainConfig } from '../train/index.js';
import { parseLines } from '../train/metrics-log.js';
import { launch } from './launcher.js';
import { freePort, LAUNCH_SCRIPT, launchTrain, readError, readOutput, tempDir, writeJob } from './testing/harness.js';

let tmp: string;
let dataDir: string;

before(async () => {
  tmp = tempDir('ddp-faults-');
  dataDir = path.join(tmp, 'faces');
  await writeSyntheticDataset(dataDir, { classes: 4, imagesPerClass: 6, size: 80 });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const config = (o: Partial<TrainConfig> = {}): Partial<TrainConfig> => ({
  dataDir,
  logsBaseDir: path.join(tmp, 'runs'),
  modelVariant: 'inception-resnet-v1-tiny',
  imageSize: 80,
  threads: 1,
  batchSize: 4,
  epochSize: 4,
  maxNrofEpochs: 6,
  optimizer: 'MOM',
  learningRate: 1e-4,
  ...o,
});

function stepsLogged(runDir: string): number {
  const f = path.join(runDir, 'metrics.jsonl');
  if (!existsSync(f)) return 0;
  return parseLines(readFileSync(f, 'utf8')).filter((r) => r.kind === 'step').length;
}

async function until(what: string, ms: number, ok: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a worker killed with SIGKILL stops every rank within 30 s, naming the dead rank; --resume continues', async () => {
  const runDir = path.join(tmp, 'runs', 'killed');
  const { file } = writeJob(tmp, 'killed', { config: config({ runName: 'killed' }) });
  const pids = new Map<number, number>();
  let killedAt = 0;
  const running = launchTrain(file, { nprocPerNode: 2, masterPort: await freePort(), onEvent: (e) => e.type === 'started' && pids.set(e.rank, e.pid) });
  // After the first epoch's checkpoint (4 steps), kill rank 1 in the middle of epoch 2.
  await until('step 6', 120_000, () => stepsLogged(runDir) >= 6);
  killedAt = Date.now();
  process.kill(pids.get(1)!, 'SIGKILL');
  const r = await running;
  const seconds = (Date.now() - killedAt) / 1000;
  assert.equal(r.ok, false);
  assert.equal(r.failedRank, 1);
  assert.match(r.message, /rank 1 .*killed by SIGKILL/);
  assert.ok(seconds < 30, `the other rank took ${seconds} s to stop`);
  assert.ok(existsSync(path.join(runDir, 'checkpoint.safetensors')));
  assert.ok(!existsSync(path.join(runDir, 'model.safetensors')));

  const resumed = writeJob(tmp, 'resumed', { config: config({ maxNrofEpochs: 3 }), resume: runDir });
  const r2 = await launchTrain(resumed.file, { nprocPerNode: 2, masterPort: await freePort() });
  assert.ok(r2.ok, r2.message);
  const o = readOutput(resumed.out, 0);
  assert.ok(o.summary.startStep >= 4, `resumed from step ${o.summary.startStep}`);
  assert.equal(o.summary.steps, 12);
  assert.equal(o.losses.length, 12 - o.summary.startStep);
  assert.ok(existsSync(path.join(runDir, 'model.safetensors')));
});

test('ranks started with different configs fail before the first step, naming the option', async () => {
  const { file, out } = writeJob(tmp, 'mismatch', { config: config({ runName: 'mismatch' }), configByRank: { '1': { learningRate: 0.5 } } });
  const r = await launchTrain(file, { nprocPerNode: 2, masterPort: await freePort() });
  assert.equal(r.ok, false);
  const e = readError(out, 0) ?? readError(out, 1);
  assert.ok(e, 'a rank reports the error');
  assert.equal(e.code, 'BAD_ARGUMENT');
  assert.match(e.message, /different training configs.*learningRate/);
  assert.equal(stepsLogged(path.join(tmp, 'runs', 'mismatch')), 0);
});

test('a master port in use is a clear error (launcher check and the store itself)', async () => {
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, () => r()));
  const port = (busy.address() as net.AddressInfo).port;
  try {
    await assert.rejects(launch({ nprocPerNode: 2, masterPort: port, command: ['-e', ''] }), (e: unknown) => e instanceof FacenetError && e.code === 'DISTRIBUTED' && /port .* in use/.test(e.message));
    await assert.rejects(
      ProcessGroup.create({ masterAddr: '127.0.0.1', masterPort: port, rank: 0, worldSize: 2, connectTimeoutMs: 3000 }),
      (e: unknown) => e instanceof FacenetError && e.code === 'DISTRIBUTED' && /in use/i.test(e.message),
    );
  } finally {
    busy.close();
  }
});

test('a master that cannot be reached fails after the connect timeout, saying what to check', async () => {
  const port = await freePort();
  const t0 = Date.now();
  await assert.rejects(
    ProcessGroup.create({ masterAddr: '127.0.0.1', masterPort: port, rank: 1, worldSize: 2, connectTimeoutMs: 3000 }),
    (e: unknown) => e instanceof FacenetError && e.code === 'DISTRIBUTED' && /master-addr|master-port/.test(e.message),
  );
  const s = (Date.now() - t0) / 1000;
  // (libtorch's store client retries connecting until about the timeout)
  assert.ok(s >= 1 && s < 20, `gave up after ${s} s`);
});

test('SIGINT on the launcher stops all workers cleanly with a checkpoint to resume from', async () => {
  const runDir = path.join(tmp, 'runs', 'interrupted');
  const { file } = writeJob(tmp, 'interrupted', { config: config({ runName: 'interrupted' }) });
  const options = path.join(tmp, 'interrupted.launch.json');
  writeFileSync(options, JSON.stringify({ job: file, nprocPerNode: 2, masterPort: await freePort() }));
  const child = spawn(process.execPath, ['--import', 'tsx', LAUNCH_SCRIPT, options], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await until('step 2', 120_000, () => stepsLogged(runDir) >= 2);
  child.kill('SIGINT');
  const code = await exited;
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as { ok: boolean; message: string; exits: { code: number | null; signal: string | null }[] };
  assert.equal(code, 0, result.message);
  assert.ok(result.ok);
  assert.match(result.message, /interrupted/);
  assert.ok(result.exits.every((x) => x.code === 0 && x.signal === null), JSON.stringify(result.exits));
  assert.ok(existsSync(path.join(runDir, 'checkpoint.safetensors')));
  assert.ok(!existsSync(path.join(runDir, 'model.safetensors')), 'an interrupted run leaves a checkpoint, not a model');
});

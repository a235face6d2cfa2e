// A 2-"machine" data-parallel run: two network namespaces joined by a veth pair (addresses from a
// private test range, inside the namespaces only), one launcher and one worker in each, against
// the same job as 2 local processes. Needs root and `ip` (scripts/setup.sh installs iproute2);
// without them the test fails, saying so: it is never skipped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeSyntheticDataset } from '../data/synthetic-dataset.js';
import type { TrainConfig } from '../train/index.js';
import { readCheckpoint } from '../train/checkpoint.js';
import { freePort, LAUNCH_SCRIPT, launchTrain, readOutput, tempDir, writeJob } from './testing/harness.js';

const id = process.pid % 100000;
const nsA = `fnddp-a-${id}`;
const nsB = `fnddp-b-${id}`;
const vethA = `fnd${id}a`;
const vethB = `fnd${id}b`;
const addrA = '10.231.77.1';
const addrB = '10.231.77.2';
let tmp: string;
let dataDir: string;
let namespaces = false;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function teardown(): void {
  for (const ns of [nsA, nsB]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // not there
    }
  }
}

before(async () => {
  tmp = tempDir('ddp-netns-');
  dataDir = path.join(tmp, 'faces');
  await writeSyntheticDataset(dataDir, { classes: 4, imagesPerClass: 6, size: 80 });
  teardown();
  try {
    ip('netns', 'add', nsA);
    ip('netns', 'add', nsB);
    ip('link', 'add', vethA, 'type', 'veth', 'peer', 'name', vethB);
    ip('link', 'set', vethA, 'netns', nsA);
    ip('link', 'set', vethB, 'netns', nsB);
    ip('-n', nsA, 'addr', 'add', `${addrA}/24`, 'dev', vethA);
    ip('-n', nsB, 'addr', 'add', `${addrB}/24`, 'dev', vethB);
    for (const [ns, dev] of [[nsA, vethA], [nsB, vethB]] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    namespaces = true;
  } catch (e) {
    teardown();
    const err = e as Error & { stderr?: Buffer };
    throw new Error(
      `cannot create the network namespaces for the 2-machine test (${err.stderr?.toString().trim() || err.message}); ` +
        'it needs root and iproute2 (scripts/setup.sh installs it): run the suite as root, as CI does',
    );
  }
});
after(() => {
  teardown();
  rmSync(tmp, { recursive: true, force: true });
});

const config = (o: Partial<TrainConfig> = {}): Partial<TrainConfig> => ({
  dataDir,
  logsBaseDir: path.join(tmp, 'runs'),
  modelVariant: 'inception-resnet-v1-tiny',
  imageSize: 80,
  threads: 1,
  batchSize: 8,
  epochSize: 10,
  maxNrofEpochs: 1,
  randomCrop: true,
  randomFlip: true,
  optimizer: 'MOM',
  learningRate: 1e-4,
  ...o,
});

function inNamespace(ns: string, options: object, file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  writeFileSync(file, JSON.stringify(options));
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', LAUNCH_SCRIPT, file], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

test('2 machines (network namespaces over a veth pair) train exactly as 2 local processes', async () => {
  assert.ok(namespaces);
  const local = writeJob(tmp, 'local', { config: config({ runName: 'local' }), syncBatchNorm: true });
  const r = await launchTrain(local.file, { nprocPerNode: 2, masterPort: await freePort() });
  assert.ok(r.ok, r.message);

  const job = writeJob(tmp, 'netns', { config: config({ runName: 'netns' }), syncBatchNorm: true, connectTimeoutMs: 60_000 });
  const port = 29400 + (id % 500);
  const common = { job: job.file, nprocPerNode: 1, nnodes: 2, masterAddr: addrA, masterPort: port };
  const [a, b] = await Promise.all([
    inNamespace(nsA, { ...common, nodeRank: 0 }, path.join(tmp, 'a.json')),
    inNamespace(nsB, { ...common, nodeRank: 1 }, path.join(tmp, 'b.json')),
  ]);
  assert.equal(a.code, 0, `machine A: ${a.stdout}${a.stderr.slice(-2000)}`);
  assert.equal(b.code, 0, `machine B: ${b.stdout}${b.stderr.slice(-2000)}`);

  const expected = readOutput(local.out, 0);
  const got0 = readOutput(job.out, 0);
  const got1 = readOutput(job.out, 1);
  assert.equal(got0.losses.length, 10);
  assert.deepEqual(got0.losses, expected.losses, 'the same losses, step by step');
  assert.deepEqual(got1.losses, expected.losses);
  const x = await readCheckpoint(expected.summary.runDir);
  const y = await readCheckpoint(got0.summary.runDir);
  for (const [k, t] of x.tensors) {
    if (t.dtype !== 'float32') continue;
    assert.deepEqual(Array.from(y.tensors.get(k)!.data as Float32Array), Array.from(t.data as Float32Array), `weights ${k}`);
  }
  // Machine B's rank joined over the veth pair: the run folder came from rank 0 on machine A.
  assert.equal(got1.summary.runDir, got0.summary.runDir);
  assert.match(readFileSync(path.join(tmp, 'b.json'), 'utf8'), /"nodeRank":1/);
});

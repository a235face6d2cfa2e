// `facenet train --nproc-per-node 2` end to end through bin/facenet.js: the launcher, the workers
// re-running the command with torchrun's variables, rank 0's report; and --device on this build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticDataset } from '../../data/synthetic-dataset.js';
import { cudaAvailable } from '../../tensor/index.js';

const BIN = fileURLToPath(new URL('../../../bin/facenet.js', import.meta.url));
let tmp: string;
let dataDir: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-ddp-'));
  dataDir = path.join(tmp, 'faces');
  await writeSyntheticDataset(dataDir, { classes: 4, imagesPerClass: 6, size: 80 });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function facenet(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const common = () => ['--data-dir', dataDir, '--logs-base-dir', path.join(tmp, 'runs'), '--model-variant', 'inception-resnet-v1-tiny', '--image-size', '80', '--batch-size', '4', '--epoch-size', '3', '--max-nrof-epochs', '1', '--threads', '1'];

test('facenet train --nproc-per-node 2 --sync-batch-norm trains on 2 workers; rank 0 alone reports and writes', async () => {
  const r = await facenet(['train', ...common(), '--run-name', 'cli', '--nproc-per-node', '2', '--sync-batch-norm', '--master-port', String(await freePort()), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one summary (rank 0's), got: ${r.stdout}`);
  const summary = JSON.parse(lines[0]!) as { steps: number; rank: number; worldSize: number; modelFile: string };
  assert.equal(summary.steps, 3);
  assert.equal(summary.worldSize, 2);
  assert.equal(summary.rank, 0);
  assert.ok(existsSync(summary.modelFile));
  const config = JSON.parse(readFileSync(path.join(tmp, 'runs', 'cli', 'config.json'), 'utf8')) as { batchSize: number };
  assert.equal(config.batchSize, 4, '--batch-size is the global batch');
});

test('facenet train --nproc-per-node 2 with a batch that does not split is a usage error', async () => {
  const r = await facenet(['train', ...common().map((a) => (a === '4' ? '5' : a)), '--run-name', 'odd', '--nproc-per-node', '2', '--master-port', String(await freePort())]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--batch-size 5 is the global batch and must split evenly over the 2 processes/);
});

test('--device: an unknown name is a usage error; cuda on this CPU build fails before any work, saying how to build against a CUDA libtorch', async (t) => {
  const bad = await facenet(['train', ...common(), '--run-name', 'dev', '--device', 'tpu']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--device must be cpu, cuda or cuda:N/);
  if (cudaAvailable()) return t.diagnostic('this build has CUDA: the CPU-build message is not checked');
  const r = await facenet(['train', ...common(), '--run-name', 'dev-cuda', '--device', 'cuda']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /without CUDA.*LIBTORCH=.*npm run build:native/);
  assert.ok(!existsSync(path.join(tmp, 'runs', 'dev-cuda')), 'no run folder was made');
});

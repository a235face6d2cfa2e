import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../test-support/run-cli.js';
import { FIXTURES, ZOO } from '../../test-support/shared.js';
import { InceptionResnetV1 } from '../../models/inception-resnet-v1/model.js';
import { saveModel } from '../../models/model-file.js';
import { checkOnnxModel } from '../../export/index.js';

process.env['FACENET_MIRROR'] = ZOO;

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'facenet-export-'));
  process.env['FACENET_HOME'] = path.join(dir, 'home');
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('facenet export: a .safetensors model and --mtcnn write four checked files; --json summarises them', async () => {
  await inTemp(async (dir) => {
    const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
    await saveModel(m, path.join(dir, 'tiny.safetensors'), { threshold: 0.9 });
    m.dispose();
    const out = path.join(dir, 'out', 'tiny.onnx');
    const r = await runCli(['export', path.join(dir, 'tiny.safetensors'), '--out', out, '--mtcnn', '--precision', 'fp16', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { files: { file: string; bytes: number }[] };
    assert.deepEqual(summary.files.map((f) => path.basename(f.file)), ['tiny.onnx', 'pnet.onnx', 'rnet.onnx', 'onet.onnx']);
    assert.deepEqual((await readdir(path.join(dir, 'out'))).sort(), ['onet.onnx', 'pnet.onnx', 'rnet.onnx', 'tiny.onnx']);
    const model = checkOnnxModel(new Uint8Array(await readFile(out)), out);
    const meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key, p.value]));
    assert.equal(meta['facenet.variant'], 'inception-resnet-v1-tiny');
    assert.equal(meta['facenet.precision'], 'fp16');
    assert.equal(meta['facenet.threshold'], '0.9');
  });
});

test('facenet export: bad input gets clear errors and writes nothing', async () => {
  await inTemp(async (dir) => {
    const out = path.join(dir, 'x.onnx');
    const notModel = path.join(dir, 'weights.pt');
    await writeFile(notModel, 'this is not a PyTorch file');
    const cases: [string[], RegExp][] = [
      [['export', notModel, '--out', out], /weights\.pt/],
      [['export', path.join(dir, 'notes.txt'), '--out', out], /neither a known name .* nor an existing file/],
      [['export', path.join(ZOO, 'mtcnn', 'pnet.pt'), '--out', out], /pnet\.pt do not fit the model: missing keys: conv2d_1a/],
      [['export', path.join(FIXTURES, 'inception-resnet-v1', 'random-weights.pt'), '--variant', 'inception-resnet-v9', '--out', out], /unknown model variant 'inception-resnet-v9'/],
      [['export', path.join(FIXTURES, 'inception-resnet-v1', 'random-weights.pt'), '--opset', '5', '--out', out], /--opset 5 is below what the graph needs/],
      [['export', '--mtcnn', '--opset', '12', '--out', dir], /--opset 12 is below what the graph needs: Softmax .* needs opset 13/],
      [['export', '--out', out], /name a MODEL to export, or pass --mtcnn/],
      [['export', notModel, '--out', path.join(dir, 'x.bin')], /--out must name a \.onnx file/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, msg, `${args.join(' ')}: ${r.stderr}`);
    }
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.onnx')), []);
  });
});

/**
 * `npm run demo:web -- MODEL [--port 8080]`: exports MODEL (a .safetensors from `facenet train`,
 * a facenet-pytorch .pt, or a pretrained name) and the MTCNN nets to ONNX, builds facenet/web, and
 * serves the demo page on http://127.0.0.1:PORT/web/demo/ (cross-origin isolated, so wasm uses
 * threads). Everything goes under .cache/web-demo/. Ctrl-C stops it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportModelFile, exportMtcnnFiles } from '../src/export/index.js';
import { serveStatic } from '../src/test-support/static-server.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const model = args.find((a) => !a.startsWith('--'));
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? Number(args[portAt + 1]) : 8080;
if (!model) {
  process.stderr.write('usage: npm run demo:web -- MODEL [--port 8080]   (MODEL: .safetensors, .pt or a pretrained name)\n');
  process.exit(2);
}
const out = path.join(repo, '.cache', 'web-demo');
const written = [await exportModelFile(model, path.join(out, 'models', 'model.onnx')), ...(await exportMtcnnFiles(path.join(out, 'models')))];
for (const w of written) process.stderr.write(`exported ${path.relative(repo, w.file)} (${(w.bytes / 1e6).toFixed(1)} MB)\n`);
const build = spawnSync(process.execPath, [path.join(repo, 'scripts/build-web.mjs'), path.relative(repo, path.join(out, 'web'))], { cwd: repo, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const server = await serveStatic({ '/web/': path.join(out, 'web'), '/models/': path.join(out, 'models') }, { port });
process.stdout.write(`facenet/web demo: ${server.url}/web/demo/index.html\n`);
process.on('SIGINT', () => void server.close().then(() => process.exit(0)));

// Bundles the browser entry facenet/web (src/web/index.ts) into dist/browser/facenet-web.js with
// esbuild, with onnxruntime-web's wasm files beside it (served locally, never from a CDN), and the
// demo page (src/web/demo/) as dist/browser/demo/ (its import of ../index.js becomes the bundle). Fails if the bundle pulls in a Node-only module.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, process.argv[2] ?? 'dist/browser');
mkdirSync(path.join(out, 'demo'), { recursive: true });

const forbidden = /^(node:|fs$|path$|os$|child_process$|sharp$|better-sqlite3$|onnxruntime-node$)|native\/|tensor\/native/;
const guard = {
  name: 'no-node-modules',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (forbidden.test(args.path)) return { errors: [{ text: `facenet/web must not import the Node-only module '${args.path}' (from ${args.importer})` }] };
      return undefined;
    });
  },
};

const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', sourcemap: false, logLevel: 'warning', plugins: [guard], absWorkingDir: root };
const result = await build({ ...common, entryPoints: ['src/web/index.ts'], outfile: path.join(out, 'facenet-web.js'), metafile: true });
const bundleAsEntry = {
  name: 'demo-imports-bundle',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: '../facenet-web.js', external: true }));
  },
};
await build({ ...common, plugins: [bundleAsEntry, guard], entryPoints: ['src/web/demo/demo.ts'], outfile: path.join(out, 'demo', 'demo.js') });
copyFileSync(path.join(root, 'src/web/demo/index.html'), path.join(out, 'demo', 'index.html'));
// The wasm build onnxruntime-web's bundle loads (SIMD; threaded when cross-origin isolated).
const ortDist = path.join(root, 'node_modules/onnxruntime-web/dist');
for (const f of readdirSync(ortDist)) if (/^ort-wasm-simd-threaded\.(wasm|mjs)$/.test(f)) copyFileSync(path.join(ortDist, f), path.join(out, f));
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`facenet/web: ${path.relative(root, out)}/facenet-web.js (${(bytes / 1e6).toFixed(1)} MB) + onnxruntime-web wasm`);

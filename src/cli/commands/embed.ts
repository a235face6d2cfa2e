/** `facenet embed`: aligned face images -> float32 [N, D] .npy plus a JSON sidecar naming the rows. */
import path from 'node:path';
import { writeFile, rename, mkdir } from 'node:fs/promises';
import { parseArgs, formatHelp } from '../args.js';
import type { Command } from '../command.js';
import { ProgressBar } from '../progress.js';
import { listImages } from '../../embed/list-images.js';
import { Embedder, type FitMode, type FlipMode } from '../../embed/embedder.js';
import { loadFaceModel } from '../../models/registry.js';
import { embedFiles } from '../../embed/embed-files.js';
import { writeNpy } from '../../io/npy.js';
import { useAllCores } from '../../tensor/index.js';
import { FacenetError } from '../../errors.js';

const spec = {
  command: 'embed',
  summary: 'Embed aligned face images into a float32 [N, D] .npy file',
  positionals: [{ name: 'inputs', help: 'aligned face images or folders of them', variadic: true }],
  flags: {
    model: { type: 'string', required: true, help: "model name (vggface2, casia-webface) or file (.safetensors from `facenet train`, or a facenet-pytorch .pt)" },
    out: { type: 'string', required: true, help: 'output .npy file; FILE.json beside it lists the images in row order' },
    flip: { type: 'string', choices: ['none', 'concat', 'sum'], default: 'none', help: "add the mirrored image: 'concat' as facenet (2D columns), 'sum' as insightface" },
    fit: { type: 'string', choices: ['crop', 'resize'], default: 'crop', help: "images of another size: centre 'crop'/pad (facenet's evaluation) or 'resize'" },
    batchSize: { type: 'number', integer: true, min: 1, default: 16, help: 'images per forward pass' },
    json: { type: 'boolean', help: 'print a JSON summary on stdout' },
  },
} as const;

export const embedCommand: Command = {
  spec,
  async run(argv, io) {
    const args = parseArgs(argv, spec);
    if (args.help) {
      io.stdout.write(formatHelp(spec));
      return 0;
    }
    const { model: modelName, out, flip, fit, batchSize, json } = args.flags;
    if (!out.endsWith('.npy')) throw new FacenetError('BAD_ARGUMENT', `--out must name a .npy file, got ${out}`);
    const files = await listImages(args.positionals.inputs);
    useAllCores();
    const { model, id } = await loadFaceModel(modelName);
    const embedder = new Embedder(model, { batchSize, flip: flip as FlipMode, fit: fit as FitMode });
    const bar = new ProgressBar({ label: 'embed', total: files.length, unit: 'img', stream: io.stderr });
    let result;
    try {
      result = await embedFiles(files, embedder, { signal: io.signal, onProgress: (n) => bar.update(n) });
    } finally {
      bar.finish();
      model.dispose();
    }
    if (result.aborted) {
      io.stderr.write('embed: interrupted; nothing written\n');
      return 130;
    }
    const { embeddings: matrix, kept, failures } = result;
    await mkdir(path.dirname(path.resolve(out)), { recursive: true });
    await writeNpy(out, { dtype: 'float32', shape: [kept.length, embedder.dim], data: matrix });
    const sidecar = {
      model: id,
      config: model.config,
      flip,
      fit,
      rows: kept.length,
      dim: embedder.dim,
      images: kept.map((f) => path.resolve(f)),
      failures,
    };
    const jsonPath = out.replace(/\.npy$/, '.json');
    await writeFile(jsonPath + '.tmp', JSON.stringify(sidecar, null, 2) + '\n');
    await rename(jsonPath + '.tmp', jsonPath);
    for (const f of failures) io.stderr.write(`embed: skipped ${f.file}: ${f.reason}\n`);
    const summary = { out, json: jsonPath, rows: kept.length, dim: embedder.dim, failures: failures.length, model: id };
    io.stdout.write(json ? JSON.stringify(summary) + '\n' : `wrote ${kept.length} x ${embedder.dim} embeddings to ${out} (${failures.length} images skipped)\n`);
    return failures.length > 0 && kept.length === 0 ? 1 : 0;
  },
};

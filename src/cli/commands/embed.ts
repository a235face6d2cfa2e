/** `facenet embed`: aligned face images -> float32 [N, D] .npy plus a JSON sidecar naming the rows. */
import path from 'node:path';
import { defineCommand } from '../define-command.js';
import { NETWORK_OPTIONS, networkOptions } from '../network-options.js';
import { ProgressBar } from '../progress.js';
import { listImages } from '../../embed/list-images.js';
import { Embedder, type FitMode, type FlipMode } from '../../embed/embedder.js';
import { loadFaceModel } from '../../models/registry.js';
import { embedFiles, notAlignedWarning } from '../../embed/embed-files.js';
import { sidecarPath, writeEmbeddingsPair } from '../../embed/embeddings-file.js';
import { checkOutputFile } from '../../io/output-path.js';
import { FacenetError } from '../../errors.js';

export const embedCommand = defineCommand(
  {
    command: 'embed',
    summary: 'Embed aligned face images into a float32 [N, D] .npy file',
    json: 'print a JSON summary on stdout',
    positionals: [{ name: 'inputs', help: 'aligned face images or folders of them', variadic: true }],
    flags: {
      model: { type: 'string', required: true, help: "model name (vggface2, casia-webface) or file (.safetensors from `facenet train`, or a facenet-pytorch .pt)" },
      out: { type: 'string', required: true, help: 'output E.npy; its sidecar E.json (same name, .json instead of .npy) lists the images in row order. Both are replaced only when the run succeeds' },
      flip: { type: 'string', choices: ['none', 'concat', 'sum'], default: 'none', help: "add the mirrored image: 'concat' as facenet (2D columns), 'sum' as insightface" },
      fit: { type: 'string', choices: ['crop', 'resize'], default: 'crop', help: "images of another size: centre 'crop'/pad (facenet's evaluation) or 'resize'" },
      batchSize: { type: 'number', integer: true, min: 1, default: 16, help: 'images per forward pass' },
      ...NETWORK_OPTIONS,
    },
  },
  async ({ flags, positionals }, ctx) => {
    const { model: modelName, out, flip, fit, batchSize } = flags;
    if (!out.endsWith('.npy')) throw new FacenetError('BAD_ARGUMENT', `--out must name a .npy file, got ${out}`);
    const files = await listImages(positionals.inputs);
    await checkOutputFile(out, '--out', { mkdir: true });
    await checkOutputFile(sidecarPath(out), '--out (sidecar)', { mkdir: true });
    const { model, id, precision, warnings } = await loadFaceModel(modelName, networkOptions(flags));
    for (const w of warnings) ctx.warn(w);
    const embedder = new Embedder(model, { batchSize, flip: flip as FlipMode, fit: fit as FitMode });
    const bar = new ProgressBar({ label: 'embed', total: files.length, unit: 'img', stream: ctx.io.stderr });
    let result;
    try {
      result = await embedFiles(files, embedder, { signal: ctx.io.signal, onProgress: (n) => bar.update(n) });
    } finally {
      bar.finish();
      model.dispose();
    }
    if (result.aborted) {
      ctx.warn('interrupted; nothing written');
      return 130;
    }
    const { embeddings: matrix, kept, failures } = result;
    for (const f of failures) ctx.warn(`skipped ${f.file}: ${f.reason}`);
    const notAligned = notAlignedWarning(result, model.config.inputSize);
    if (notAligned) ctx.warn(notAligned);
    if (kept.length === 0) {
      throw new FacenetError('BAD_IMAGE', `none of the ${files.length} images could be embedded; ${out} and ${sidecarPath(out)} were not written (earlier files, if any, are unchanged)`);
    }
    const written = await writeEmbeddingsPair(out, matrix, {
      model: id,
      config: model.config,
      precision,
      flip,
      fit,
      dim: embedder.dim,
      images: kept.map((f) => path.resolve(f)),
      failures,
    });
    const jsonPath = written.json;
    const summary = { out, json: jsonPath, rows: kept.length, dim: embedder.dim, failures: failures.length, model: id, precision };
    ctx.print(summary, () => `wrote ${kept.length} x ${embedder.dim} embeddings to ${out} (${failures.length} images skipped)\n`);
    return 0;
  },
);

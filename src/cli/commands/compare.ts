/**
 * `facenet compare IMAGE...`: detect, align, embed and print the distance matrix, as facenet's
 * compare.py (plain, not squared, L2), plus same / different verdicts at the model's threshold.
 */
import path from 'node:path';
import { parseArgs, formatHelp } from '../args.js';
import type { Command } from '../command.js';
import { MtcnnDetector } from '../../detect/index.js';
import { alignFace, type AlignMode } from '../../align/index.js';
import { decodeImageFile, type RgbImage } from '../../io/image.js';
import { Embedder } from '../../embed/embedder.js';
import { loadFaceModel } from '../../models/registry.js';
import { useAllCores } from '../../tensor/index.js';
import { FacenetError } from '../../errors.js';

const spec = {
  command: 'compare',
  summary: 'Distance matrix and same/different verdicts for faces in a few images',
  positionals: [{ name: 'images', help: 'two or more photos; the most confident face of each is used', variadic: true }],
  flags: {
    model: { type: 'string', required: true, help: 'model name or file' },
    margin: { type: 'number', min: 0, default: 44, help: "pixels added around the detected box (compare.py's --margin)" },
    align: { type: 'string', choices: ['box', 'similarity'], default: 'box', help: 'box+margin crop (facenet) or 5-point similarity warp' },
    threshold: { type: 'number', min: 0, help: "squared-L2 distance below which two faces are the same person (default: the model's stored threshold)" },
    json: { type: 'boolean', help: 'print JSON' },
  },
} as const;

export const compareCommand: Command = {
  spec,
  async run(argv, io) {
    const args = parseArgs(argv, spec);
    if (args.help) {
      io.stdout.write(formatHelp(spec));
      return 0;
    }
    const f = args.flags;
    const files = args.positionals.images;
    useAllCores();
    const { model, id, facts } = await loadFaceModel(f.model);
    const detector = await MtcnnDetector.load({ detect: { order: 'probability' } });
    try {
      const faces: { file: string; img: RgbImage }[] = [];
      const failed: { file: string; reason: string }[] = [];
      for (const file of files) {
        try {
          const img = await decodeImageFile(file);
          const found = detector.detect(img);
          // compare.py keeps the first (most confident) face of each image.
          if (found.length === 0) throw new FacenetError('BAD_IMAGE', 'no face found');
          faces.push({ file, img: await alignFace(img, found[0]!, { imageSize: model.config.inputSize, margin: f.margin, mode: f.align as AlignMode }) });
        } catch (e) {
          failed.push({ file, reason: (e as Error).message });
          io.stderr.write(`compare: unable to align ${file}: ${(e as Error).message}\n`);
        }
      }
      if (faces.length < 2) throw new FacenetError('BAD_ARGUMENT', `need at least two images with a face, got ${faces.length}`);
      const embedder = new Embedder(model, { batchSize: 16 });
      const emb = embedder.embedPrepared(faces.map((x) => x.img));
      const d = embedder.dim;
      const n = faces.length;
      const dist = Array.from({ length: n }, (_, i) =>
        Array.from({ length: n }, (_, j) => {
          let s = 0;
          for (let k = 0; k < d; k++) s += (emb[i * d + k]! - emb[j * d + k]!) ** 2;
          return Math.sqrt(s);
        }),
      );
      const threshold = f.threshold ?? (typeof facts.threshold === 'number' ? facts.threshold : undefined);
      const verdicts: { a: number; b: number; distance: number; same: boolean }[] = [];
      if (threshold !== undefined) {
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) verdicts.push({ a: i, b: j, distance: dist[i]![j]!, same: dist[i]![j]! ** 2 < threshold });
      }
      if (f.json) {
        io.stdout.write(JSON.stringify({ model: id, images: faces.map((x) => x.file), distances: dist, threshold: threshold ?? null, verdicts, failed }) + '\n');
        return 0;
      }
      const out: string[] = ['Images:', ...faces.map((x, i) => `${i}: ${x.file}`), '', 'Distance matrix'];
      out.push('    ' + faces.map((_, i) => `    ${i}     `).join(''));
      dist.forEach((row, i) => out.push(`${i}  ` + row.map((v) => `  ${v.toFixed(4)}  `).join('')));
      out.push('');
      if (threshold === undefined) {
        out.push(`No verdicts: ${id} has no stored threshold (run \`facenet validate --save-threshold\` on it, or pass --threshold).`);
      } else {
        out.push(`Verdicts at squared-L2 threshold ${threshold.toFixed(4)} (plain L2 ${Math.sqrt(threshold).toFixed(4)}):`);
        for (const v of verdicts) out.push(`  ${path.basename(faces[v.a]!.file)} vs ${path.basename(faces[v.b]!.file)}: ${v.same ? 'same person' : 'different people'} (${v.distance.toFixed(4)})`);
      }
      io.stdout.write(out.join('\n') + '\n');
      return 0;
    } finally {
      detector.dispose();
      model.dispose();
    }
  },
};

/**
 * `facenet compare IMAGE...`: detect, align, embed and print the distance matrix, as facenet's
 * compare.py (plain, not squared, L2), plus same / different verdicts at the model's threshold.
 * All the work is the FaceNet facade's.
 */
import path from 'node:path';
import { defineCommand } from '../define-command.js';
import { NETWORK_OPTIONS, networkOptions } from '../network-options.js';
import { FaceNet } from '../../facenet.js';
import { decodeImageFile, type RgbImage } from '../../io/image.js';
import type { AlignMode } from '../../align/index.js';
import { FacenetError } from '../../errors.js';

export const compareCommand = defineCommand(
  {
    command: 'compare',
    summary: 'Distance matrix and same/different verdicts for faces in a few images',
    json: 'print JSON',
    positionals: [{ name: 'images', help: 'two or more photos; the most confident face of each is used', variadic: true }],
    flags: {
      model: { type: 'string', required: true, help: 'model name or file' },
      margin: { type: 'number', min: 0, default: 44, help: "pixels added around the detected box (compare.py's --margin)" },
      align: { type: 'string', choices: ['box', 'similarity'], default: 'box', help: 'box+margin crop (facenet) or 5-point similarity warp' },
      threshold: { type: 'number', min: 0, help: "squared-L2 distance below which two faces are the same person (default: the model's stored threshold)" },
      ...NETWORK_OPTIONS,
    },
  },
  async ({ flags: f, positionals }, ctx) => {
    const files = positionals.images;
    const fn = await FaceNet.load({ model: f.model, alignment: { margin: f.margin, mode: f.align as AlignMode }, batchSize: 16, ...networkOptions(f), onWarning: (m) => ctx.warn(m) });
    try {
      const faces: { file: string; img: RgbImage }[] = [];
      const failed: { file: string; reason: string }[] = [];
      for (const file of files) {
        try {
          const img = await decodeImageFile(file);
          // compare.py keeps the first (most confident) face of each image.
          const found = await fn.detect(img);
          if (found.length === 0) throw new FacenetError('BAD_IMAGE', 'no face found');
          faces.push({ file, img: await fn.align(img, found[0]!) });
        } catch (e) {
          failed.push({ file, reason: (e as Error).message });
          ctx.warn(`unable to align ${file}: ${(e as Error).message}`);
        }
      }
      if (faces.length < 2) throw new FacenetError('BAD_ARGUMENT', `need at least two images with a face, got ${faces.length}`);
      const embeddings = await fn.embed(faces.map((x) => x.img));
      const threshold = f.threshold ?? fn.threshold;
      const n = faces.length;
      const pairs = embeddings.map((a) => embeddings.map((b) => fn.compare(a, b, threshold)));
      const dist = pairs.map((row) => row.map((c) => c.distance));
      const verdicts: { a: number; b: number; distance: number; same: boolean }[] = [];
      if (threshold !== null) {
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) verdicts.push({ a: i, b: j, distance: dist[i]![j]!, same: pairs[i]![j]!.isMatch === true });
      }
      ctx.print({ model: fn.modelId, images: faces.map((x) => x.file), distances: dist, threshold, verdicts, failed }, () => {
        const out: string[] = ['Images:', ...faces.map((x, i) => `${i}: ${x.file}`), '', 'Distance matrix'];
        out.push('    ' + faces.map((_, i) => `    ${i}     `).join(''));
        dist.forEach((row, i) => out.push(`${i}  ` + row.map((v) => `  ${v.toFixed(4)}  `).join('')));
        out.push('');
        if (threshold === null) {
          out.push(`No verdicts: ${fn.modelId} has no stored threshold (run \`facenet validate --save-threshold\` on it, or pass --threshold).`);
        } else {
          out.push(`Verdicts at squared-L2 threshold ${threshold.toFixed(4)} (plain L2 ${Math.sqrt(threshold).toFixed(4)}):`);
          for (const v of verdicts) out.push(`  ${path.basename(faces[v.a]!.file)} vs ${path.basename(faces[v.b]!.file)}: ${v.same ? 'same person' : 'different people'} (${v.distance.toFixed(4)})`);
        }
        return out.join('\n') + '\n';
      });
      return 0;
    } finally {
      fn.dispose();
    }
  },
);

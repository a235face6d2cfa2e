/** Writes an SVG plot as .svg, or rendered to .png by sharp (librsvg), atomically. */
import path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from './fs-util.js';
import { FacenetError } from '../errors.js';

export async function writePlot(svg: string, file: string): Promise<void> {
  const ext = path.extname(file).toLowerCase();
  let bytes: Uint8Array;
  if (ext === '.svg') bytes = Buffer.from(svg, 'utf8');
  else if (ext === '.png') {
    try {
      bytes = await sharp(Buffer.from(svg, 'utf8'), { density: 144 }).flatten({ background: '#ffffff' }).png().toBuffer();
    } catch (e) {
      throw new FacenetError('BAD_FILE', `cannot render the plot to ${file}: ${(e as Error).message}`);
    }
  } else throw new FacenetError('BAD_ARGUMENT', `plot file ${file}: use a .svg or .png name`);
  await writeFileAtomic(file, [bytes]);
}

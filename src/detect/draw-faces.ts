/**
 * Annotated copies of an image: a box and the five landmark dots per face, with its probability,
 * drawn by compositing an SVG overlay with sharp. Written atomically (temp file + rename).
 */
import path from 'node:path';
import sharp from 'sharp';
import { FacenetError } from '../errors.js';
import { writeFileAtomic } from '../io/fs-util.js';
import type { RgbImage } from '../io/image.js';
import type { Face } from './face.js';

const LANDMARK_COLOURS = ['#00e5ff', '#00e5ff', '#ffea00', '#ff4081', '#ff4081'];

/** The SVG overlay (same size as the image) for `faces`. */
export function facesOverlaySvg(width: number, height: number, faces: readonly Face[]): string {
  const stroke = Math.max(1, Math.round(Math.min(width, height) / 250));
  const r = Math.max(1.5, stroke * 1.5);
  const font = Math.max(10, stroke * 10);
  const n = (v: number): string => (Math.round(v * 10) / 10).toString();
  const parts = faces.map((f) => {
    const [x1, y1, x2, y2] = f.box;
    const dots = f.landmarks.map(([x, y], k) => `<circle cx="${n(x)}" cy="${n(y)}" r="${n(r)}" fill="${LANDMARK_COLOURS[k]}"/>`).join('');
    const labelY = y1 - stroke * 2 > font ? y1 - stroke * 2 : y2 + font;
    return (
      `<rect x="${n(x1)}" y="${n(y1)}" width="${n(x2 - x1)}" height="${n(y2 - y1)}" fill="none" stroke="#00ff00" stroke-width="${stroke}"/>` +
      dots +
      `<text x="${n(x1)}" y="${n(labelY)}" font-family="sans-serif" font-size="${font}" fill="#00ff00">${f.prob.toFixed(3)}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Writes `img` with its faces drawn to `file` (format from the extension: .png, .jpg or .webp). */
export async function drawFaces(img: RgbImage, faces: readonly Face[], file: string): Promise<void> {
  const svg = Buffer.from(facesOverlaySvg(img.width, img.height, faces));
  const ext = path.extname(file).toLowerCase();
  try {
    let s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 }, limitInputPixels: false }).composite([
      { input: svg, top: 0, left: 0 },
    ]);
    s = ext === '.jpg' || ext === '.jpeg' ? s.jpeg({ quality: 92 }) : ext === '.webp' ? s.webp() : s.png();
    await writeFileAtomic(file, await s.toBuffer(), { mkdir: true });
  } catch (err) {
    throw new FacenetError('BAD_FILE', `cannot write the annotated image ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Where `facenet detect --draw DIR` writes each input's annotated copy: DIR/<name>.png, and
 * DIR/<name>-2.png, -3, … for later inputs with the same file name (a/x.jpg and b/x.jpg), so that
 * no input overwrites another's picture.
 */
export function drawOutputPaths(files: readonly string[], dir: string): string[] {
  const used = new Set<string>();
  return files.map((file) => {
    const stem = path.parse(file).name;
    let name = `${stem}.png`;
    for (let k = 2; used.has(name); k++) name = `${stem}-${k}.png`;
    used.add(name);
    return path.join(dir, name);
  });
}

/**
 * Images in the browser as the pipeline's RgbImage (8-bit RGB, row-major), decoded with the
 * browser's own codecs (createImageBitmap + a canvas) instead of sharp. Colour profiles are not
 * applied (colorSpaceConversion: 'none'), as the Node side's detector tests feed PIL's pixels.
 *
 * The DOM types are declared here, minimally, so the project's Node-only tsconfig needs no DOM
 * library: this module touches only what it declares.
 */
import type { RgbImage } from '../io/image.js';
import { FacenetError } from '../errors.js';

interface Bitmap {
  width: number;
  height: number;
  close(): void;
}
interface Context2D {
  drawImage(img: unknown, sx: number, sy: number, sw: number, sh: number, dx: number, dy: number, dw: number, dh: number): void;
  drawImage(img: unknown, dx: number, dy: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray; width: number; height: number };
  putImageData(d: unknown, x: number, y: number): void;
  imageSmoothingEnabled: boolean;
  imageSmoothingQuality: string;
}
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d', o?: Record<string, unknown>): Context2D | null;
}
interface BrowserGlobals {
  createImageBitmap(src: unknown, o?: Record<string, unknown>): Promise<Bitmap>;
  OffscreenCanvas?: new (w: number, h: number) => Canvas;
  ImageData: new (data: Uint8ClampedArray, w: number, h: number) => unknown;
  document?: { createElement(tag: 'canvas'): Canvas };
}
const web = (): BrowserGlobals => globalThis as unknown as BrowserGlobals;

/** What facenet/web accepts as an image: encoded bytes (Blob / File / ArrayBuffer), an ImageBitmap, an <img>/<canvas>/ImageData, or RgbImage pixels. */
export type WebImageInput = Blob | ArrayBuffer | Uint8Array | Bitmap | RgbImage | { width: number; height: number; data: Uint8ClampedArray } | object;

function canvas(w: number, h: number): Canvas {
  const g = web();
  if (g.OffscreenCanvas) return new g.OffscreenCanvas(w, h);
  const c = g.document!.createElement('canvas');
  c.width = w;
  c.height = h;
  return c;
}

function context(c: Canvas): Context2D {
  const ctx = c.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new FacenetError('BAD_IMAGE', 'no 2D canvas context available to decode images');
  return ctx;
}

function rgbFromRgba(rgba: Uint8ClampedArray, w: number, h: number, source: string): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0, j = 0; i < w * h; i++, j += 4) {
    data[i * 3] = rgba[j]!;
    data[i * 3 + 1] = rgba[j + 1]!;
    data[i * 3 + 2] = rgba[j + 2]!;
  }
  return { width: w, height: h, data, source };
}

const isRgbImage = (x: unknown): x is RgbImage =>
  typeof x === 'object' && x !== null && (x as RgbImage).data instanceof Uint8Array && typeof (x as RgbImage).width === 'number' && (x as RgbImage).data.length === (x as RgbImage).width * (x as RgbImage).height * 3;

/** Decodes any WebImageInput to RGB pixels. */
export async function toRgbImage(input: WebImageInput, source = '<image>'): Promise<RgbImage> {
  if (isRgbImage(input)) return input;
  const maybe = input as { data?: unknown; width?: number; height?: number };
  if (maybe.data instanceof Uint8ClampedArray && typeof maybe.width === 'number' && typeof maybe.height === 'number') {
    return rgbFromRgba(maybe.data, maybe.width, maybe.height, source); // ImageData
  }
  const g = web();
  let src: unknown = input;
  if (input instanceof ArrayBuffer || input instanceof Uint8Array) src = new Blob([input]);
  let bmp: Bitmap;
  try {
    bmp = await g.createImageBitmap(src, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new FacenetError('BAD_IMAGE', `cannot decode ${source}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const c = canvas(bmp.width, bmp.height);
    const ctx = context(c);
    ctx.drawImage(bmp, 0, 0);
    return rgbFromRgba(ctx.getImageData(0, 0, bmp.width, bmp.height).data, bmp.width, bmp.height, source);
  } finally {
    bmp.close();
  }
}

/**
 * Crops [x1, y1, x2, y2) and resizes to size x size with the canvas's high-quality smoothing.
 * Deliberate difference from Node (sharp's linear kernel in align-face.ts): the browser's
 * resampler, so 'box' crops may differ from Node's by a few grey levels.
 */
export function cropResize(img: RgbImage, box: ArrayLike<number>, size: number): RgbImage {
  const [x1, y1, x2, y2] = [box[0]!, box[1]!, box[2]!, box[3]!];
  const w = x2 - x1;
  const h = y2 - y1;
  if (!(w > 0 && h > 0)) throw new FacenetError('BAD_ARGUMENT', `crop [${x1}, ${y1}, ${x2}, ${y2}] leaves nothing of ${img.source}`);
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = ((y1 + y) * img.width + x1 + x) * 3;
      const d = (y * w + x) * 4;
      rgba[d] = img.data[s]!;
      rgba[d + 1] = img.data[s + 1]!;
      rgba[d + 2] = img.data[s + 2]!;
      rgba[d + 3] = 255;
    }
  }
  const g = web();
  const from = canvas(w, h);
  context(from).putImageData(new g.ImageData(rgba, w, h), 0, 0);
  const to = canvas(size, size);
  const ctx = context(to);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(from, 0, 0, w, h, 0, 0, size, size);
  return rgbFromRgba(ctx.getImageData(0, 0, size, size).data, size, size, img.source);
}

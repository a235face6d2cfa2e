/**
 * Image decoding, encoding, resizing and cropping, all on plain HWC RGB bytes (sharp/libvips).
 *
 * Everything downstream (MTCNN, alignment, embedding) sees one image type, `RgbImage`: 8-bit RGB,
 * 3 bytes per pixel, rows top to bottom, EXIF orientation already applied. That mirrors what
 * facenet gets from `misc.imread` followed by `to_rgb` / `img[:, :, 0:3]`.
 */

import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { FacenetError } from '../errors.js';
import { writeFileAtomic } from './fs-util.js';

/** 8-bit RGB pixels, HWC order: pixel (x, y) starts at byte (y * width + x) * 3. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
  /** Where the pixels came from (a file path, an archive entry, '<buffer>'), for error messages. */
  source: string;
}

/** Already-decoded RGB pixels handed in by the caller (e.g. from a video frame). */
export interface RawRgbInput {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

export type ImageInput = string | Uint8Array | RawRgbInput;

export interface DecodeOptions {
  /**
   * Refuse images with more pixels than this (decompression-bomb guard). The check uses the size
   * in the header, before any pixel is decoded. Default 16383 x 16383 (sharp's own default),
   * which lets a 10000 x 10000 photo through; its RGB buffer alone is 300 MB.
   */
  maxPixels?: number;
  /** Name used in error messages and `RgbImage.source` for Buffer input (default '<buffer>'). */
  name?: string;
}

/** Crop box as facenet writes it: [x1, y1, x2, y2] in pixels, x2/y2 exclusive. */
export type CropBox = readonly [x1: number, y1: number, x2: number, y2: number];

export const DEFAULT_MAX_PIXELS = 16383 * 16383;

/**
 * Formats we accept. sharp could also render SVG or PDF-like inputs; a face pipeline has no use
 * for them and rendering untrusted vector files is a needless risk, so they are refused.
 * 'heif' is what sharp reports for AVIF, which its prebuilt binaries decode.
 */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);
const ACCEPTED_LIST = 'JPEG, PNG, WebP, GIF, TIFF or AVIF';

/**
 * Decodes an image file, encoded bytes, or raw RGB pixels into an `RgbImage`.
 *
 * - EXIF orientation is applied, so a portrait photo stored sideways comes back upright
 *   (width and height swapped for orientations 5-8).
 * - Greyscale is expanded to RGB (R = G = B), as facenet's `to_rgb` does.
 * - Alpha is dropped, not composited: facenet takes `img[:, :, 0:3]` of RGBA images, so
 *   transparent pixels keep whatever colour they store. We do the same so that aligned crops
 *   match the reference byte for byte.
 * - GIF and multi-page TIFF: the first frame/page only.
 * - A truncated file is an error (sharp `failOn: 'truncated'`), not a half-grey image. We do not
 *   use the stricter 'warning' level because many real camera JPEGs carry harmless libjpeg
 *   warnings (e.g. extraneous bytes before a marker) and would be rejected.
 * - Raw input is validated and returned without copying: the result shares the caller's bytes.
 */
export async function decodeImage(input: ImageInput, opts: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (typeof input === 'string') return decodeImageFile(input, opts);
  if (input instanceof Uint8Array) return decodeEncoded(input, opts.name ?? '<buffer>', maxPixels);
  return fromRaw(input, opts.name ?? '<raw pixels>');
}

/** Reads and decodes one image file; errors name the file. */
export async function decodeImageFile(file: string, opts: DecodeOptions = {}): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    // We read the file ourselves rather than hand sharp the path: libvips caches decoded files by
    // name, which can serve stale pixels when a file is rewritten in place during a run.
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw notFound(file, err);
    if (code === 'EISDIR') {
      throw new FacenetError('BAD_ARGUMENT', `expected an image file but ${file} is a directory`, { cause: err });
    }
    throw new FacenetError('BAD_IMAGE', `cannot read image file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return decodeEncoded(bytes, file, opts.maxPixels ?? DEFAULT_MAX_PIXELS);
}

async function decodeEncoded(bytes: Uint8Array, source: string, maxPixels: number): Promise<RgbImage> {
  if (!(Number.isFinite(maxPixels) && maxPixels > 0)) {
    throw new FacenetError('BAD_ARGUMENT', `decodeImage: maxPixels must be a positive number, got ${maxPixels}`);
  }
  if (bytes.length === 0) {
    throw new FacenetError('BAD_IMAGE', `${source}: the file is empty (0 bytes), not an image`);
  }
  let meta: sharp.Metadata;
  try {
    // Header only, without sharp's pixel limit, so that an oversized image gets the explicit
    // message below (with its size) instead of sharp's bare "exceeds pixel limit".
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new FacenetError(
      'BAD_IMAGE',
      `${source}: not a readable image (expected ${ACCEPTED_LIST}): ${sharpMessage(err)}`,
      { cause: err },
    );
  }
  if (!meta.format || !ACCEPTED_FORMATS.has(meta.format)) {
    throw new FacenetError('BAD_IMAGE', `${source}: unsupported image format '${meta.format}' (expected ${ACCEPTED_LIST})`);
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w * h > maxPixels) {
    throw new FacenetError(
      'BAD_IMAGE',
      `${source}: image is ${w}x${h} = ${w * h} pixels, more than the limit of ${maxPixels} ` +
        '(a possible decompression bomb; raise maxPixels if the image is genuine)',
    );
  }
  return decodePixels(bytes, source, maxPixels, `${meta.format} image`);
}

/**
 * Decodes a training image in one libuv thread-pool job (sharp opens, reads and decodes the file).
 *
 * Why a second entry point: decodeImageFile reads the file with fs.promises (open, stat, read,
 * close) and asks sharp for the header before decoding, about seven event-loop round trips. While
 * the main thread sits inside a libtorch training step no round trip completes, so a prefetched
 * image would advance one hop per step; here a whole batch decodes while the step runs.
 *
 * Same pixels as decodeImageFile (one pipeline, decodePixels). Differences: the format is not
 * checked against the accepted list (training folders are trusted, and checking costs a second
 * hop), and libvips' file cache may serve a file rewritten during the run (training data is not
 * rewritten in place).
 */
export async function decodeImageFileFast(file: string, maxPixels = DEFAULT_MAX_PIXELS): Promise<RgbImage> {
  return decodePixels(file, file, maxPixels, 'image');
}

/**
 * The one sharp decode pipeline: EXIF orientation, alpha dropped, greyscale to RGB, ICC ignored.
 * `input` is encoded bytes or a file path (sharp then reads it in its own thread-pool job).
 */
async function decodePixels(input: Uint8Array | string, source: string, maxPixels: number, format: string): Promise<RgbImage> {
  try {
    // limitInputPixels stays on as a second line of defence behind the header check.
    // ignoreIcc: the reference pipelines (PIL / scipy imread, OpenCV) take the stored RGB values
    // and ignore embedded colour profiles; converting through the profile shifts pixels (up to
    // 28 grey levels on samples/paul_rudd.jpg) and moves MTCNN's detections off the reference.
    const { data, info } = await sharp(input, { failOn: 'truncated', limitInputPixels: maxPixels, pages: 1, ignoreIcc: true })
      .rotate() // no angle: apply EXIF orientation, then drop the tag
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: toRgb(data, info.channels, source), source };
  } catch (err) {
    const message = sharpMessage(err);
    if (typeof input === 'string' && /input file is missing/i.test(message)) throw notFound(input, err);
    throw new FacenetError('BAD_IMAGE', `${source}: cannot decode ${format}: ${message}`, { cause: err });
  }
}

/** The NOT_FOUND error of a missing image file. */
function notFound(file: string, cause: unknown): FacenetError {
  return new FacenetError('NOT_FOUND', `image file not found: ${file}`, { cause });
}

/** sharp should already give 3 channels; this guards the rare paths where libvips keeps 1 or 2. */
function toRgb(data: Buffer, channels: number, source: string): Uint8Array {
  if (channels === 3) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (channels !== 1 && channels !== 2 && channels !== 4) {
    throw new FacenetError('BAD_IMAGE', `${source}: decoded to ${channels} channels, cannot make RGB of it`);
  }
  const n = data.length / channels;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    if (channels === 4) {
      out[i * 3] = data[i * 4] as number;
      out[i * 3 + 1] = data[i * 4 + 1] as number;
      out[i * 3 + 2] = data[i * 4 + 2] as number;
    } else {
      const v = data[i * channels] as number;
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    }
  }
  return out;
}

function fromRaw(input: RawRgbInput, source: string): RgbImage {
  const { data, width, height, channels } = input;
  if (channels !== 3) {
    throw new FacenetError('BAD_ARGUMENT', `raw image input must have channels: 3 (RGB), got ${String(channels)}`);
  }
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new FacenetError('BAD_ARGUMENT', `raw image size must be positive integers, got ${width}x${height}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * 3) {
    const got = data instanceof Uint8Array ? `${data.length} bytes` : typeof data;
    throw new FacenetError('BAD_ARGUMENT', `raw ${width}x${height} RGB image needs ${width * height * 3} bytes, got ${got}`);
  }
  return { width, height, data, source };
}

/**
 * Writes `img` as a PNG. Atomic: the bytes go to a temporary file in the same folder, which is then
 * renamed over `file`, so a crash or a parallel reader never sees a half-written PNG (resumable
 * jobs such as alignment rely on "file exists" meaning "file is complete"). Parent folders are
 * created.
 */
export async function encodePng(img: RgbImage, file: string): Promise<void> {
  assertRgbImage(img, 'encodePng');
  let png: Buffer;
  try {
    png = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .png()
      .toBuffer();
  } catch (err) {
    throw new FacenetError('BAD_IMAGE', `cannot encode ${img.source} as PNG: ${sharpMessage(err)}`, { cause: err });
  }
  try {
    await writeFileAtomic(file, png, { mkdir: true });
  } catch (err) {
    throw new FacenetError('BAD_FILE', `cannot write PNG ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Resizes to exactly width x height (aspect ratio not kept), like facenet's
 * `misc.imresize(img, (h, w), interp='bilinear')`.
 *
 * Kernel: sharp's 'linear' (a triangle filter). Pillow's BILINEAR, which scipy's imresize used,
 * is also a triangle filter whose support widens when shrinking (it antialiases), and libvips'
 * linear reduce does the same, so both agree up to rounding (a grey level or two), unlike a
 * textbook 4-tap bilinear sample that aliases on large downscales. Upscaling is plain bilinear
 * interpolation in both.
 */
export async function resizeBilinear(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  assertRgbImage(img, 'resizeBilinear');
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new FacenetError('BAD_ARGUMENT', `resizeBilinear: target size must be positive integers, got ${width}x${height}`);
  }
  if (width === img.width && height === img.height) {
    return { width, height, data: img.data.slice(), source: img.source };
  }
  try {
    const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .resize(width, height, { kernel: 'linear', fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: toRgb(data, info.channels, img.source), source: img.source };
  } catch (err) {
    throw new FacenetError('BAD_IMAGE', `cannot resize ${img.source}: ${sharpMessage(err)}`, { cause: err });
  }
}

/**
 * Crops [x1, y1, x2, y2] (x2/y2 exclusive) after clipping the box to the image, as facenet does:
 * `bb = [max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)]` truncated to integers. Fractional
 * coordinates are floored. Pure: returns a new image, the input is untouched. A box that lies
 * entirely outside the image (nothing left after clipping) is a BAD_ARGUMENT.
 */
export function cropImage(img: RgbImage, box: CropBox): RgbImage {
  assertRgbImage(img, 'cropImage');
  if (box.length !== 4 || !box.every((v) => Number.isFinite(v))) {
    throw new FacenetError('BAD_ARGUMENT', `cropImage: box must be 4 finite numbers [x1, y1, x2, y2], got [${box.join(', ')}]`);
  }
  const [bx1, by1, bx2, by2] = box;
  const x1 = Math.floor(Math.max(bx1, 0));
  const y1 = Math.floor(Math.max(by1, 0));
  const x2 = Math.floor(Math.min(bx2, img.width));
  const y2 = Math.floor(Math.min(by2, img.height));
  if (x2 <= x1 || y2 <= y1) {
    throw new FacenetError(
      'BAD_ARGUMENT',
      `cropImage: box [${box.join(', ')}] leaves nothing of the ${img.width}x${img.height} image ${img.source}`,
    );
  }
  const w = x2 - x1;
  const h = y2 - y1;
  const out = new Uint8Array(w * h * 3);
  const rowBytes = w * 3;
  for (let y = 0; y < h; y++) {
    const from = ((y1 + y) * img.width + x1) * 3;
    out.set(img.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { width: w, height: h, data: out, source: img.source };
}

/** Throws BAD_ARGUMENT unless `img` is a well-formed RgbImage (positive integer size, width*height*3 bytes). */
export function assertRgbImage(img: RgbImage, fn: string): void {
  if (typeof img !== 'object' || img === null) {
    throw new FacenetError('BAD_ARGUMENT', `${fn}: expected an RgbImage { width, height, data: Uint8Array, source }, got ${img === null ? 'null' : typeof img}`);
  }
  const ok =
    Number.isInteger(img.width) &&
    img.width > 0 &&
    Number.isInteger(img.height) &&
    img.height > 0 &&
    img.data instanceof Uint8Array &&
    img.data.length === img.width * img.height * 3;
  if (!ok) {
    throw new FacenetError(
      'BAD_ARGUMENT',
      `${fn}: not a valid RgbImage${typeof img.source === 'string' ? ` (${img.source})` : ''}: ${img.width}x${img.height} with ` +
        `${img.data instanceof Uint8Array ? `${img.data.length} bytes` : `data of type ${typeof img.data}`}; expected positive integer width and height and width*height*3 bytes of RGB`,
    );
  }
}

/** sharp's messages are fine but sometimes carry libvips' trailing newline. */
function sharpMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim();
}

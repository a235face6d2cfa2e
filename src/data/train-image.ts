/**
 * Decoding of training images in one libuv thread-pool job per image.
 *
 * Why not io/image.ts's decodeImageFile: it reads the file with fs.promises (open, stat, read,
 * close) and asks sharp for the header before decoding, about seven event-loop round trips. While
 * the main thread sits inside a libtorch training step, no round trip completes, so a prefetched
 * image would advance one hop per step. Here sharp opens, reads and decodes the file inside a single
 * thread-pool job, so a whole batch decodes while the step runs.
 *
 * Same conventions as decodeImageFile: EXIF orientation applied, alpha dropped (facenet keeps
 * img[:, :, 0:3]), greyscale expanded to RGB, truncated files are errors. Differences: the format
 * is not checked against the accepted list (training folders are trusted, and checking costs a
 * second hop), and libvips' file cache may serve a file rewritten during the run (training data is
 * not rewritten in place).
 */
import sharp from 'sharp';
import { FacenetError } from '../errors.js';
import { DEFAULT_MAX_PIXELS, type RgbImage } from '../io/image.js';

/** Decodes an image file to 8-bit RGB; BAD_IMAGE for unreadable content, NOT_FOUND for a missing file. */
export async function decodeTrainingImage(file: string, maxPixels = DEFAULT_MAX_PIXELS): Promise<RgbImage> {
  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    out = await sharp(file, { failOn: 'truncated', limitInputPixels: maxPixels, pages: 1 })
      .rotate() // EXIF orientation
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).trim();
    if (/input file is missing/i.test(message)) {
      throw new FacenetError('NOT_FOUND', `image file not found: ${file}`, { cause: err });
    }
    throw new FacenetError('BAD_IMAGE', `${file}: cannot decode image: ${message}`, { cause: err });
  }
  const { data, info } = out;
  return { width: info.width, height: info.height, data: toRgb(data, info.channels, file), source: file };
}

/** sharp normally returns 3 channels here; this guards the paths where libvips keeps 1, 2 or 4. */
function toRgb(data: Buffer, channels: number, source: string): Uint8Array {
  if (channels === 3) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (channels < 1 || channels > 4) throw new FacenetError('BAD_IMAGE', `${source}: decoded to ${channels} channels`);
  const n = data.length / channels;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const base = i * channels;
    const colour = channels >= 3;
    out[i * 3] = data[base]!;
    out[i * 3 + 1] = data[colour ? base + 1 : base]!;
    out[i * 3 + 2] = data[colour ? base + 2 : base]!;
  }
  return out;
}

/**
 * The settings an aligned folder was made with (align-settings.json), so that a resumed run with
 * another --image-size or --margin does not silently mix 182 px and 64 px crops: a mismatch is
 * refused unless the caller overwrites (realigns every image).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FacenetError } from '../errors.js';
import { errnoCode, fsError } from '../io/fs-errors.js';
import { writeJsonAtomic } from '../io/fs-util.js';

export const ALIGN_SETTINGS_FILE = 'align-settings.json';

export interface AlignSettings {
  imageSize: number;
  margin: number;
  mode: string;
  detectMultipleFaces: boolean;
}

const FLAGS: Record<keyof AlignSettings, string> = { imageSize: '--image-size', margin: '--margin', mode: '--align', detectMultipleFaces: '--detect-multiple-faces' };

/** The differences between two settings, as `--image-size 182 (now 64)`; empty when equal. */
export function settingsDifferences(before: AlignSettings, now: AlignSettings): string[] {
  return (Object.keys(FLAGS) as (keyof AlignSettings)[]).filter((k) => before[k] !== now[k]).map((k) => `${FLAGS[k]} ${before[k]} (now ${now[k]})`);
}

/** Reads the folder's settings (null for a new folder or one from before this file existed). */
export async function readAlignSettings(outputDir: string): Promise<AlignSettings | null> {
  const file = path.join(outputDir, ALIGN_SETTINGS_FILE);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as AlignSettings;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    if (err instanceof SyntaxError) throw new FacenetError('BAD_FILE', `${file} is not valid JSON: delete it to align with the current settings`);
    throw fsError(err, file, 'read the alignment settings') ?? err;
  }
}

/** Refuses to resume a folder aligned with other settings (unless overwrite), then records these. */
export async function claimAlignSettings(outputDir: string, now: AlignSettings, overwrite: boolean): Promise<void> {
  const before = await readAlignSettings(outputDir);
  if (before && !overwrite) {
    const diff = settingsDifferences(before, now);
    if (diff.length > 0) {
      throw new FacenetError(
        'BAD_ARGUMENT',
        `${outputDir} was aligned with other settings: ${diff.join(', ')}; resuming would mix crops of both. ` +
          'Use the same settings, another output folder, or --overwrite to realign every image',
      );
    }
  }
  const file = path.join(outputDir, ALIGN_SETTINGS_FILE);
  await writeJsonAtomic(file, now).catch((err: unknown) => Promise.reject(fsError(err, file, 'record the alignment settings') ?? err));
}

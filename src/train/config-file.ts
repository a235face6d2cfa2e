/**
 * Training config files (--config FILE): a JSON object of options. Keys may be spelled as in the
 * config (camelCase), as on the command line (kebab-case) or as in facenet's scripts (snake_case),
 * so an arguments list copied from facenet translates directly. Relative paths inside the file are
 * taken relative to the file's folder, so a config can travel with its dataset.
 */
import path from 'node:path';
import { FacenetError } from '../errors.js';
import { readTextFile } from '../io/fs-util.js';
import { TRAIN_DEFAULTS, type TrainConfig } from './config.js';
import { PATH_OPTIONS, type TrainOptionKey } from './options.js';

/** 'image_size' / 'image-size' / 'imageSize' -> 'imageSize'. */
export function toCamelCase(key: string): string {
  return key.replace(/[-_]+([a-zA-Z0-9])/g, (_, ch: string) => ch.toUpperCase());
}


/** Converts a parsed JSON object into a partial config; `source` names it in errors. */
export function configFromObject(obj: unknown, source: string, baseDir?: string): Partial<TrainConfig> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new FacenetError('BAD_FILE', `${source}: a training config must be a JSON object of options`);
  }
  const out: Record<string, unknown> = {};
  for (const [raw, value] of Object.entries(obj as Record<string, unknown>)) {
    const key = toCamelCase(raw);
    if (!(key in TRAIN_DEFAULTS)) {
      throw new FacenetError('BAD_FILE', `${source}: unknown training option '${raw}' (known: ${Object.keys(TRAIN_DEFAULTS).join(', ')})`);
    }
    let v = value;
    if (baseDir && typeof v === 'string' && v !== '' && PATH_OPTIONS.includes(key as TrainOptionKey) && !isPretrainedName(key, v)) {
      v = path.resolve(baseDir, v);
    }
    out[key] = v;
  }
  return out as Partial<TrainConfig>;
}

/** 'vggface2' is a model name, not a path. */
function isPretrainedName(key: string, v: string): boolean {
  return key === 'pretrainedModel' && !v.includes('/') && !v.includes('.');
}

export async function readTrainConfigFile(file: string): Promise<Partial<TrainConfig>> {
  const text = await readTextFile(file, 'training config');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FacenetError('BAD_FILE', `training config ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return configFromObject(parsed, file, path.dirname(path.resolve(file)));
}

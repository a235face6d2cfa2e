/**
 * LFW pairs files (pairs.txt, View 2; also pairsDevTrain/DevTest) and the image paths facenet's
 * lfw.py builds from them.
 *
 * Format: a header line ("10\t300": 10 folds of 300 same + 300 different pairs; the dev files have a
 * single count n: n same + n different), then one pair per line, whitespace separated:
 *   name i j            same person, images i and j
 *   name1 i name2 j     different people
 * Deliberate differences from facenet's read_pairs / get_paths:
 *  - the header is checked against the number of pairs, and a malformed line is a BAD_FILE error
 *    naming file and line (facenet skips the header unread and crashes or misreads later);
 *    blank lines are ignored;
 *  - a pair whose image is missing is reported in `skipped` with the missing file names (facenet's
 *    add_extension raises on the first missing image, and its skip counter only prints a count).
 * Skipping pairs shifts the contiguous blocks that KFold cuts (600 pairs = one pairs.txt fold), so
 * callers should report skipped.length next to any accuracy.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FacenetError } from '../errors.js';
import { readTextFile } from '../io/fs-util.js';

export interface LfwPair {
  readonly issame: boolean;
  readonly name1: string;
  readonly index1: number;
  readonly name2: string;
  readonly index2: number;
  /** 1-based line number in the pairs file. */
  readonly line: number;
}

export interface LfwPairsFile {
  readonly file: string;
  /** The header's numbers: [folds, pairs per fold] or [n] (dev files). */
  readonly header: number[];
  readonly pairs: LfwPair[];
}

const INT = /^\d+$/;

/** Parses the text of a pairs file; `file` names it in errors. */
export function parsePairs(text: string, file = '<pairs>'): LfwPairsFile {
  const lines = text.split(/\r?\n/);
  const headerIdx = lines.findIndex((l) => l.trim() !== '');
  if (headerIdx < 0) throw new FacenetError('BAD_FILE', `${file}: empty pairs file`);
  const headerFields = lines[headerIdx]!.trim().split(/\s+/);
  if (headerFields.length > 2 || !headerFields.every((f) => INT.test(f) && Number(f) > 0)) {
    throw new FacenetError(
      'BAD_FILE',
      `${file}:${headerIdx + 1}: header must be "<folds> <pairs per fold>" or "<count>", got ${JSON.stringify(lines[headerIdx])}`,
    );
  }
  const header = headerFields.map(Number);
  const pairs: LfwPair[] = [];
  for (let i = headerIdx + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    const f = raw.trim().split(/\s+/);
    if (f[0] === '') continue;
    const line = i + 1;
    const bad = (why: string): never => {
      throw new FacenetError('BAD_FILE', `${file}:${line}: ${why}: ${JSON.stringify(raw)} (expected "name i j" or "name1 i name2 j")`);
    };
    if (f.length !== 3 && f.length !== 4) bad(`${f.length} fields`);
    const idx = f.length === 3 ? [f[1]!, f[2]!] : [f[1]!, f[3]!];
    for (const s of idx) if (!INT.test(s) || Number(s) < 1) bad(`image number ${JSON.stringify(s)} is not a positive integer`);
    pairs.push(
      f.length === 3
        ? { issame: true, name1: f[0]!, index1: Number(f[1]), name2: f[0]!, index2: Number(f[2]), line }
        : { issame: false, name1: f[0]!, index1: Number(f[1]), name2: f[2]!, index2: Number(f[3]), line },
    );
  }
  const expected = header.length === 2 ? 2 * header[0]! * header[1]! : 2 * header[0]!;
  if (pairs.length !== expected) {
    throw new FacenetError(
      'BAD_FILE',
      `${file}: the header "${header.join(' ')}" announces ${expected} pairs but the file has ${pairs.length} (truncated or edited?)`,
    );
  }
  return { file, header, pairs };
}

/** Reads and parses a pairs file; a missing file is NOT_FOUND. */
export async function readPairs(file: string): Promise<LfwPairsFile> {
  return parsePairs(await readTextFile(file, 'LFW pairs file'), file);
}

/** `<dir>/<name>/<name>_<%04d index>` without extension, as lfw.get_paths. */
export function lfwImageStem(dir: string, name: string, index: number): string {
  return join(dir, name, `${name}_${String(index).padStart(4, '0')}`);
}

export interface SkippedPair {
  /** Position of the pair in the file's pair list (0-based). */
  readonly pairIndex: number;
  readonly pair: LfwPair;
  /** The images that exist neither as .jpg nor as .png ("<stem>.jpg|.png"). */
  readonly missing: string[];
}

export interface LfwPaths {
  /** Two paths per kept pair: first image at 2k, second at 2k+1. */
  readonly paths: string[];
  /** One label per kept pair. */
  readonly issame: boolean[];
  /** For each kept pair, its position in the file's pair list. */
  readonly pairIndices: number[];
  readonly skipped: SkippedPair[];
}

/**
 * lfw.get_paths: the image paths of every pair, `.jpg` or else `.png` (aligned LFW is PNG).
 * `exists` is injectable for tests and virtual file systems.
 */
export function getLfwPaths(
  dir: string,
  pairs: readonly LfwPair[],
  exists: (path: string) => boolean = existsSync,
): LfwPaths {
  const out = { paths: [] as string[], issame: [] as boolean[], pairIndices: [] as number[], skipped: [] as SkippedPair[] };
  pairs.forEach((pair, pairIndex) => {
    const missing: string[] = [];
    const found = [lfwImageStem(dir, pair.name1, pair.index1), lfwImageStem(dir, pair.name2, pair.index2)].map((stem) => {
      if (exists(`${stem}.jpg`)) return `${stem}.jpg`;
      if (exists(`${stem}.png`)) return `${stem}.png`;
      missing.push(`${stem}.jpg|.png`);
      return null;
    });
    if (missing.length > 0) {
      out.skipped.push({ pairIndex, pair, missing });
      return;
    }
    out.paths.push(found[0]!, found[1]!);
    out.issame.push(pair.issame);
    out.pairIndices.push(pairIndex);
  });
  return out;
}

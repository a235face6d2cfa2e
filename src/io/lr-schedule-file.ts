/** Reading a facenet learning-rate schedule file; the parsing is pure maths (math/lr-schedule.ts). */
import { parseLrSchedule, type LrSchedule } from '../math/lr-schedule.js';
import { readTextFile } from './fs-util.js';

/** Reads and parses a schedule file; a missing file is NOT_FOUND. */
export async function readLrSchedule(file: string): Promise<LrSchedule> {
  return parseLrSchedule(await readTextFile(file, 'learning-rate schedule'), file);
}

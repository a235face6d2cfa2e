/** What a subject name may be: it becomes a folder name in exports and a URL segment in the server. */
import { FacenetError } from '../errors.js';

export const MAX_SUBJECT_NAME = 128;

/** Returns the name unchanged, or throws BAD_ARGUMENT saying what is wrong with it. */
export function validateSubjectName(name: string): string {
  const bad = (why: string) => new FacenetError('BAD_ARGUMENT', `subject name ${JSON.stringify(name)} ${why}`);
  if (typeof name !== 'string' || name.length === 0) throw bad('is empty: give each subject a non-empty name');
  if (name.length > MAX_SUBJECT_NAME) throw bad(`is ${name.length} characters long: the limit is ${MAX_SUBJECT_NAME}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) throw bad('contains control characters (tab, newline, NUL, …): remove them');
  if (name.includes('/') || name.includes('\\')) throw bad("contains '/' or '\\': use another separator");
  if (name.includes('..')) throw bad("contains '..': use another name");
  if (name.trim() !== name) throw bad('starts or ends with white space: trim it');
  return name;
}

/**
 * Output paths checked before long work starts: an embedding run, a validation or an alignment
 * must not spend minutes and then fail on a missing folder, a read-only disk or a path that is a
 * folder. The check creates (and removes) an empty probe file where the output will go, which is
 * what the real write will need.
 */
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { FacenetError } from '../errors.js';
import { errnoCode, fsError } from './fs-errors.js';
import { tempPathFor } from './fs-util.js';

/** Throws unless a file can be written at `file`. `what` names it for the user ('--out'). `mkdir` creates missing parent folders. */
export async function checkOutputFile(file: string, what: string, o: { mkdir?: boolean } = {}): Promise<void> {
  const info = await stat(file).catch((err: unknown) => (errnoCode(err) === 'ENOENT' ? null : Promise.reject(fsError(err, file, `use ${what}`) ?? err)));
  if (info?.isDirectory()) throw new FacenetError('BAD_ARGUMENT', `${what} ${file} is a folder: name a file`);
  await checkOutputDir(path.dirname(path.resolve(file)), what, o);
}

/** Throws unless files can be created in folder `dir` (created first when `mkdir`). */
export async function checkOutputDir(dir: string, what: string, o: { mkdir?: boolean } = {}): Promise<void> {
  const info = await stat(dir).catch((err: unknown) => (errnoCode(err) === 'ENOENT' ? null : Promise.reject(fsError(err, dir, `use ${what}`) ?? err)));
  if (info && !info.isDirectory()) throw new FacenetError('BAD_ARGUMENT', `${what}: ${dir} is a file, not a folder`);
  if (!info) {
    if (!o.mkdir) throw new FacenetError('NOT_FOUND', `${what}: the folder ${dir} does not exist: create it first (mkdir -p ${dir})`);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw fsError(err, dir, `create the folder for ${what}`) ?? err;
    }
  }
  const probe = tempPathFor(path.join(dir, 'write-check'));
  try {
    const handle = await open(probe, 'wx');
    await handle.close();
  } catch (err) {
    throw fsError(err, dir, `write ${what} into ${dir}`) ?? err;
  }
  await unlink(probe).catch(() => undefined);
}

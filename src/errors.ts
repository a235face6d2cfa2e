/**
 * The project's small set of typed errors. Every error a user can cause carries a stable `code`
 * and a message that says what went wrong, where (file, line, item) and what to do about it.
 */

export type FacenetErrorCode =
  | 'BAD_ARGUMENT' // a caller passed an invalid value (shape, dtype, option)
  | 'SHAPE_MISMATCH' // tensor shapes do not fit together
  | 'BAD_IMAGE' // an image could not be decoded or is unusable
  | 'BAD_FILE' // a file is malformed, truncated or of the wrong kind
  | 'ASSET_MISSING' // a weights file or dataset could not be found locally or downloaded
  | 'CHECKSUM_MISMATCH' // a downloaded or cached asset has the wrong sha256
  | 'NOT_FOUND' // a path the user named does not exist
  | 'NATIVE' // libtorch raised an error
  | 'IO' // the file system refused (full disk, read-only, permissions): the message names the path and the fix
  | 'NON_FINITE' // NaN or Inf where numbers must be finite (a diverged run, a damaged model)
  | 'DISPOSED' // a tensor or model was used after dispose()
  | 'MODEL_MISMATCH' // embeddings of one model used with a gallery (or data) of another
  | 'BUSY'; // a database is locked by another process

export class FacenetError extends Error {
  readonly code: FacenetErrorCode;

  constructor(code: FacenetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FacenetError';
    this.code = code;
  }
}

/** Short helper for argument validation: throws BAD_ARGUMENT with the given message. */
export function check(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new FacenetError('BAD_ARGUMENT', typeof message === 'string' ? message : message());
  }
}

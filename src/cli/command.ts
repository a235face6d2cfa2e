/** What every `facenet <command>` module exports. */
import type { CommandSpec } from './args.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Aborted on SIGINT: long jobs stop at the next safe point and save what they have. */
  signal: AbortSignal;
}

export interface Command {
  spec: CommandSpec;
  /** Returns the process exit code. */
  run(argv: readonly string[], io: CliIO): Promise<number>;
}

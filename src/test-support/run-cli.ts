/** Runs `facenet <args>` in-process with captured output, for end-to-end CLI tests. */
import { Writable } from 'node:stream';
import { main } from '../cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

export async function runCli(args: string[], signal: AbortSignal = new AbortController().signal): Promise<CliRun> {
  const out = sink();
  const err = sink();
  const code = await main(args, { stdout: out.stream, stderr: err.stream, signal });
  return { code, stdout: out.text(), stderr: err.text() };
}
